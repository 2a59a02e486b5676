"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

moto produces the authentication failures (its IAM checks keys once
authentication is on) and unreachable endpoints (the fault proxy goes down).
It never answers with quota, throttling or server errors, so the fault proxy
answers those in moto's stead with EC2 error envelopes shaped like the
recorded `fixtures/run_instances_idem_mismatch.xml`.
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

# The error paths are the driver's and the loop's, not the database's: the lifecycle and
# crash tests run on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_quota_fails_the_assembly_with_the_reason_and_the_loop_goes_on(
    alice, aws_region, fault_proxy, make_reconciler, converge, phases
):
    aws_region(endpoint=fault_proxy.url)
    fault_proxy.fail(
        "RunInstances", status=400, code="InstanceLimitExceeded",
        message="You have requested more instances (21) than your current instance limit of 20 "
        "allows for the specified instance type.",
    )  # fmt: skip
    uri = alice.declare("web", region="aws-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]  # the simulated `local` region
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert (
        "InstanceLimitExceeded" in shown["message"] and "instance limit of 20" in shown["message"]
    )
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert fault_proxy.count("RunInstances") == 1

    fault_proxy.clear()
    alice.replace(uri, "/description", "the limit was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_throttling_is_retried_with_backoff_until_it_works(
    alice, aws_region, fault_proxy, make_reconciler, converge, phases, fast_settings
):
    aws_region(endpoint=fault_proxy.url)
    fault_proxy.fail(
        "RunInstances", status=503, code="RequestLimitExceeded", message="Request limit exceeded.",
        times=3,
    )  # fmt: skip
    uri = alice.declare("web", region="aws-test").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, backoff_base=0.4, backoff_cap=5.0))
    throttling_is_backed_off(
        alice, uri, reconciler, converge, phases,
        says="RequestLimitExceeded", attempts=lambda: fault_proxy.times("RunInstances"),
    )  # fmt: skip


def test_rejected_credentials_show_on_the_assembly_until_the_admin_fixes_them(
    admin, alice, moto, aws_region, make_reconciler, converge, phases
):
    good_key = moto.iam_key(allow_ec2=True)
    moto.authenticate(True)
    aws_region(credentials={"access_key_id": "AKIAWRONGWRONGWRONG", "secret_access_key": "nope"})
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "aws-test", reconciler, converge)
    assert "AuthFailure" in message

    replace_credentials(admin, "aws-test", good_key)
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_key_without_ec2_permissions_is_reported_as_an_auth_failure(
    alice, moto, aws_region, make_reconciler, converge, synced
):
    weak_key = moto.iam_key(allow_ec2=False)
    moto.authenticate(True)
    aws_region(credentials=weak_key)
    uri = alice.declare("web", region="aws-test").headers["location"]
    converge(make_reconciler(), lambda: synced(alice, uri).get("reason") == "AuthFailed")
    # moto answers AccessDenied where EC2 answers UnauthorizedOperation: both are AuthFailed.
    assert "not authorized" in synced(alice, uri)["message"]


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, aws_region, fault_proxy, make_reconciler, converge, phases
):
    aws_region(endpoint=fault_proxy.url)
    uri = alice.declare("web", region="aws-test").headers["location"]
    outage_is_retried_until_back(alice, uri, fault_proxy, make_reconciler(), converge, phases)


def test_a_server_error_and_a_not_yet_consistent_instance_are_retried(
    alice, aws_region, fault_proxy, make_reconciler, converge, phases, synced
):
    aws_region(endpoint=fault_proxy.url)
    uri = alice.declare("web", region="aws-test").headers["location"]
    reconciler = make_reconciler()
    fault_proxy.fail(
        "DescribeInstances", status=500, code="InternalError",
        message="An internal error has occurred", times=1,
    )  # fmt: skip
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert fault_proxy.count("DescribeInstances", "InternalError") == 1

    # Right after a launch EC2 may not know the instance yet: InvalidInstanceID.NotFound.
    cloud_id = alice.status(uri)["instances"][0]["cloud_id"]
    fault_proxy.fail(
        "StopInstances", status=400, code="InvalidInstanceID.NotFound",
        message=f"The instance ID '{cloud_id}' does not exist", times=1,
    )  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert fault_proxy.count("StopInstances") >= 2


def test_an_unmapped_image_fails_with_a_clear_reason(
    alice, aws_region, make_reconciler, converge, phases
):
    aws_region(images={})
    uri = alice.declare("web", region="aws-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "ImageNotMapped"
    assert "1_virtualmachine_ubuntu" in shown["message"]
