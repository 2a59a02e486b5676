"""Assemblies built from source on the sim region: declared, built, released, rebuilt,
rolled out, failed, logged, timed out, cancelled and claimed again after a crash."""

from __future__ import annotations

import time

import attrs
import pytest

from vertice_core.building.run import LEASE
from vertice_core.hooks import hookimpl
from vertice_core.store.repositories.builds import BuildRepository

#: A source token: a value nothing else in an answer contains (a word such as `hidden` may be
#: part of the project's random name).
TOKEN = "tok-5c1e9a7d3b"


def phase(api, uri):
    status = api.get(uri).json["status"]
    return status["phase"], status["reason"]


def builds_of(api, name):
    return api.get("/v3/builds", params={"assembly": name}).json["items"]


def settle(reconciler):
    """One round of the build controller and the assembly controller."""
    reconciler.run_build_pass()
    reconciler.builds.wait(10)
    reconciler.run_pass()


def test_a_source_is_built_released_rebuilt_and_rolled_out(
    alice, make_reconciler, repository, source_url, until
):
    first = repository({"index.html": "one\n"})
    declared = alice.declare("app", replicas=2, source={"url": source_url, "token": "s3cret"})
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    assert declared.json["source"] == {"url": source_url, "ref": "", "subdirectory": "",
                                       "recipe": "", "token_set": True,
                                       "deploy_key_set": False}  # fmt: skip
    assert "s3cret" not in declared.text
    reconciler = make_reconciler()
    reconciler.run_pass()  # nothing to run before a build succeeded
    assert phase(alice, uri) == ("PENDING", "AwaitingBuild")
    assert alice.get(uri).json["status"]["instances"] == []

    until(lambda: phase(alice, uri) == ("RUNNING", "Running"), lambda: settle(reconciler))
    (build,) = builds_of(alice, "app")
    assert (build["state"], build["revision"], build["commit"], build["builder"]) == (
        "succeeded",
        1,
        first,
        "sim",
    )
    release = alice.get(uri).json["release"]
    assert release == {"revision": 1, "build_id": build["id"], "image": build["image"],
                       "commit": first}  # fmt: skip
    instances = alice.get(uri).json["status"]["instances"]
    assert [i["revision"] for i in instances] == [1, 1]
    log = alice.get(f"/v3/builds/{build['id']}/log").text
    assert "index.html" in log and first[:12] in log and "s3cret" not in log

    # a new commit, built on request: the instances are replaced, one at a time
    second = repository({"index.html": "two\n"})
    answer = alice.post("/v3/builds", {"assembly": "app"})
    assert answer.status_code == 201, answer.json
    assert answer.json["revision"] == 2
    until(lambda: [i.get("revision") for i in alice.get(uri).json["status"]["instances"]
                   if not i["draining"]] == [2, 2] and phase(alice, uri)[0] == "RUNNING",
          lambda: settle(reconciler))  # fmt: skip
    assert alice.get(uri).json["release"]["commit"] == second
    assert alice.get(uri).json["release"]["image"] != release["image"]
    reasons = [e["reason"] for e in alice.get(f"{uri}/events").json["items"]]
    assert reasons.count("Released") == 2

    # a broken build leaves revision 2 serving, and says why
    repository({"SIMBUILD": "fail the tests broke it\n"})
    alice.post("/v3/builds", {"assembly": "app"})
    until(lambda: builds_of(alice, "app")[0]["state"] == "failed", lambda: settle(reconciler))
    broken = builds_of(alice, "app")[0]
    assert (broken["reason"], broken["message"]) == ("BuildStepFailed", "the tests broke it")
    assert alice.get(uri).json["release"]["revision"] == 2
    reconciler.run_pass()
    assert phase(alice, uri) == ("RUNNING", "Running")
    assert [i["revision"] for i in alice.get(uri).json["status"]["instances"]] == [2, 2]
    events = alice.get(f"{uri}/events").json["items"]
    assert events[-1]["reason"] == "BuildFailed" and "what ran before" in events[-1]["message"]


