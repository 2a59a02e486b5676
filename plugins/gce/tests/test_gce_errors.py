"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

Error replies are written in the shape of the recorded
`fixtures/zones_us-central1-b_instances_libcloud-lb-demo-www-002.json`
(`{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`);
failed operations in the shape of the recorded
`zones_us_central1_a_operations_operation_setMachineType_notstopped.json`
(`error.errors[].code`, `httpErrorStatusCode`). Authentication failures come
from the peer itself: it checks the signature of every call against the keys
it knows.
"""

from __future__ import annotations

import attrs
import pytest

from vertice_testing.scenarios import (
    outage_is_retried_until_back,
    rejected_credentials_show,
    replace_credentials,
    throttling_is_backed_off,
)

# The error paths are the driver's and the loop's, not the database's: the lifecycle tests
# run on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

QUOTA = "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."


def test_quota_fails_the_assembly_with_the_reason_and_the_loop_goes_on(
    alice, gce_region, compute, make_reconciler, converge, phases
):
    gce_region()
    compute.fail("instances.insert", status=403, reason="quotaExceeded", message=QUOTA)
    uri = alice.declare("web", region="gce-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]  # the simulated `local` region
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert "quotaExceeded" in shown["message"] and "Limit: 24.0" in shown["message"]
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert compute.count("instances.insert") == 1

    compute.clear()
    alice.replace(uri, "/description", "the quota was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_a_quota_the_operation_reports_later_fails_the_assembly_too(
    alice, gce_region, compute, make_reconciler, converge, phases
):
    # GCE accepts the insert and fails its operation (QUOTA_EXCEEDED, HTTP 403 inside).
    gce_region(failed_insert_window=60.0)
    compute.fail("instances.insert", operation_error="QUOTA_EXCEEDED")
    uri = alice.declare("web", region="gce-test").headers["location"]
    reconciler = make_reconciler()
    # After the grace period the reconciler creates again: the same request id replays the
    # failed operation, and its error becomes the assembly's reason.
    converge(reconciler, lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded" and "QUOTA_EXCEEDED" in shown["message"]
    assert len(set(compute.sent_request_ids())) == 1

    compute.clear()
    compute.skew = -120.0  # the failure is older than the window now
    alice.replace(uri, "/description", "the quota was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert len(set(compute.sent_request_ids())) == 2  # the retry went out under a new id


def test_throttling_is_retried_with_backoff_until_it_works(
    alice, gce_region, compute, make_reconciler, converge, phases, fast_settings
):
    gce_region()
    compute.fail(
        "instances.insert", status=429, reason="rateLimitExceeded",
        message="Rate Limit Exceeded", times=3,
    )  # fmt: skip
    uri = alice.declare("web", region="gce-test").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, backoff_base=0.4, backoff_cap=5.0))
    throttling_is_backed_off(
        alice, uri, reconciler, converge, phases,
        says="rateLimitExceeded", attempts=lambda: compute.times("instances.insert"),
    )  # fmt: skip


def test_a_key_the_cloud_does_not_know_shows_until_the_admin_fixes_it(
    admin, alice, gce_region, compute, make_reconciler, converge, phases,
    rogue_service_account, service_account,
):  # fmt: skip
    gce_region(key_json=rogue_service_account.json)
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "gce-test", reconciler, converge)
    assert "401 authError" in message

    replace_credentials(admin, "gce-test", {"service_account_json": service_account.json})
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_key_without_permissions_is_reported_as_an_auth_failure(
    alice, gce_region, compute, make_reconciler, converge, synced, service_account
):
    gce_region()
    compute.forbidden.add(service_account.email)
    uri = alice.declare("web", region="gce-test").headers["location"]
    converge(make_reconciler(), lambda: synced(alice, uri).get("reason") == "AuthFailed")
    assert "403 forbidden" in synced(alice, uri)["message"]


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, gce_region, compute, make_reconciler, converge, phases
):
    gce_region()
    uri = alice.declare("web", region="gce-test").headers["location"]
    outage_is_retried_until_back(alice, uri, compute, make_reconciler(), converge, phases)


def test_server_errors_slow_replies_and_a_not_yet_known_instance_are_retried(
    alice, gce_region, compute, make_reconciler, converge, phases, synced
):
    gce_region(timeout=0.5)
    uri = alice.declare("web", region="gce-test").headers["location"]
    reconciler = make_reconciler()
    compute.fail("instances.list", status=503, reason="backendError", times=1)
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert compute.count("instances.list", "backendError") == 1

    compute.fail("instances.list", delay=3.0, times=1)  # longer than the region's timeout
    alice.replace(uri, "/description", "look again")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "CloudUnavailable")
    assert "timed out" in synced(alice, uri)["message"]
    converge(reconciler, lambda: synced(alice, uri).get("status") == "True")

    # An instance GCE does not know (yet): the recorded 404 reply of instances.get.
    gone = "zones_us-central1-b_instances_libcloud-lb-demo-www-002.json"
    compute.fail("instances.stop", status=404, body_file=gone, times=1)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert compute.count("instances.stop") >= 2


@pytest.mark.parametrize(
    ("settings", "reason", "named"),
    [
        ({"images": {}}, "ImageNotMapped", "1_virtualmachine_ubuntu"),
        ({"machine_types": {"small": "n9-imaginary-1"}}, "Invalid", "n9-imaginary-1"),
        (
            {"images": {"1_virtualmachine_ubuntu": "projects/debian-cloud/global/images/nope"}},
            "ResourceNotFound",
            "images/nope",
        ),
    ],
)
def test_what_the_region_cannot_launch_fails_with_a_clear_reason(
    alice, gce_region, make_reconciler, converge, phases, settings, reason, named
):
    gce_region(**settings)
    uri = alice.declare("web", region="gce-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == reason
    assert named in shown["message"]
