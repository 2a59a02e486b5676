"""End to end on the Compute peer: API -> store -> reconciler -> `gce` driver -> peer, and back.

The peer's instance documents follow the recorded
`fixtures/zones_us-central1-a_instances_node-name.json` (RUNNING, with a
ONE_TO_ONE_NAT access config), a stopped one the recorded
`zones_us_central1_a_instances_stopped_node.json` (status TERMINATED).
"""

from __future__ import annotations

import pytest

from vertice_core import builtins
from vertice_drivers.testkit import TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow

PROJECT, ZONE = "vertice-test", "us-central1-a"


def test_an_assembly_lives_its_whole_life_on_gce(
    alice,
    gce_region,
    make_reconciler,
    converge,
    phases,
    compute,
    peer_instance,
    peer_instances,
    driver_calls,
):
    gce_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="gce-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    (item,) = peer_instances({"vertice-assembly": body["id"]})
    assert shown["cloud_id"] == item["name"] == shown["key"]  # named after the key
    nic = item["networkInterfaces"][0]
    assert shown["public_ipv4"] == nic["accessConfigs"][0]["natIP"] != ""
    assert shown["private_ipv4"] == nic["networkIP"] != ""
    assert item["machineType"].endswith("/machineTypes/n1-standard-1")  # `small`, mapped
    assert item["labels"]["vertice-key"] == shown["key"]
    assert item["labels"]["vertice-installation"].startswith("vti-")
    metadata = {i["key"]: i["value"] for i in item["metadata"]["items"]}
    assert metadata["ssh-keys"] == f"vertice:{TEST_PUBLIC_KEY}"
    assert (
        metadata["user-data"].startswith("#cloud-config")
        and TEST_PUBLIC_KEY in metadata["user-data"]
    )
    # One insert, carrying GCE's idempotency token.
    (request_id,) = compute.sent_request_ids()
    assert len(request_id) == 36

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert peer_instance(item["name"])["status"] == "TERMINATED"  # GCE's word for stopped

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert peer_instance(item["name"])["status"] == "RUNNING"

    def resets() -> int:
        return compute.count("instances.reset")

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: resets() == 1 and phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert resets() == 1
    assert driver_calls(reconciler, "reboot") == 1

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    assert peer_instance(item["name"]) is None  # GCE forgets a deleted instance
    assert compute.count("instances.insert") == 1
    assert driver_calls(reconciler, "create") == 1


def test_a_ghost_is_deleted_and_foreign_instances_are_never_touched(
    ctx, alice, gce_region, make_reconciler, converge, phases, compute, peer_instance
):
    gce_region()
    installation = builtins.installation_id(ctx.store)
    compute.plant(PROJECT, ZONE, "asm-gone-1", {
        "vertice-installation": installation, "vertice-assembly": "asm-gone",
        "vertice-key": "asm-gone-1", "vertice-project": "prj-x",
    })  # fmt: skip
    compute.plant(PROJECT, ZONE, "someones-pet", {"team": "web"})
    compute.plant(PROJECT, ZONE, "unlabelled", {})
    compute.plant(PROJECT, ZONE, "asm-theirs-1", {
        "vertice-installation": "vti-another-installation", "vertice-assembly": "asm-theirs",
        "vertice-key": "asm-theirs-1",
    })  # fmt: skip

    uri = alice.declare("web", region="gce-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and not peer_instance("asm-gone-1"))
    for _ in range(3):
        reconciler.run_pass()
    for name in ("someones-pet", "unlabelled", "asm-theirs-1"):
        assert peer_instance(name)["status"] == "RUNNING", name
    assert compute.targets("instances.delete") == {"asm-gone-1"}
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


def test_what_happens_behind_vertices_back_is_undone(
    alice, gce_region, make_reconciler, converge, phases, compute, peer_instance
):
    gce_region()
    uri = alice.declare("web", region="gce-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]
    name = first["cloud_id"]
    first_id = peer_instance(name)["id"]

    compute.set_status(PROJECT, ZONE, name, "TERMINATED")  # a host event stopped it
    converge(
        reconciler,
        lambda: compute.count("instances.start") == 1 and phases() == {"RUNNING": 1},
    )
    compute.set_status(PROJECT, ZONE, name, "SUSPENDED")  # someone suspended it
    converge(
        reconciler,
        lambda: compute.count("instances.resume") == 1 and phases() == {"RUNNING": 1},
    )
    assert peer_instance(name)["id"] == first_id

    with compute.lock:  # someone deleted it: GCE simply stops listing it
        del compute.instances[(PROJECT, ZONE, name)]
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and (peer_instance(name) or {"id": first_id})["id"] != first_id
            and alice.get(uri).json["status"]["instances"][0]["state"] == "running"
        ),
    )
    (second,) = alice.get(uri).json["status"]["instances"]
    # The same key, so the same name; the first request id replays a finished insert whose
    # instance is gone, so the driver inserts again under a request id derived from it.
    assert second["key"] == first["key"] and second["cloud_id"] == name
    first_rid, *later = compute.sent_request_ids()
    assert later and later[-1] != first_rid
    assert compute.count("instances.insert", "ok") == 3  # first, the replay, the new insert
    assert len(compute.instances) == 1