def test_a_first_build_that_fails_fails_the_assembly_until_one_succeeds(
    alice, make_reconciler, repository, source_url, until
):
    repository({"SIMBUILD": "fail no tests\n"})
    uri = alice.declare("app", source={"url": source_url}).json["uri"]
    reconciler = make_reconciler()
    until(lambda: phase(alice, uri)[0] == "FAILED", lambda: settle(reconciler))
    status = alice.get(uri).json["status"]
    assert status["reason"] == "BuildFailed" and "no tests" in status["message"]
    repository({"SIMBUILD": ""})
    assert alice.post("/v3/builds", {"assembly": "app"}).status_code == 201
    reconciler.run_pass()
    assert phase(alice, uri) == ("PENDING", "AwaitingBuild")
    until(lambda: phase(alice, uri) == ("RUNNING", "Running"), lambda: settle(reconciler))


def test_another_ref_a_subdirectory_and_a_missing_ref(
    alice, make_reconciler, repository, source_url, until
):
    repository({"web/index.html": "main\n"})
    other = repository({"web/index.html": "feature\n"}, branch="feature")
    uri = alice.declare("app", source={"url": source_url, "ref": "main",
                                       "subdirectory": "web"}).json["uri"]  # fmt: skip
    reconciler = make_reconciler()
    until(lambda: phase(alice, uri)[0] == "RUNNING", lambda: settle(reconciler))
    alice.post("/v3/builds", {"assembly": "app", "ref": "feature"})
    until(lambda: builds_of(alice, "app")[0]["state"] == "succeeded", lambda: settle(reconciler))
    assert alice.get(uri).json["release"]["commit"] == other
    alice.post("/v3/builds", {"assembly": "app", "ref": "no-such-branch"})
    until(lambda: builds_of(alice, "app")[0]["state"] == "failed", lambda: settle(reconciler))
    assert builds_of(alice, "app")[0]["reason"] == "RefNotFound"
    assert alice.get(uri).json["release"]["commit"] == other


def test_a_log_is_bounded_and_read_from_an_offset(
    alice, make_reconciler, repository, source_url, until
):
    repository({"SIMBUILD": "log 1000\n"})
    alice.declare("app", source={"url": source_url})
    reconciler = make_reconciler()
    until(lambda: builds_of(alice, "app")[0]["state"] == "succeeded", lambda: settle(reconciler))
    build = builds_of(alice, "app")[0]
    whole = alice.get(f"/v3/builds/{build['id']}/log")
    assert whole.headers["x-build-state"] == "succeeded"
    assert "[log truncated at 4096 characters]" in whole.text
    assert build["log_size"] == len(whole.text) <= 4096 + 60
    tail = alice.get(f"/v3/builds/{build['id']}/log", params={"offset": 4000, "limit": 10})
    assert tail.text == whole.text[4000:4010]
    assert tail.headers["x-next-offset"] == "4010"
    assert alice.get(f"/v3/builds/{build['id']}/log", params={"offset": "-1"}).status_code == 422


def test_a_build_past_its_time_limit_and_a_cancelled_one_fail_with_their_reason(
    alice, make_reconciler, repository, source_url, until, config
):
    repository({"SIMBUILD": "sleep 60\n"})
    alice.declare("app", source={"url": source_url})
    reconciler = make_reconciler(builds=attrs.evolve(config.builds, timeout=1))
    started = time.monotonic()
    until(lambda: builds_of(alice, "app")[0]["state"] == "failed", lambda: settle(reconciler))
    assert time.monotonic() - started < 15
    assert builds_of(alice, "app")[0]["reason"] == "BuildTimedOut"

    slow = make_reconciler()
    build = alice.post("/v3/builds", {"assembly": "app"}).json
    until(lambda: builds_of(alice, "app")[0]["state"] == "running", slow.run_build_pass)
    answer = alice.post(f"/v3/builds/{build['id']}/cancel")
    assert answer.status_code == 200, answer.json
    assert slow.builds.wait(10), "the cancelled build did not stop"
    assert (builds_of(alice, "app")[0]["state"], builds_of(alice, "app")[0]["reason"]) == (
        "cancelled",
        "BuildCancelled",
    )
    assert alice.post(f"/v3/builds/{build['id']}/cancel").status_code == 409


