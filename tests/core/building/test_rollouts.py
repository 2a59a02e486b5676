"""A new revision that never runs everywhere, ready, by its deadline is failed and undone;
one that does is left alone (`vertice_core.building.rollouts`), on the sim region.

The sim region accepts only the images its `images` setting lists: once revision 1
runs, the region is told to accept its image alone, so revision 2's instances can never
be created, as a revision whose image is broken."""

from __future__ import annotations

import attrs
import pytest

from vertice_core.building.rollouts import Verdict, judge
from vertice_core.config import BuildSettings, Config
from vertice_core.store.tables import BuildRow

from .test_builds import builds_of, phase, settle

#: Seconds a revision has to roll out here.
TIMEOUT = 1.5


@pytest.fixture
def config(config: Config) -> Config:
    """The building tests' installation, with a short rollout deadline."""
    return attrs.evolve(config, builds=attrs.evolve(config.builds, rollout_timeout=TIMEOUT))


def revisions(api, uri):
    return [i.get("revision") for i in api.get(uri).json["status"]["instances"]]


def running_revision_one(api, uri):
    return [i for i in api.get(uri).json["status"]["instances"]
            if i.get("revision") == 1 and i["state"] == "running"]  # fmt: skip


@pytest.fixture
def strict(admin):
    """A sim region `strict`; `strict(images)` makes it accept only those images."""
    body = {"name": "strict", "cloud_type": "sim", "settings": {}}
    assert admin.post("/v3/regions", body).status_code == 201

    def only(images: list[str]) -> None:
        answer = admin.put("/v3/regions/strict", {**body, "settings": {"images": images}})
        assert answer.status_code == 200, answer.json

    return only


def test_a_revision_that_never_runs_is_failed_and_the_previous_one_released_again(
    alice, ctx, make_reconciler, repository, source_url, until, strict
):
    repository({"index.html": "one\n"})
    uri = alice.declare("app", region="strict", replicas=2,
                        source={"url": source_url}).json["uri"]  # fmt: skip
    reconciler = make_reconciler()
    until(lambda: revisions(alice, uri) == [1, 1] and phase(alice, uri)[0] == "RUNNING",
          lambda: settle(reconciler))  # fmt: skip
    one = alice.get(uri).json["release"]
    strict([one["image"]])  # revision 2's image will be refused

    repository({"index.html": "two\n"})
    assert alice.post("/v3/builds", {"assembly": "app"}).status_code == 201
    serving = []

    def step() -> None:
        settle(reconciler)
        serving.append(len(running_revision_one(alice, uri)))

    until(lambda: builds_of(alice, "app")[0]["state"] == "failed", step, timeout=30)
    two = builds_of(alice, "app")[0]
    assert (two["revision"], two["reason"]) == (2, "RolloutFailed")
    assert "did not run everywhere, ready, in time" in two["message"]
    assert alice.get(uri).json["release"] == one  # released again, not rebuilt
    assert min(serving) == 2  # revision 1 served throughout, on both instances
    events = alice.get(f"{uri}/events").json["items"]
    failed = [e for e in events if e["reason"] == "RolloutFailed"]
    assert len(failed) == 1 and failed[0]["type"] == "Warning"
    assert "revision 1 (build" in failed[0]["message"]
    until(lambda: revisions(alice, uri) == [1, 1] and phase(alice, uri)[0] == "RUNNING",
          lambda: settle(reconciler))  # fmt: skip
    assert len(builds_of(alice, "app")) == 2  # nothing rebuilt
    # a failed revision is not one a rollback goes back to
    assert alice.post(f"{uri}/rollback", {"revision": 2}).status_code == 409


def test_a_revision_that_runs_everywhere_in_time_is_left_alone(
    alice, ctx, make_reconciler, repository, source_url, until
):
    repository({"index.html": "one\n"})
    uri = alice.declare("app", replicas=2, source={"url": source_url}).json["uri"]
    reconciler = make_reconciler()
    until(lambda: revisions(alice, uri) == [1, 1], lambda: settle(reconciler))
    repository({"index.html": "two\n"})
    alice.post("/v3/builds", {"assembly": "app"})
    until(lambda: revisions(alice, uri) == [2, 2] and phase(alice, uri)[0] == "RUNNING",
          lambda: settle(reconciler))  # fmt: skip
    two = builds_of(alice, "app")[0]
    with ctx.store.read() as session:
        assert session.get(BuildRow, two["id"]).rollout_deadline is not None  # judged later

    def judged() -> bool:
        with ctx.store.read() as session:
            return session.get(BuildRow, two["id"]).rollout_deadline is None

    until(judged, lambda: settle(reconciler), timeout=10)
    assert builds_of(alice, "app")[0]["state"] == "succeeded"
    assert alice.get(uri).json["release"]["revision"] == 2
    reasons = [e["reason"] for e in alice.get(f"{uri}/events").json["items"]]
    assert "RolloutFailed" not in reasons


def test_a_first_release_and_a_rollback_have_no_deadline_and_a_moved_release_is_moot(
    alice, ctx, make_reconciler, repository, source_url, until
):
    repository({"index.html": "one\n"})
    uri = alice.declare("app", source={"url": source_url}).json["uri"]
    reconciler = make_reconciler(builds=BuildSettings(allow_local=True, rollout_timeout=3600))
    until(lambda: revisions(alice, uri) == [1], lambda: settle(reconciler))
    repository({"index.html": "two\n"})
    alice.post("/v3/builds", {"assembly": "app"})
    until(lambda: revisions(alice, uri) == [2], lambda: settle(reconciler))
    assert alice.post(f"{uri}/rollback", {}).status_code == 200
    with ctx.store.read() as session:
        rows = {r.revision: r for r in session.query(BuildRow).all()}
    assert rows[1].rollout_deadline is None  # a first release (and the rollback's target)
    assert rows[2].rollout_deadline is not None

    with ctx.store.write() as session:
        assert judge(session, session.get(BuildRow, rows[2].id)) is Verdict.MOOT
    with ctx.store.read() as session:
        assert session.get(BuildRow, rows[2].id).rollout_deadline is None
    assert builds_of(alice, "app")[0]["state"] == "succeeded"  # not failed: it moved on
