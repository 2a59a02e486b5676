"""The ghost VM of the design document: oned acknowledges a delete and the VM runs on.

OpenNebula "shows VMs being deleted but we find ghost VMs running". The peer
reproduces it per VM: `ignored` actions are acknowledged (`[true, id, 0]`) and
not carried out; `refused` actions are answered as oned answers for a VM whose
host is lost, `[false, "[one.vm.action] Error getting host [N].", 0x400, N]`
(Request.cc's NO_EXISTS format, recorded in `vm_state_codes.json`): the same
code as "no such VM", which a driver must not take for a successful delete.

The reconciler must keep deleting, escalating from `terminate` to
`terminate-hard`, until oned shows the VM DONE, and only then remove the
assembly.
"""

from __future__ import annotations

import time

import pytest

from vertice_core import builtins

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

ACTIVE, RUNNING, DONE = 3, 3, 6


def test_an_acknowledged_delete_is_escalated_and_the_assembly_goes_only_with_the_vm(
    alice, one_region, make_reconciler, converge, phases, peer, cloud, synced
):
    one_region()
    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    vm = cloud.vms[int(alice.get(uri).json["status"]["instances"][0]["cloud_id"])]
    vm.ignored = {"terminate"}  # acknowledged, never carried out
    vm.refused = {"terminate-hard": 3}  # its host is unreachable for a while
    cloud.step = 0.2  # a slow epilog: the assembly must outlive it

    assert alice.delete(uri).status_code == 202
    reconciler.run_pass()
    reasons, states_when_gone = [], []

    def gone() -> bool:
        if phases() == {}:
            states_when_gone.append((vm.state, vm.lcm))
            return True
        condition = synced(alice, uri)
        reasons.append((alice.get(uri).json["status"]["phase"], condition.get("reason"),
                        condition.get("message", "")))  # fmt: skip
        return False

    converge(reconciler, gone, timeout=30)
    assert states_when_gone == [(DONE, 0)]  # removed only once oned shows the VM DONE
    assert peer.actions(vm.id) == [
        ("terminate", "ok"),  # acknowledged, the VM runs on
        ("terminate-hard", "0x400"),  # "Error getting host"
        ("terminate-hard", "0x400"),
        ("terminate-hard", "0x400"),
        ("terminate-hard", "ok"),  # the host is back: SHUTDOWN skipped, EPILOG, DONE
    ]
    assert "VERTICE_TERMINATE_REQUESTED" in vm.user_template  # the escalation's clock
    assert all(phase == "DELETING" for phase, _, _ in reasons)
    refused = [message for _, reason, message in reasons if reason == "HostUnavailable"]
    assert refused and "Error getting host" in refused[0] and "still there" in refused[0]


def test_a_vm_oned_never_deletes_keeps_its_assembly_deleting(
    alice, one_region, make_reconciler, converge, phases, peer, cloud
):
    one_region()
    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    vm = cloud.vms[int(alice.get(uri).json["status"]["instances"][0]["cloud_id"])]
    vm.ignored = {"terminate", "terminate-hard"}

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: len(peer.actions(vm.id)) >= 6)
    assert (vm.state, vm.lcm) == (ACTIVE, RUNNING)
    assert phases() == {"DELETING": 1}  # never DELETED while the VM runs
    assert {action for action, _ in peer.actions(vm.id)} == {"terminate", "terminate-hard"}

    vm.ignored = set()  # an operator repaired oned
    converge(reconciler, lambda: phases() == {})
    assert vm.state == DONE


def test_a_ghost_on_a_lost_host_is_removed_once_oned_can_reach_it(
    ctx, alice, one_region, make_reconciler, converge, phases, peer, cloud, plant, managed
):
    one_region()
    installation = builtins.installation_id(ctx.store)
    ghost = plant("ghost", **managed(installation, "asm-gone", "asm-gone-1"))
    ghost.ignored = {"terminate"}
    ghost.refused = {"terminate-hard": 2}
    deadline = time.monotonic() + 5
    while (ghost.state, ghost.lcm) != (ACTIVE, RUNNING) and time.monotonic() < deadline:
        cloud.tick()  # booted before vertice looks at the cloud
        time.sleep(0.01)

    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and ghost.state == DONE)
    assert peer.actions(ghost.id) == [
        ("terminate", "ok"),
        ("terminate-hard", "0x400"),
        ("terminate-hard", "0x400"),
        ("terminate-hard", "ok"),
    ]
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"
