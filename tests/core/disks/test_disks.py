"""Disks end to end (issue 14, day 2): the API, the reconciler and the simulated cloud.

A disk is declared through the API (202, no cloud call), made by the disk
controller in the sim, attached to its assembly's instance, grown, detached and
deleted, each seen in the sim's own table; it follows its instance when the
instance is replaced; deleting its assembly detaches and keeps it (or deletes it,
asked `with_disks`). A disk declared while the cloud is down is made once it is
back, once; a pass that died after its create call finds the disk it made.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.core.snapshots.test_snapshots import Recorder, running
from vertice_core.store.repositories import RegionRepository
from vertice_drivers.simdisks import make_table

#: Seconds the sim takes to boot an instance and to make a disk.
BOOT = 0.2


def declare(api, name="data", **fields) -> dict[str, Any]:
    """Declare a disk in `local`; the 202's document."""
    answer = api.post("/v3/disks", {"name": name, "region": "local", "size_gb": 1, **fields})
    assert answer.status_code == 202, answer.json
    assert answer.headers["location"] == answer.json["uri"]
    return answer.json


def change(api, uri, body) -> Any:
    """PATCH a disk with a change document."""
    return api.client.simulate_patch(uri, json=body, headers=api.headers())


def settle(reconciler, api, uri, accept, timeout=30.0) -> dict[str, Any]:
    """Run assembly and disk passes until the disk at `uri` is accepted (`accept(doc)`,
    or None: gone); its document."""
    deadline = time.monotonic() + timeout
    while True:
        found = api.get(uri)
        if accept is None and found.status_code == 404:
            return {}
        if accept is not None and found.status_code == 200 and accept(found.json):
            document: dict[str, Any] = found.json
            return document
        assert time.monotonic() < deadline, found.json
        reconciler.run_pass()
        reconciler.run_disk_pass()
        time.sleep(0.02)


def cloud_disks(sim_cloud) -> list[dict[str, Any]]:
    """The disks the sim holds (its table made if none was ever made)."""
    make_table(sim_cloud)
    return sim_cloud.read("SELECT id, name, size_gb, attached_to FROM disks ORDER BY created_at")


def reasons(api, uri) -> list[str]:
    """The disk events of the assembly at `uri`."""
    return [e["reason"] for e in api.get(f"{uri}/events").json["items"]
            if e["reason"].startswith("Disk")]  # fmt: skip


def attached(cloud_id: str):
    return lambda d: d["phase"] == "ATTACHED" and d["observed"]["attached_to"] == cloud_id


@pytest.fixture
def recorder(ctx):
    plugin = Recorder("Disk")
    ctx.plugins.register(plugin)
    return plugin


def test_a_disk_is_made_attached_grown_detached_and_deleted(
    alice, make_reconciler, converge, configure_sim, sim_cloud, recorder
):
    configure_sim(boot_time=BOOT)
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    (instance,) = alice.status(uri)["instances"]
    asked = declare(alice, attach={"assembly": "web-1"})
    assert (asked["phase"], asked["size_gb"], asked["cloud_id"]) == ("PENDING", 1, "")
    assert asked["attach"]["assembly"]["name"] == "web-1" and asked["id"].startswith("dk-")
    assert cloud_disks(sim_cloud) == []  # no cloud call in the request

    made = settle(reconciler, alice, asked["uri"], attached(instance["cloud_id"]))
    (disk,) = cloud_disks(sim_cloud)
    assert (disk["id"], disk["name"], disk["size_gb"], disk["attached_to"]) == (
        made["cloud_id"], asked["id"], 1, instance["cloud_id"])  # fmt: skip
    assert made["observed"]["device"] == "/dev/vdb"
    assert reasons(alice, uri) == ["DiskAttached"]
    assert [d["id"] for d in alice.get(f"{uri}/disks").json["items"]] == [asked["id"]]
    assert [d["id"] for d in alice.get("/v3/disks", params={"assembly": "web-1"}).json[
        "items"]] == [asked["id"]]  # fmt: skip

    grown = change(alice, asked["uri"], {"size_gb": 3})
    assert (grown.status_code, grown.json["size_gb"]) == (202, 3), grown.json
    settle(reconciler, alice, asked["uri"], lambda d: d["observed"]["size_gb"] == 3)
    assert cloud_disks(sim_cloud)[0]["size_gb"] == 3
    shrink = change(alice, asked["uri"], {"size_gb": 2})
    assert shrink.status_code == 422 and "never shrink" in shrink.json["problems"][0]["message"]

    assert change(alice, asked["uri"], {"detach": True}).status_code == 202
    free = settle(reconciler, alice, asked["uri"], lambda d: d["phase"] == "AVAILABLE")
    assert free["attach"] is None and cloud_disks(sim_cloud)[0]["attached_to"] == ""
    assert reasons(alice, uri) == ["DiskAttached", "DiskResized", "DiskDetached"]

    deleting = alice.delete(asked["uri"])
    assert (deleting.status_code, deleting.json["phase"]) == (202, "DELETING")
    assert alice.delete(asked["uri"]).status_code == 202  # again: a no-op
    settle(reconciler, alice, asked["uri"], None)
    assert cloud_disks(sim_cloud) == []
    assert alice.get("/v3/disks").json["items"] == []
    assert [(e.reason, e.project) for e in recorder.events][-1] == ("DiskDeleted", asked["project"])


