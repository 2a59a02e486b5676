"""Continuous delivery end to end: a repository on git's own HTTP backend, built by the
Dockerfile builder on the real engine, served by real containers behind a real Caddy.

The reconciler runs as in production (`run_forever`: the build controller and the
assembly and route controllers, each on its runtime). A push delivered to the
assembly's webhook, signed as GitHub signs it, builds the pushed commit and
rolls it out while `wrk` and a retrying client send requests through Caddy: no
request may fail, and the new page is what is served at the end. A push that
does not build leaves the old revision serving; a rollback runs the previous
image again without building anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import attrs
import httpx
import pytest

from docker_engine_peer.routed import HOST, READY_PROBE, Loads, assert_nothing_failed, serving
from vertice_core.config import Config
from vertice_testing.gitserve import GitHttpServer, make_repository
from vertice_testing.waiting import until as wait_for

#: One xdist worker runs the docker tests that load the machine (builds, image making) and
#: those that measure failed requests under load, one after the other (`--dist loadgroup`).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docker-load")]

TOKEN = "repository-token"  # the test git server's own


@pytest.fixture
def rollout_timeout() -> float:
    """Seconds a new revision has to roll out (a test parametrizes it)."""
    return 600.0


@pytest.fixture
def config(config: Config, rollout_timeout: float) -> Config:
    """The installation may fetch sources from 127.0.0.1 (the test's git server)."""
    builds = attrs.evolve(config.builds, allow_local=True, rollout_timeout=rollout_timeout)
    return attrs.evolve(config, builds=builds)


def dockerfile(base: str, page: str, extra: str = "") -> dict[str, str]:
    """A repository whose Dockerfile serves `page` with the busybox image's httpd."""
    return {"Dockerfile": f"FROM {base}\n{extra}COPY index.html /www/index.html\n",
            "index.html": page}  # fmt: skip


def page(caddy) -> str:
    answer = httpx.get(f"http://127.0.0.1:{caddy.http_port}/", headers={"Host": HOST}, timeout=5)
    return answer.text if answer.status_code == 200 else f"{answer.status_code}"


def test_a_push_is_built_and_rolled_out_under_load_and_a_rollback_rebuilds_nothing(
    alice, client, caddy, running, busybox_image, tmp_path: Path
):
    repository = tmp_path / "repos" / "app"
    make_repository(repository, dockerfile(busybox_image, "revision one\n"))
    with GitHttpServer(tmp_path / "repos", token=TOKEN) as git:
        source = {"url": git.url_of("app"), "token": TOKEN}
        uris = running(2, source=source, probe=READY_PROBE)
        uri = uris[0]
        wait_for(serving(alice, uris, 2), "the first build's two instances behind the route",
                 timeout=120)  # fmt: skip
        assert page(caddy) == "revision one\n"
        first = alice.get(uri).json["release"]
        assert first["image"] == f"localhost/vertice-{uri.rsplit('/', 1)[1]}:1"

        hook = alice.post(f"{uri}/webhook").json

        def push(files: dict[str, str]) -> str:
            commit = make_repository(repository, files)
            body = json.dumps({"ref": "refs/heads/main", "after": commit,
                               "repository": {"default_branch": "main"}}).encode()  # fmt: skip
            signature = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
            answer = client.simulate_post(hook["url"], body=body, headers={
                "Content-Type": "application/json", "X-GitHub-Event": "push",
                "X-Hub-Signature-256": f"sha256={signature}"})  # fmt: skip
            assert answer.status_code == 202 and answer.json["build"], answer.json
            return commit

        # a push rolls the new revision out, one instance at a time, under load
        started = time.monotonic()
        loads = Loads.start(caddy)
        second = push(dockerfile(busybox_image, "revision two\n"))

        def rolled_out(revision: int) -> bool:
            instances = alice.get(uri).json["status"]["instances"]
            return serving(alice, uris, 2)() and [i.get("revision") for i in instances] == [
                revision, revision]  # fmt: skip

        wait_for(lambda: rolled_out(2), "revision two on both instances", timeout=120)
        time.sleep(max(0.0, 8 - (time.monotonic() - started)))  # at least 8 s of load
        assert_nothing_failed(*loads.stop())
        assert page(caddy) == "revision two\n"
        assert alice.get(uri).json["release"]["commit"] == second

        # a push that does not build leaves revision two serving
        push(dockerfile(busybox_image, "revision three\n", extra="RUN false\n"))
        wait_for(lambda: alice.get("/v3/builds", params={"assembly": "web"}).json["items"][0][
            "state"] == "failed", "the broken build to fail", timeout=60)  # fmt: skip
        broken = alice.get("/v3/builds", params={"assembly": "web"}).json["items"][0]
        assert broken["reason"] == "BuildStepFailed", broken
        assert "RUN false" in alice.get(f"/v3/builds/{broken['id']}/log").text
        assert page(caddy) == "revision two\n" and rolled_out(2)

        # a rollback runs revision one's image again: nothing is built
        builds = len(alice.get("/v3/builds").json["items"])
        answer = alice.post(f"{uri}/rollback", {"revision": 1})
        assert answer.status_code == 200, answer.json
        wait_for(lambda: rolled_out(1), "revision one on both instances again", timeout=120)
        assert page(caddy) == "revision one\n"
        assert len(alice.get("/v3/builds").json["items"]) == builds
        assert git.requests, "the source was fetched through git's HTTP backend"


#: A probe on each instance's page `health`: revision one has it, the broken revision not.
PROBE = {"port": 8080, "path": "/health", "interval": 1, "timeout": 1, "failure_threshold": 2}
#: Seconds a revision has to roll out in the test below.
ROLLOUT = 20


@pytest.mark.parametrize("rollout_timeout", [ROLLOUT])
def test_a_revision_that_never_becomes_healthy_is_undone_while_the_old_one_serves(
    alice, caddy, running, busybox_image, tmp_path: Path, rollout_timeout
):
    repository = tmp_path / "repos" / "app"
    healthy = {**dockerfile(busybox_image, "revision one\n", extra="COPY health /www/health\n"),
               "health": "ok\n"}  # fmt: skip
    make_repository(repository, healthy)
    with GitHttpServer(tmp_path / "repos") as git:
        uris = running(2, source={"url": git.url_of("app")}, probe=PROBE)
        uri = uris[0]
        wait_for(serving(alice, uris, 2), "revision one on two ready instances", timeout=120)
        one = alice.get(uri).json["release"]

        loads = Loads.start(caddy)
        # revision two serves its page but not `health`: its probe never passes
        make_repository(repository, dockerfile(busybox_image, "revision two\n"))
        assert alice.post("/v3/builds", {"assembly": "web"}).status_code == 201

        def latest() -> dict:
            return alice.get("/v3/builds", params={"assembly": "web"}).json["items"][0]

        pages = set()

        def undone() -> bool:
            pages.add(page(caddy))
            return latest()["state"] == "failed"

        wait_for(undone, "revision two to be failed at its rollout deadline",
                 timeout=ROLLOUT + 120)  # fmt: skip
        failed = latest()
        assert (failed["revision"], failed["reason"]) == (2, "RolloutFailed"), failed
        assert alice.get(uri).json["release"] == one

        def back() -> bool:
            instances = alice.get(uri).json["status"]["instances"]
            return serving(alice, uris, 2)() and [i.get("revision") for i in instances] == [1, 1]

        wait_for(back, "revision one on both instances", timeout=120)
        assert_nothing_failed(*loads.stop())
        assert pages == {"revision one\n"}  # the broken revision never served a request
        reasons = [e["reason"] for e in alice.get(f"{uri}/events").json["items"]]
        assert "RolloutFailed" in reasons
