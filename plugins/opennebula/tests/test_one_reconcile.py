"""End to end on the peer: API -> store -> reconciler -> `opennebula` driver -> oned, and back.

The peer's VM documents follow `one_xsd/vm.xsd` and `python_oca_fixtures/vm.xml`
(see `one_documents.py`); its actions follow oned's DispatchManager.
"""

from __future__ import annotations

import base64

import pytest

from vertice_core import builtins
from vertice_drivers.testkit import TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow

ACTIVE, POWEROFF, DONE, RUNNING, SUSPENDED = 3, 8, 6, 3, 5


# oned on MySQL searches; on SQLite (its default) 6.10+ refuses the search filter.
@pytest.mark.parametrize("backend", ["mysql", "sqlite"])
def test_an_assembly_lives_its_whole_life_on_opennebula(
    alice, one_region, make_reconciler, converge, phases, peer, cloud, driver_calls, backend
):
    peer.backend = backend
    one_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="one-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    vm = cloud.vms[int(shown["cloud_id"])]
    nics = {nic["NETWORK_ID"]: nic["IP"] for nic in vm.template["NIC"]}
    assert shown["private_ipv4"] == nics["0"] != ""
    assert shown["public_ipv4"] == nics["1"] != ""
    assert vm.user_template["VERTICE_KEY"] == shown["key"]
    assert vm.user_template["VERTICE_ASSEMBLY"] == body["id"]
    assert vm.user_template["VERTICE_INSTALLATION"].startswith("vti-")
    assert vm.name == f"web-{shown['key']}"
    assert vm.template["TEMPLATE_ID"] == "0"  # the template of 1_virtualmachine_ubuntu
    assert (vm.template["VCPU"], vm.template["MEMORY"]) == ("1", "1024")  # flavor `small`
    context = vm.template["CONTEXT"]
    assert context["SSH_PUBLIC_KEY"] == TEST_PUBLIC_KEY
    user_data = base64.b64decode(context["USER_DATA"]).decode()
    assert user_data.startswith("#cloud-config") and TEST_PUBLIC_KEY in user_data

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert (vm.state, peer.actions(vm.id)[-1]) == (POWEROFF, ("poweroff", "ok"))

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert (vm.state, vm.lcm, peer.actions(vm.id)[-1]) == (ACTIVE, RUNNING, ("resume", "ok"))

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: vm.reboots == 1 and phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert vm.reboots == 1 and driver_calls(reconciler, "reboot") == 1

    # The hard way: a power cycle, then a power-off, each once, without ACPI.
    alice.patch(
        uri,
        [
            {"op": "replace", "path": "/restart_mode", "value": "hard"},
            {"op": "replace", "path": "/restart_count", "value": 2},
        ],
    )
    converge(reconciler, lambda: vm.reboots == 2 and phases() == {"RUNNING": 1})
    alice.patch(
        uri,
        [
            {"op": "replace", "path": "/stop_mode", "value": "hard"},
            {"op": "replace", "path": "/desired_state", "value": "stopped"},
        ],
    )
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    hard = [a for a, _ in peer.actions(vm.id) if a.endswith("-hard")]
    assert hard == ["reboot-hard", "poweroff-hard"]

    # Suspended: its memory saved, then restored where it was (no boot), each once.
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    alice.patch(
        uri,
        [
            {"op": "replace", "path": "/stop_mode", "value": "suspend"},
            {"op": "replace", "path": "/desired_state", "value": "stopped"},
        ],
    )
    converge(reconciler, lambda: phases() == {"STOPPED": 1} and vm.state == SUSPENDED)
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert (vm.state, vm.lcm, vm.reboots) == (ACTIVE, RUNNING, 2)
    assert peer.actions(vm.id)[-2:] == [("suspend", "ok"), ("resume", "ok")]
    assert [a for a, _ in peer.actions(vm.id)].count("suspend") == 1

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    assert vm.state == DONE
    assert [v.id for v in cloud.vms.values()] == [vm.id]  # one VM for the whole life
    assert peer.count("one.template.instantiate") == 1
    assert alice.get(uri).status_code == 404
    refused = peer.count("one.vmpool.infoextended", "0x2000")
    assert refused == (1 if backend == "sqlite" else 0)  # remembered for the region


def test_a_ghost_is_removed_and_unmarked_vms_are_never_touched(
    ctx, alice, one_region, make_reconciler, converge, phases, peer, plant, managed
):
    one_region()
    installation = builtins.installation_id(ctx.store)
    ghost = plant("ghost", **managed(installation, "asm-gone", "asm-gone-1"))
    pet = plant("someones-pet")
    neighbour = plant("theirs", **managed("vti-another-installation", "asm-x", "asm-x-1"))

    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and ghost.state == DONE)
    for _ in range(3):
        reconciler.run_pass()
    assert (pet.state, pet.lcm) == (ACTIVE, RUNNING)
    assert (neighbour.state, neighbour.lcm) == (ACTIVE, RUNNING)
    assert peer.actions(pet.id) == [] and peer.actions(neighbour.id) == []
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"
    events = alice.get(f"{uri}/events").json
    assert all("ghost" not in str(e).lower() for e in events)  # the ghost is nobody's


def test_what_happens_behind_vertices_back_is_undone(
    alice, one_region, make_reconciler, converge, phases, oneadmin, peer, cloud, driver_calls
):
    one_region()
    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]
    vm_id = int(first["cloud_id"])

    oneadmin.vm.action("poweroff", vm_id)  # the guest shut down, or its host rebooted
    converge(
        reconciler,
        lambda: driver_calls(reconciler, "start") == 1 and phases() == {"RUNNING": 1},
    )
    assert alice.get(uri).json["status"]["instances"][0]["cloud_id"] == first["cloud_id"]

    cloud.set_state(vm_id, ACTIVE, 36)  # BOOT_FAILURE: OpenNebula could not boot it again
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and alice.get(uri).json["status"]["instances"][0]["cloud_id"] != first["cloud_id"]
            and cloud.vms[vm_id].state == DONE  # the broken VM is deleted, a new one replaces it
        ),
    )
    assert peer.actions(vm_id)[-1] == ("terminate", "ok")

    (second,) = alice.get(uri).json["status"]["instances"]
    oneadmin.vm.action("terminate-hard", int(second["cloud_id"]))  # someone deleted it
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and alice.get(uri).json["status"]["instances"][0]["cloud_id"] != second["cloud_id"]
        ),
    )
    live = [vm.id for vm in cloud.vms.values() if vm.state != DONE]
    assert live == [int(alice.get(uri).json["status"]["instances"][0]["cloud_id"])]