def test_an_attached_disk_is_deleted_detached_first_and_follows_a_replaced_instance(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(boot_time=BOOT)
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    (first,) = alice.status(uri)["instances"]
    asked = declare(alice, attach={"assembly": "web-1", "instance": 0})
    settle(reconciler, alice, asked["uri"], attached(first["cloud_id"]))
    alice.replace(uri, "/replace_count", 1)

    def replaced() -> bool:
        status = alice.status(uri)
        ids = [i["cloud_id"] for i in status["instances"]]
        return status["phase"] == "RUNNING" and len(ids) == 1 and ids != [first["cloud_id"]]

    converge(reconciler, replaced)
    (second,) = alice.status(uri)["instances"]
    moved = settle(reconciler, alice, asked["uri"], attached(second["cloud_id"]))
    assert cloud_disks(sim_cloud)[0]["attached_to"] == second["cloud_id"]
    assert moved["cloud_id"] == cloud_disks(sim_cloud)[0]["id"]  # the same disk, moved
    assert alice.delete(asked["uri"]).status_code == 202  # attached: detached, then deleted
    settle(reconciler, alice, asked["uri"], None)
    assert cloud_disks(sim_cloud) == []


def test_deleting_an_assembly_detaches_its_disks_and_keeps_them_unless_asked(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(boot_time=BOOT)
    reconciler = make_reconciler()
    uri = running(alice, reconciler, converge)
    (instance,) = alice.status(uri)["instances"]
    kept = declare(alice, "kept", attach={"assembly": "web-1"})
    settle(reconciler, alice, kept["uri"], attached(instance["cloud_id"]))
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    free = settle(reconciler, alice, kept["uri"], lambda d: d["phase"] == "AVAILABLE")
    assert free["attach"] is None and free["observed"]["attached_to"] == ""
    assert [d["name"] for d in cloud_disks(sim_cloud)] == [kept["id"]]

    other = running(alice, reconciler, converge, "web-2")
    (instance,) = alice.status(other)["instances"]
    assert change(alice, kept["uri"], {"attach": {"assembly": "web-2"}}).status_code == 202
    settle(reconciler, alice, kept["uri"], attached(instance["cloud_id"]))
    orphan = alice.delete(other, params={"orphan": "true", "with_disks": "true"})
    assert orphan.status_code == 422 and "with_disks" in orphan.json["description"]
    assert alice.delete(other, params={"with_disks": "true"}).status_code == 202
    assert alice.get(kept["uri"]).json["phase"] == "DELETING"
    settle(reconciler, alice, kept["uri"], None)
    assert cloud_disks(sim_cloud) == []


def test_a_disk_declared_while_the_cloud_is_down_is_made_once_it_is_back(
    alice, make_reconciler, configure_sim, sim_cloud
):
    reconciler = make_reconciler()
    configure_sim(transient_error_rate=1.0)
    asked = declare(alice)
    for _ in range(3):  # failing passes, backed-off ones
        for result in reconciler.run_disk_pass():
            assert result.error is not None or result.calls == 0, result
        time.sleep(0.06)
    assert cloud_disks(sim_cloud) == []
    waiting = alice.get(asked["uri"]).json
    assert waiting["phase"] == "PENDING" and "injected transient error" in waiting["message"]
    assert "retrying in" in waiting["message"]
    configure_sim()
    made = settle(reconciler, alice, asked["uri"], lambda d: d["phase"] == "AVAILABLE")
    assert made["message"] == ""
    assert [d["id"] for d in cloud_disks(sim_cloud)] == [made["cloud_id"]]  # one, not two
    for _ in range(3):
        reconciler.run_disk_pass()
    assert len(cloud_disks(sim_cloud)) == 1


def test_a_pass_that_died_after_the_create_call_finds_the_disk_it_made(
    ctx, alice, make_reconciler, sim_cloud
):
    """The disk is named after its vertice id: the next pass finds it, makes none."""
    reconciler = make_reconciler()
    asked = declare(alice)
    with ctx.store.read() as session:
        driver = reconciler.disks.drivers.get(RegionRepository(session).get("local"))
    made_before = driver.create_disk(asked["id"], 1)  # the call, no write
    made = settle(reconciler, alice, asked["uri"], lambda d: d["phase"] == "AVAILABLE")
    assert made["cloud_id"] == made_before.id
    assert len(cloud_disks(sim_cloud)) == 1


def test_a_disk_waits_for_the_instance_it_should_be_attached_to(
    alice, make_reconciler, converge, configure_sim
):
    configure_sim(boot_time=BOOT)
    reconciler = make_reconciler()
    uri = alice.declare("later", replicas=2).headers["location"]
    asked = declare(alice, attach={"assembly": "later", "instance": 1})
    for _ in range(50):  # disk passes only: the assembly has no instance yet
        reconciler.run_disk_pass()
        if alice.get(asked["uri"]).json["phase"] == "AVAILABLE":
            break
        time.sleep(0.02)
    waiting = alice.get(asked["uri"]).json
    assert waiting["phase"] == "AVAILABLE", waiting
    assert waiting["message"] == "waiting for instance 1 of its assembly to run"
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    instance = alice.status(uri)["instances"][1]
    settle(reconciler, alice, asked["uri"], attached(instance["cloud_id"]))
