"""Snapshots end to end (issue 14, day 2): the API, the reconciler and the simulated cloud.

A snapshot is asked for through the API (202, no cloud call), made by the snapshot
controller in the sim (its image pending, then available), restored into a new
assembly whose instance the sim launched from that image, and deleted (gone in the
sim and in the API). Another project's snapshot is a 404 and cannot be restored; a
region whose installed driver does not claim `snapshot` is a 422 naming it and the
cloud type; a snapshot asked for while the cloud is down is made once it is back,
once; an assembly's deletion keeps its snapshots.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from vertice_core.hooks import hookimpl
from vertice_core.store.repositories import RegionRepository
from vertice_drivers.simimages import SimImages

#: Seconds the sim takes to boot an instance and to copy a disk (pending, then available).
COPY = 0.3


def running(api, reconciler, converge, name="web-1", **fields) -> str:
    """Declare an assembly and run passes until it runs; its URI."""
    answer = api.declare(name, **fields)
    assert answer.status_code == 201, answer.json
    uri = answer.headers["location"]
    converge(reconciler, lambda: api.status(uri)["phase"] == "RUNNING")
    return uri


def ask(api, uri, name, **fields) -> dict[str, Any]:
    """Ask for a snapshot of the assembly at `uri`; the 202's document."""
    answer = api.post(f"{uri}/snapshots", {"name": name, **fields})
    assert answer.status_code == 202, answer.json
    assert answer.headers["location"] == answer.json["uri"]
    return answer.json


def images(sim_cloud) -> list[dict[str, Any]]:
    """The images the sim holds (its table made if no snapshot was ever made)."""
    SimImages(sim_cloud)
    return sim_cloud.read("SELECT id, name, instance_id FROM images ORDER BY created_at")


def reasons(api, uri) -> list[str]:
    return [e["reason"] for e in api.get(f"{uri}/events").json["items"]
            if e["reason"].startswith("Snapshot")]  # fmt: skip


class Recorder:
    """A notifier plugin that keeps the events the hook is handed whose reason starts
    with `prefix` (`Snapshot`: `SnapshotCreated`...)."""

    def __init__(self, prefix: str = "Snapshot") -> None:
        self.prefix = prefix
        self.events: list[Any] = []

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        if event.reason.startswith(self.prefix):
            self.events.append(event)


@pytest.fixture
def recorder(ctx):
    plugin = Recorder()
    ctx.plugins.register(plugin)
    return plugin


def test_a_snapshot_is_made_restored_and_deleted(
    alice, make_reconciler, converge, configure_sim, sim_cloud, recorder, settle
):
    configure_sim(boot_time=COPY)
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    (instance,) = alice.status(uri)["instances"]
    asked = ask(alice, uri, "before-upgrade")
    assert (asked["phase"], asked["image_id"], asked["instance"], asked["region"]) == (
        "PENDING", "", 0, "local")  # fmt: skip
    assert asked["assembly"]["name"] == "web-1" and asked["id"].startswith("sn-")
    assert images(sim_cloud) == []  # no cloud call in the request

    reconciler.run_snapshot_pass()
    creating = alice.get(asked["uri"]).json
    assert creating["phase"] == "CREATING" and creating["image_id"].startswith("sim-img-")
    available = settle(reconciler, alice, asked["uri"], "AVAILABLE")
    (image,) = images(sim_cloud)
    assert (image["id"], image["name"], image["instance_id"]) == (
        available["image_id"], asked["id"], instance["cloud_id"])  # fmt: skip
    assert reasons(alice, uri) == ["SnapshotCreated"]
    assert [(e.reason, e.assembly, e.project) for e in recorder.events] == [
        ("SnapshotCreated", "web-1", asked["project"])]  # fmt: skip

    listed = alice.get("/v3/snapshots").json["items"]
    assert [s["name"] for s in listed] == ["before-upgrade"]
    assert alice.get("/v3/snapshots", params={"assembly": "web-1"}).json["items"] == listed
    assert alice.get(f"{uri}/snapshots").json["items"] == listed
    assert alice.get("/v3/snapshots", params={"assembly": "other"}).json["items"] == []

    restored = alice.declare("web-2", snapshot="before-upgrade")
    assert restored.status_code == 201, restored.json
    assert restored.json["snapshot"] == "before-upgrade"
    assert alice.get(uri).json["snapshot"] is None
    new = restored.headers["location"]
    converge(reconciler, lambda: alice.status(new)["phase"] == "RUNNING")
    (launched,) = alice.status(new)["instances"]
    row = sim_cloud.get("default", launched["cloud_id"], time.time())
    assert row["image"] == available["image_id"]  # launched from the snapshot's image

    in_use = alice.delete(asked["uri"])
    assert in_use.status_code == 409 and "web-2" in in_use.json["description"]
    assert alice.delete(new).status_code == 202
    deleting = alice.delete(asked["uri"])
    assert (deleting.status_code, deleting.json["phase"]) == (202, "DELETING")
    assert alice.delete(asked["uri"]).status_code == 202  # again: a no-op
    settle(reconciler, alice, asked["uri"], None)
    assert images(sim_cloud) == []
    assert alice.get("/v3/snapshots").json["items"] == []
    assert reasons(alice, uri) == ["SnapshotCreated", "SnapshotDeleted"]


