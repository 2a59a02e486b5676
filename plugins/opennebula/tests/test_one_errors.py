"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

The peer produces oned's answers (`[false, message, code, id]`, messages in the
formats of `vm_state_codes.json`, i.e. Request.cc's `failure_response`):
AUTHENTICATION for a wrong password, AUTHORIZATION for a read-only user,
NO_EXISTS for a missing template or VM, ALLOCATE or AUTHORIZATION for an
exhausted quota,
LOCKED and ACTION when told to; an HTTP 503 as a proxy before oned would; a
reply held back past the read timeout; and no answer at all once stopped.
"""

from __future__ import annotations

import pytest

from vertice_testing.scenarios import (
    outage_is_retried_until_back,
    rejected_credentials_show,
    replace_credentials,
)

# The error paths are the driver's and the loop's, not the database's: the lifecycle test
# runs on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_quota_fails_the_assembly_with_the_reason_and_the_loop_goes_on(
    alice, one_region, peer, cloud, make_reconciler, converge, phases
):
    one_region()
    cloud.vm_quota = 0  # ALLOCATE (0x4000), as oned's quota check answers
    uri = alice.declare("web", region="one-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]  # the simulated `local` region
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert "limit of 0 reached for VMS quota" in shown["message"] and "0x4000" in shown["message"]
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert peer.count("one.template.instantiate") == 1

    cloud.vm_quota = None
    alice.replace(uri, "/description", "the quota was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_a_quota_oned_answers_as_authorization_fails_that_assembly_not_the_region(
    alice, one_region, peer, cloud, make_reconciler, converge, phases, synced
):
    # oned's quota authorization answers AUTHORIZATION (0x200) with the bare quota message.
    one_region()
    cloud.vm_quota, cloud.quota_code = 1, 0x200
    web = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    over = alice.declare("db", region="one-test").headers["location"]
    converge(reconciler, lambda: phases() == {"RUNNING": 1, "FAILED": 1})
    shown = alice.status(over)
    assert shown["reason"] == "QuotaExceeded"
    assert "limit of 1 reached for VMS quota" in shown["message"] and "0x200" in shown["message"]
    assert peer.count("one.template.instantiate", "0x200") == 1
    for _ in range(3):  # terminal for that create: not tried again
        reconciler.run_pass()
    assert peer.count("one.template.instantiate", "0x200") == 1

    # The region is not taken for one with bad credentials: its other assemblies go on.
    alice.replace(web, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1, "FAILED": 1})
    assert synced(alice, web)["status"] == "True"
    assert alice.delete(web).status_code == 202
    converge(reconciler, lambda: phases() == {"FAILED": 1})
    alice.replace(over, "/description", "room was made")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})


def test_rejected_credentials_show_on_the_assembly_until_the_admin_fixes_them(
    admin, alice, one_region, peer, make_reconciler, converge, phases
):
    one_region(credentials={"user": "oneadmin", "password": "not-the-password"})
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "one-test", reconciler, converge)
    assert "User couldn't be authenticated" in message

    replace_credentials(admin, "one-test", {"user": "oneadmin", "password": "opennebula"})
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_user_without_the_right_to_create_is_reported_as_not_authorized(
    alice, one_region, make_reconciler, converge, synced, peer
):
    one_region(credentials={"user": "viewer", "password": "viewer"})  # may list, not create
    uri = alice.declare("web", region="one-test").headers["location"]
    converge(make_reconciler(), lambda: synced(alice, uri).get("reason") == "NotAuthorized")
    assert "not authorized to perform action" in synced(alice, uri)["message"]
    assert peer.count("one.template.instantiate", "0x200") >= 1


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, one_region, peer, make_reconciler, converge, phases
):
    one_region()
    uri = alice.declare("web", region="one-test").headers["location"]
    outage_is_retried_until_back(alice, uri, peer, make_reconciler(), converge, phases)


def test_server_errors_and_a_slow_oned_are_retried(
    alice, one_region, peer, make_reconciler, converge, phases, synced
):
    one_region(read_timeout=0.5)
    peer.fail("*", http_status=503, times=3)  # a proxy before oned: 503 Service Unavailable
    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert sum(1 for _, _, outcome in peer.calls if outcome == "http 503") == 3

    peer.fail("one.vmpool.infoextended", delay=3.0, times=1)  # past the read timeout
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: "did not answer in time" in synced(alice, uri).get("message", ""))
    assert synced(alice, uri)["reason"] == "CloudUnavailable"
    converge(reconciler, lambda: phases() == {"STOPPED": 1}, timeout=30)


def test_a_locked_or_vanished_vm_is_retried(
    alice, one_region, peer, make_reconciler, converge, phases, synced
):
    one_region()
    uri = alice.declare("web", region="one-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    vm_id = int(alice.status(uri)["instances"][0]["cloud_id"])

    # Request.cc's LOCKED format: "[<method>] The resource <object> is locked. [<id>]."
    locked = f"[one.vm.action] The resource virtual machine is locked. [{vm_id}]."
    peer.fail("one.vm.action", code=0x8000, message=locked, times=2)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "Locked")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert peer.count("one.vm.action", "0x8000") == 2

    # NO_EXISTS for the VM itself, for a moment (a read that raced an operator's recover).
    missing = f"[one.vm.info] Error getting virtual machine [{vm_id}]."
    peer.fail("one.vm.info", code=0x400, message=missing, times=1)
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})


@pytest.mark.parametrize(
    ("settings", "reason", "named"),
    [
        ({"templates": {}}, "ImageNotMapped", "1_virtualmachine_ubuntu"),
        ({"templates": {"1_virtualmachine_ubuntu": 42}}, "TemplateNotFound", "VM template [42]"),
    ],
)
def test_a_template_the_region_cannot_instantiate_fails_with_a_clear_reason(
    alice, one_region, make_reconciler, converge, phases, settings, reason, named
):
    one_region(**settings)
    uri = alice.declare("web", region="one-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == reason
    assert named in shown["message"]
