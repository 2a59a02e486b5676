"""`containers`: N containers running through vertice and through docker-compose on the
same Docker Engine, and a container removed or killed behind vertice's back (issue 18).

Setup: a private Docker Engine (the docker plugin's test peer: Debian's `dockerd` on
`/tmp/vtdocker-<uid>`, started when none answers) and the plugin's busybox image
(`httpd` on port 8080, one port published on 127.0.0.1).

vertice: `vertice serve --api-only` and one `vertice reconcile` on SQLite with a docker
region on that engine; the N assemblies are declared in one batch request (`POST
/v3/assembly_factory/batch`, what `vertice apply -f` sends), timed from that request
until every assembly is RUNNING. The peer: Debian's docker-compose 1.29, `up -d
--scale web=N` of one service with the same image and port, timed from the command's
start until it exits with N containers running. Rounds alternate vertice and the peer;
the medians are printed with their ratio.

Drift: with vertice's N running and its resync at 600 s (so that only the engine's
event stream can tell), one container is removed (`docker rm -f`) and another killed
(`docker kill`); each figure is timed from that call until the engine shows a running
container of the assembly again. The peer repairs nothing by itself: its figure is the
time of re-running `docker-compose up -d --scale` after a removal (what a person does
once they notice).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from bench.installation import Installation
from bench.report import Figure
from bench.sizes import Size
from vertice_core import builtins
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION

PEER = Path(__file__).resolve().parents[2] / "plugins" / "docker" / "tests"
IMAGE = "localhost/busybox:latest"
PLAN = {
    "name": "bench_busybox",
    "camp_version": "1.2",
    "services": [
        {
            "name": "web",
            "characteristics": [
                {"type": "org.vertice.container::image", "name": "busybox-web"},
                {"type": "org.vertice.container::env", "http.port": "8080"},
            ],
        }
    ],
}
COMPOSE = (
    'version: "2.4"\nservices:\n  web:\n'
    f"    image: {IMAGE}\n"
    '    ports: ["127.0.0.1::8080"]\n'
    "    stop_grace_period: 2s\n"
)
#: The compose project's name (its containers' `com.docker.compose.project` label).
PROJECT = f"vbench{os.getpid()}"


def run(size: Size) -> list[Figure]:
    """Alternate rounds of vertice and docker-compose on one engine; drift on the last."""
    if str(PEER) not in sys.path:
        sys.path.append(str(PEER))
    import docker
    from docker_engine_peer.busybox import import_busybox
    from docker_engine_peer.engine import shared_engine

    compose = shutil.which("docker-compose")
    if compose is None:
        raise RuntimeError("docker-compose is missing: `make bench` installs Debian's package")
    n = size.containers
    folder = Path(f"/tmp/vtdocker-{os.getuid()}")  # the docker tests' engine
    with shared_engine(folder, shutil.which("dockerd")) as engine:
        client = docker.DockerClient(base_url=engine.base_url, version="auto")
        try:
            import_busybox(client, IMAGE)
            ours: list[float] = []
            peers: list[float] = []
            drift: dict[str, float] = {}
            for round_ in range(max(1, size.repeats)):
                last = round_ == max(1, size.repeats) - 1
                ours.append(_vertice(engine.base_url, client, n, drift if last else None))
                peers.append(_compose(compose, engine.base_url, client, n, drift if last else None))
        finally:
            client.close()
    mine, theirs = statistics.median(ours), statistics.median(peers)
    rounds = f"median of {len(ours)} alternating rounds"
    return [
        Figure("containers.vertice.seconds", mine, "s",
               note=f"{n} containers, the batch request to all RUNNING, {rounds}"),
        Figure("containers.compose.seconds", theirs, "s",
               note=f"docker-compose up -d --scale web={n}, start to exit, {rounds}"),
        Figure("containers.ratio", mine / theirs, "x", 1.0, note="vertice / docker-compose"),
        Figure("drift.docker.removed.seconds", drift["removed"], "s", 5.0,
               note="docker rm -f behind vertice's back -> running again (resync 600 s)"),
        Figure("drift.docker.killed.seconds", drift["killed"], "s", 5.0,
               note="docker kill behind vertice's back -> running again (resync 600 s)"),
        Figure("drift.compose.rerun.seconds", drift["rerun"], "s",
               note="after docker rm -f: re-running docker-compose up -d --scale (by hand)"),
    ]  # fmt: skip


def _vertice(base_url: str, client: Any, n: int, drift: dict[str, float] | None) -> float:
    """Seconds from the batch request to N RUNNING; with `drift`, also the repair times.

    The installation's containers are removed from the shared engine afterwards, also
    when the round failed half-way (once its reconciler stopped, so none comes back)."""
    inst = Installation("sqlite")
    installation = builtins.installation_id(inst.store)
    try:
        inst.reconciler(poll=0.2, idle_wait=0.05, resync=600)
        with (
            inst.api() as url,
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {inst.token}"}, timeout=60
            ) as api,
        ):
            api.post("/v3/regions", json=docker_region(base_url)).raise_for_status()
            api.post("/v3/plan_factory", json=PLAN).raise_for_status()
            bodies = [{"name": f"c{i:04d}", "plan_uri": "/v3/plan/bench_busybox",
                       "region": "dock", "flavor": "small"} for i in range(n)]  # fmt: skip
            start = time.monotonic()
            answer = api.post("/v3/assembly_factory/batch", json={"declarations": bodies})
            answer.raise_for_status()
            if answer.json()["created"] != n:
                raise RuntimeError(f"the batch was refused in part: {answer.text[:2000]}")
            done = inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == n, timeout=600)
            if drift is not None:
                drift["removed"] = _repaired(client, installation, lambda c: c.remove(force=True))
                drift["killed"] = _repaired(client, installation, lambda c: c.kill())
            for result in answer.json()["results"]:
                api.delete(result["uri"]).raise_for_status()
            inst.wait_for(lambda: inst.stored() == 0, timeout=300, interval=0.5)
        return done - start
    finally:
        inst.close()
        remove_labelled(client, f"{TAG_INSTALLATION}={installation}")


def docker_region(base_url: str) -> dict[str, Any]:
    """The declaration of a region `dock` on the Docker Engine at `base_url`."""
    return {
        "name": "dock", "cloud_type": "docker", "provider_region": "engine",
        "settings": {"base_url": base_url, "public_address": "127.0.0.1",
                     "stop_timeout": 2, "images": {"busybox-web": IMAGE}},
    }  # fmt: skip


def _repaired(client: Any, installation: str, harm: Callable[[Any], None]) -> float:
    """Seconds from `harm(container)` on one running container of the installation until
    a container of its assembly runs again."""
    running = client.containers.list(filters={"label": f"{TAG_INSTALLATION}={installation}"})
    victim = running[len(running) // 2]
    assembly = victim.labels[TAG_ASSEMBLY]
    started = time.monotonic()
    harm(victim)
    deadline = started + 120
    while time.monotonic() < deadline:
        again = client.containers.list(filters={"label": f"{TAG_ASSEMBLY}={assembly}"})
        if any(c.status == "running" for c in again):
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"assembly {assembly} did not run again within 120 s")


def _compose(
    compose: str, base_url: str, client: Any, n: int, drift: dict[str, float] | None
) -> float:
    """Seconds of `docker-compose up -d --scale web=N`; with `drift`, the re-run's too."""
    with _project(compose, base_url) as up:
        seconds = up(n)
        label = f"com.docker.compose.project={PROJECT}"
        running = client.containers.list(filters={"label": label})
        if len(running) != n:
            raise RuntimeError(f"docker-compose left {len(running)} of {n} running")
        if drift is not None:
            running[len(running) // 2].remove(force=True)
            drift["rerun"] = up(n)
            if len(client.containers.list(filters={"label": label})) != n:
                raise RuntimeError("re-running docker-compose did not bring the count back")
    return seconds


@contextmanager
def _project(compose: str, base_url: str) -> Iterator[Callable[[int], float]]:
    """A compose project in a temporary folder; yields `up(n) -> seconds`; `down` after."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"vertice-bench-compose-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "docker-compose.yml").write_text(COMPOSE)
    env = {**os.environ, "DOCKER_HOST": base_url, "COMPOSE_PROJECT_NAME": PROJECT}

    def command(*args: str) -> float:
        started = time.monotonic()
        done = subprocess.run([compose, *args], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=600, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"docker-compose {' '.join(args)}: {done.stderr[-2000:]}")
        return time.monotonic() - started

    try:
        yield lambda n: command("up", "-d", "--scale", f"web={n}")
    finally:
        command("down", "-t", "0")
        shutil.rmtree(folder, ignore_errors=True)


def remove_labelled(client: Any, label: str) -> None:
    """Remove every container carrying `label` (what a failed round may have left)."""
    import docker.errors

    for container in client.containers.list(all=True, sparse=True, filters={"label": label}):
        with suppress(docker.errors.NotFound):
            container.remove(force=True)