def test_what_cannot_be_snapshotted_or_restored_is_refused(
    alice, admin, make_reconciler, converge, settle
):
    declared = alice.declare("idle").headers["location"]
    not_yet = alice.post(f"{declared}/snapshots", {"name": "s"})
    assert not_yet.status_code == 409 and "not been observed" in not_yet.json["description"]
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    beyond = alice.post(f"{uri}/snapshots", {"name": "s", "instance": 3})
    assert beyond.status_code == 422
    assert [p["path"] for p in beyond.json["problems"]] == ["$.instance"]
    for body, path in (({"name": "a b"}, "$.name"), ({}, "$.name"),
                       ({"name": "s", "colour": "red"}, "$.colour"),
                       ({"name": "s", "instance": -1}, "$.instance")):  # fmt: skip
        refused = alice.post(f"{uri}/snapshots", body)
        assert refused.status_code == 422, body
        assert path in [p["path"] for p in refused.json["problems"]], refused.json
    pending = ask(alice, uri, "s")
    assert alice.post(f"{uri}/snapshots", {"name": "s"}).status_code == 409  # name taken
    not_made = alice.declare("from-s", snapshot="s")
    assert not_made.status_code == 422
    (problem,) = not_made.json["problems"]
    assert problem["path"] == "$.snapshot" and "PENDING, not AVAILABLE" in problem["message"]
    settle(reconciler, alice, pending["uri"], "AVAILABLE")
    missing = alice.declare("from-x", snapshot="no-such-snapshot")
    assert [p["path"] for p in missing.json["problems"]] == ["$.snapshot"]
    # another region: the image is only in `local`
    assert admin.post("/v3/regions", {"name": "far", "cloud_type": "sim"}).status_code == 201
    elsewhere = alice.declare("from-far", region="far", snapshot="s")
    assert elsewhere.status_code == 422
    assert "is in region 'local'" in elsewhere.json["problems"][0]["message"]
    assert alice.delete(uri).status_code == 202
    gone = alice.post(f"{uri}/snapshots", {"name": "t"})
    assert gone.status_code == 409 and "being deleted" in gone.json["description"]


def test_a_driver_without_the_capability_is_a_422_naming_it_and_the_cloud_type(alice, bare_region):
    """An installed driver that does not claim `snapshot` (SoftLayer's): its capabilities
    are read from its metadata; nothing is loaded, nothing is called."""
    uri = alice.declare("on-one", region=bare_region).headers["location"]
    refused = alice.post(f"{uri}/snapshots", {"name": "s"})
    assert refused.status_code == 422, refused.json
    description = refused.json["description"]
    assert "'softlayer'" in description and "'snapshot'" in description
    assert alice.get("/v3/snapshots").json["items"] == []


def test_another_projects_snapshot_is_a_404_and_cannot_be_restored(
    alice, bob, admin, make_reconciler, converge, settle
):
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    made = settle(reconciler, alice, ask(alice, uri, "mine")["uri"], "AVAILABLE")
    assert bob.get(made["uri"]).status_code == 404
    assert bob.delete(made["uri"]).status_code == 404
    assert bob.get("/v3/snapshots").json["items"] == []
    assert bob.get(f"{uri}/snapshots").status_code == 404
    assert bob.post(f"{uri}/snapshots", {"name": "theirs"}).status_code == 404
    assert bob.post(f"{uri}/snapshots", {"colour": "red"}).status_code == 404  # whatever the body
    for ref in ("mine", made["id"]):
        stolen = bob.declare("stolen", snapshot=ref)
        assert stolen.status_code == 422
        assert stolen.json["problems"][0]["message"] == f"the project has no snapshot {ref!r}"
    assert [s["id"] for s in admin.get("/v3/snapshots").json["items"]] == [made["id"]]
    assert alice.get(made["uri"]).json["phase"] == "AVAILABLE"


def test_a_snapshot_asked_for_while_the_cloud_is_down_is_made_once_it_is_back(
    alice, make_reconciler, converge, configure_sim, sim_cloud, settle
):
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    configure_sim(transient_error_rate=1.0)
    asked = ask(alice, uri, "during-outage")
    for _ in range(3):  # failing passes, backed-off ones and resyncs with nothing due
        for result in reconciler.run_snapshot_pass():
            assert result.error is not None or result.calls == 0, result
        time.sleep(0.06)
    assert images(sim_cloud) == []  # nothing made while the cloud is down
    waiting = alice.get(asked["uri"]).json
    assert waiting["phase"] == "PENDING"
    assert "injected transient error" in waiting["message"], waiting
    assert "retrying in" in waiting["message"]
    configure_sim()
    made = settle(reconciler, alice, asked["uri"], "AVAILABLE")
    assert made["message"] == ""
    assert [i["id"] for i in images(sim_cloud)] == [made["image_id"]]  # one image, not two
    for _ in range(3):
        reconciler.run_snapshot_pass()
    assert reasons(alice, uri) == ["SnapshotCreated"]  # once