def test_a_build_whose_reconciler_died_is_claimed_again(
    alice, ctx, make_reconciler, repository, source_url, until
):
    repository({"index.html": "x\n"})
    alice.declare("app", source={"url": source_url})
    (build,) = builds_of(alice, "app")
    now = time.time()
    with ctx.store.write() as session:  # a reconciler claimed it, then died with its lease
        assert BuildRepository(session).claim(build["id"], "dead-reconciler", now - LEASE - 1,
                                              LEASE)  # fmt: skip
    reconciler = make_reconciler()
    until(lambda: builds_of(alice, "app")[0]["state"] == "succeeded", lambda: settle(reconciler))
    assert builds_of(alice, "app")[0]["attempts"] == 2
    with ctx.store.write() as session:  # the dead one's late writes change nothing
        assert not BuildRepository(session).claim(build["id"], "dead-reconciler", time.time(), 1)


def test_a_project_runs_at_most_its_limit_of_builds_at_once(
    alice, make_reconciler, repository, source_url, config, until
):
    repository({"SIMBUILD": "sleep 1\n"})
    for name in ("a", "b", "c"):
        alice.declare(name, source={"url": source_url})
    reconciler = make_reconciler(builds=attrs.evolve(config.builds, project_limit=1, workers=4))
    most = 0

    def step():
        nonlocal most
        reconciler.run_build_pass()
        states = [b["state"] for b in alice.get("/v3/builds").json["items"]]
        most = max(most, states.count("running"))

    until(lambda: all(b["state"] == "succeeded" for b in alice.get("/v3/builds").json["items"]),
          step)  # fmt: skip
    assert most == 1


@pytest.mark.parametrize(
    ("source", "path", "words"),
    [
        ({"url": "ftp://example.com/x.git"}, "$.source.url", "https"),
        ({"url": "https://user:pw@example.com/x.git"}, "$.source.url", "token"),
        ({"url": "https://example.com/x.git", "ref": "-x"}, "$.source.ref", ""),
        ({"url": "https://example.com/x.git", "subdirectory": "../up"}, "$.source.subdirectory",
         ""),
        ({"url": "https://example.com/x.git", "recipe": "cobol"}, "$.source.recipe", "sim"),
        ({"url": "https://example.com/x.git", "token": ""}, "$.source.token", ""),
    ],
)  # fmt: skip
def test_a_bad_source_is_a_422_naming_the_field_and_stores_nothing(alice, source, path, words):
    answer = alice.declare("app", source=source)
    assert answer.status_code == 422, answer.json
    problems = {p["path"]: p["message"] for p in answer.json["problems"]}
    assert path in problems, problems
    assert words in problems[path]
    assert alice.get("/v3/builds").json["items"] == []
    assert alice.get("/v3/assembly_factory").json["items"] == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc", "http://example.com/x.git", "https://169.254.169.254/x.git",
     "https://127.0.0.1/x.git", "git://localhost/x.git", "https://[::1]/x.git"],
)  # fmt: skip
def test_local_sources_are_refused_unless_the_operator_allows_them(alice, ctx, url):
    builds = attrs.evolve(ctx.service.config.builds, allow_local=False)
    object.__setattr__(ctx.service, "config", attrs.evolve(ctx.service.config, builds=builds))
    answer = alice.declare("app", source={"url": url})
    assert answer.status_code == 422, answer.json
    assert answer.json["problems"][0]["path"] == "$.source.url"