def test_a_pass_that_died_after_the_call_adopts_the_image_it_made(
    ctx, alice, make_reconciler, converge, sim_cloud, settle
):
    """The image is named after the snapshot's id: the next pass finds it, makes none."""
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    asked = ask(alice, uri, "crashed")
    (instance,) = alice.status(uri)["instances"]
    with ctx.store.read() as session:
        region = RegionRepository(session).get("local")
        driver = reconciler.snapshots.drivers.get(region)
    made_before = driver.snapshot(instance["cloud_id"], asked["id"])  # the call, no write
    available = settle(reconciler, alice, asked["uri"], "AVAILABLE")
    assert available["image_id"] == made_before.id
    assert len(images(sim_cloud)) == 1


def test_deleting_an_assembly_keeps_its_snapshots(
    alice, make_reconciler, converge, sim_cloud, settle
):
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    made = settle(reconciler, alice, ask(alice, uri, "keep-me")["uri"], "AVAILABLE")
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    kept = alice.get(made["uri"]).json
    assert (kept["phase"], kept["image_id"], kept["assembly"]["name"]) == (
        "AVAILABLE", made["image_id"], "web-1")  # fmt: skip
    assert [s["id"] for s in alice.get(f"{uri}/snapshots").json["items"]] == [made["id"]]
    assert len(images(sim_cloud)) == 1
    again = alice.declare("web-1", snapshot="keep-me")  # restored under the old name
    assert again.status_code == 201, again.json


def test_deleting_an_assembly_with_its_snapshots_deletes_them_unless_one_is_in_use(
    alice, make_reconciler, converge, sim_cloud, settle
):
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    first = settle(reconciler, alice, ask(alice, uri, "first")["uri"], "AVAILABLE")
    second = settle(reconciler, alice, ask(alice, uri, "second")["uri"], "AVAILABLE")
    other = running(alice, reconciler, converge, name="other")
    theirs = settle(reconciler, alice, ask(alice, other, "theirs")["uri"], "AVAILABLE")
    restored = alice.declare("from-second", snapshot="second")
    assert restored.status_code == 201, restored.json

    refused = alice.delete(uri, params={"with_snapshots": "true"})
    assert refused.status_code == 409, refused.json
    assert "'second' by from-second" in refused.json["description"]
    assert alice.get(uri).json["desired_state"] == "running"  # nothing changed
    assert {alice.get(s["uri"]).json["phase"] for s in (first, second)} == {"AVAILABLE"}
    both = alice.delete(uri, params={"with_snapshots": "true", "orphan": "true"})
    assert both.status_code == 422 and "orphan" in both.json["description"]

    assert alice.delete(restored.headers["location"]).status_code == 202
    deleting = alice.delete(uri, params={"with_snapshots": "true"})
    assert deleting.status_code == 202, deleting.json
    assert {alice.get(s["uri"]).json["phase"] for s in (first, second)} == {"DELETING"}
    for snapshot in (first, second):
        settle(reconciler, alice, snapshot["uri"], None)
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    assert alice.get(theirs["uri"]).json["phase"] == "AVAILABLE"  # another assembly's: kept
    assert [i["id"] for i in images(sim_cloud)] == [theirs["image_id"]]


def test_a_project_with_snapshots_cannot_go_until_they_are_gone(
    alice, make_reconciler, converge, sim_cloud, settle
):
    """Its snapshots hold images in the cloud: a project deleted with them would leave
    those images owned by nobody."""
    project = alice.post("/v3/projects", {"name": "short-lived"}).json["name"]
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge, name="web-p", project=project)
    made = settle(reconciler, alice, ask(alice, uri, "last-one")["uri"], "AVAILABLE")
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    refused = alice.delete(f"/v3/projects/{project}")
    assert refused.status_code == 409
    assert "still has snapshots (last-one)" in refused.json["description"]
    assert alice.get(f"/v3/projects/{project}").status_code == 200
    assert alice.delete(made["uri"]).status_code == 202
    settle(reconciler, alice, made["uri"], None)
    assert images(sim_cloud) == []
    assert alice.delete(f"/v3/projects/{project}").status_code == 204


def test_a_region_holding_snapshots_is_deleted_only_once_they_are_gone_or_by_retiring_it(
    alice, admin, make_reconciler, converge, settle
):
    assert admin.post("/v3/regions", {"name": "brief", "cloud_type": "sim"}).status_code == 201
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge, name="web-r", region="brief")
    made = settle(reconciler, alice, ask(alice, uri, "in-brief")["uri"], "AVAILABLE")
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    refused = admin.delete("/v3/regions/brief")
    assert refused.status_code == 409
    assert "still holds snapshots: in-brief" in refused.json["description"]
    assert admin.get("/v3/regions/brief").status_code == 200
    retired = admin.delete("/v3/regions/brief", params={"cascade": "orphan"})
    assert retired.status_code == 200, retired.json
    assert alice.get(made["uri"]).status_code == 200  # kept, its image left in the cloud