def test_the_apprepository_component_declares_a_source_without_showing_its_token(
    alice, source_url, repository
):
    repository({"index.html": "x\n"})
    component = {"tag": "apprepository", "name": "app",
                 "attributes": {"url": source_url, "ref": "main", "token": TOKEN}}  # fmt: skip
    answer = alice.declare("app", components=[component])
    assert answer.status_code == 201, answer.json
    assert answer.json["source"]["token_set"] is True and answer.json["source"]["ref"] == "main"
    assert TOKEN not in answer.text
    both = alice.declare("app2", components=[component], source={"url": source_url})
    assert both.status_code == 422


def test_builds_of_an_assembly_that_is_not_built_from_source_or_of_another_project(
    alice, bob, repository, source_url
):
    alice.declare("plain")
    answer = alice.post("/v3/builds", {"assembly": "plain"})
    assert answer.status_code == 422 and answer.json["problems"][0]["path"] == "$.assembly"
    assert alice.post("/v3/builds", {"assembly": "nothing"}).status_code == 404
    repository({"index.html": "x\n"})
    alice.declare("app", source={"url": source_url})
    (build,) = builds_of(alice, "app")
    assert bob.get(f"/v3/builds/{build['id']}").status_code == 404
    assert bob.get(f"/v3/builds/{build['id']}/log").status_code == 404
    assert bob.post(f"/v3/builds/{build['id']}/cancel").status_code == 404
    assert bob.get("/v3/builds").json["items"] == []


class Heard:
    """A plugin that keeps what the event hook hands it."""

    def __init__(self):
        self.events = []

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        self.events.append((event.reason, event.assembly, bool(project_id)))


def test_a_rollback_runs_an_earlier_image_again_without_a_rebuild(
    ctx, alice, make_reconciler, repository, source_url, until
):
    heard = Heard()
    ctx.plugins.register(heard)
    first = repository({"index.html": "one\n"})
    uri = alice.declare("app", source={"url": source_url}).json["uri"]
    reconciler = make_reconciler()
    rollback = f"{uri}/rollback"
    assert alice.post(rollback, {}).status_code == 409  # nothing released yet
    until(lambda: alice.get(uri).json["release"], lambda: settle(reconciler))
    one = alice.get(uri).json["release"]
    assert alice.post(rollback, {}).status_code == 409  # nothing before revision 1
    repository({"index.html": "two\n"})
    alice.post("/v3/builds", {"assembly": "app"})
    until(lambda: (alice.get(uri).json["release"] or {}).get("revision") == 2,
          lambda: settle(reconciler))  # fmt: skip
    until(lambda: [i.get("revision") for i in alice.get(uri).json["status"]["instances"]] == [2],
          lambda: settle(reconciler))  # fmt: skip
    builds_before = len(builds_of(alice, "app"))

    answer = alice.post(rollback, {})
    assert answer.status_code == 200, answer.json
    assert (answer.json["revision"], answer.json["commit"]) == (1, first)
    assert alice.get(uri).json["release"] == one
    until(lambda: [i.get("revision") for i in alice.get(uri).json["status"]["instances"]] == [1],
          lambda: settle(reconciler))  # fmt: skip
    assert len(builds_of(alice, "app")) == builds_before  # nothing was rebuilt
    events = [e["reason"] for e in alice.get(f"{uri}/events").json["items"]]
    assert "RolledBack" in events
    assert ("RolledBack", "app", True) in heard.events  # the plugins are told too
    assert alice.post(rollback, {"revision": 7}).status_code == 409
    assert alice.post(rollback, {"revision": "x"}).status_code == 422
    assert alice.post("/v3/assembly/asm-0000000000000000/rollback", {}).status_code == 404
    # By id, the assembly is found in whichever of the caller's projects it is.
    assert alice.post("/v3/projects", {"name": "second"}).status_code == 201
    other = alice.declare("other", project="second", source={"url": source_url}).json["uri"]
    elsewhere = alice.post(f"{other}/rollback", {})
    assert elsewhere.status_code == 409 and "has no release" in elsewhere.json["description"]
