"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

No recording holds an ARM error reply, so the peer writes ARM's documented
`CloudError` shape (`{"error": {"code", "message"}}`, which azure-core parses)
with Azure's own codes and wording: 409 OperationNotAllowed for a core quota,
404 PlatformImageNotFound, 400 InvalidResourceReference, 403
AuthorizationFailed, 429, 503. Token refusals are Microsoft Entra's
(`invalid_client`, AADSTS7000215). Successful replies follow the recorded files
as in the other tests (VM GET/PUT of the SDK's recorded exchange, the recorded
instance view and NIC).
"""

from __future__ import annotations

import attrs
import pytest

from azure_arm_peer.account import CLIENT, SECRET, TENANT
from vertice_testing.scenarios import (
    outage_is_retried_until_back,
    rejected_credentials_show,
    replace_credentials,
    throttling_is_backed_off,
)

# The error paths are the driver's and the loop's, not the database's: the lifecycle test
# runs on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_a_core_quota_fails_the_assembly_with_azures_words_and_the_loop_goes_on(
    alice, azure_region, azure, make_reconciler, converge, phases
):
    azure_region()
    azure.arm.cores_quota = 0  # Azure answers 409 OperationNotAllowed, naming the quota
    uri = alice.declare("web", region="azure-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]  # the simulated `local` region
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert "OperationNotAllowed" in shown["message"] and "Current Limit: 0" in shown["message"]
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert azure.count("virtualMachines.createOrUpdate") == 1

    azure.arm.cores_quota = 8
    alice.replace(uri, "/description", "the quota was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_a_secret_the_tenant_refuses_shows_until_the_admin_fixes_it(
    admin, alice, azure_region, azure, make_reconciler, converge, phases
):
    azure_region(secret=SECRET + "-expired")
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "azure-test", reconciler, converge)
    assert "AADSTS7000215" in message
    assert azure.count("virtualMachines.list") == 0  # no token, no Resource Manager call

    replace_credentials(
        admin, "azure-test", {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET}
    )
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_principal_without_a_role_is_reported_as_an_auth_failure(
    alice, azure_region, azure, make_reconciler, converge, synced
):
    azure_region()
    azure.forbidden.add(CLIENT)  # its calls get 403 AuthorizationFailed
    uri = alice.declare("web", region="azure-test").headers["location"]
    converge(make_reconciler(), lambda: synced(alice, uri).get("reason") == "AuthFailed")
    assert "403 AuthorizationFailed" in synced(alice, uri)["message"]


def test_throttling_is_retried_with_backoff_until_it_works(
    alice, azure_region, azure, make_reconciler, converge, phases, fast_settings
):
    azure_region()
    azure.fail(
        "virtualMachines.createOrUpdate", status=429, code="TooManyRequests",
        message="The request is being throttled.", times=3,
    )  # fmt: skip
    uri = alice.declare("web", region="azure-test").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, backoff_base=0.4, backoff_cap=5.0))
    throttling_is_backed_off(
        alice, uri, reconciler, converge, phases,
        says="429 TooManyRequests", attempts=lambda: azure.times("virtualMachines.createOrUpdate"),
    )  # fmt: skip


THROTTLED_ACTION = (
    "Operation 'deallocate' is not allowed: the number of requests exceeded the limit. "
    "Retry after the time given in Retry-After."
)


def test_a_throttled_action_waits_its_retry_after_then_works(
    alice, azure_region, azure, make_reconciler, converge, phases, synced, fast_settings
):
    # Compute answers start/stop/restart with 429 OperationNotAllowed and a Retry-After.
    azure_region()
    uri = alice.declare("web", region="azure-test").headers["location"]
    # A tiny backoff: only the Retry-After can space the attempts by seconds.
    quick = attrs.evolve(fast_settings, backoff_base=0.01, backoff_cap=5.0)
    reconciler = make_reconciler(quick)
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    azure.fail(
        "virtualMachines.deallocate", status=429, code="OperationNotAllowed",
        message=THROTTLED_ACTION, headers={"Retry-After": "2"}, times=1,
    )  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "Throttled")
    shown = synced(alice, uri)
    assert "429 OperationNotAllowed" in shown["message"] and "retrying in 2s" in shown["message"]
    converge(reconciler, lambda: phases() == {"STOPPED": 1}, timeout=30)
    first, second = azure.times("virtualMachines.deallocate")[:2]
    assert second - first >= 1.9, (first, second)


def test_a_throttled_listing_backs_the_region_off_for_its_retry_after(
    alice, azure_region, azure, make_reconciler, converge, phases, fast_settings
):
    azure_region()
    uri = alice.declare("web", region="azure-test").headers["location"]
    quick = attrs.evolve(fast_settings, backoff_base=0.01, backoff_cap=5.0)
    reconciler = make_reconciler(quick)
    azure.fail(
        "virtualMachines.list", status=429, code="TooManyRequests",
        message="The request is being throttled.", headers={"Retry-After": "2"}, times=1,
    )  # fmt: skip
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
    first, second = azure.times("virtualMachines.list")[:2]
    assert second - first >= 1.9, (first, second)
    assert alice.status(uri)["phase"] == "RUNNING"


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, azure_region, azure, make_reconciler, converge, phases
):
    azure_region()
    uri = alice.declare("web", region="azure-test").headers["location"]
    outage_is_retried_until_back(alice, uri, azure, make_reconciler(), converge, phases)


def test_server_errors_slow_replies_and_a_vm_not_known_yet_are_retried(
    alice, azure_region, azure, make_reconciler, converge, phases, synced
):
    azure_region(read_timeout=0.5)
    uri = alice.declare("web", region="azure-test").headers["location"]
    reconciler = make_reconciler()
    azure.fail("virtualMachines.list", status=503, code="ServiceUnavailable", times=1)
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert azure.count("virtualMachines.list", "ServiceUnavailable") == 1

    azure.fail("virtualMachines.listAll", delay=3.0, times=1)  # longer than the read timeout
    alice.replace(uri, "/description", "look again")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "CloudUnavailable")
    assert "cannot be reached" in synced(alice, uri)["message"]
    converge(reconciler, lambda: synced(alice, uri).get("status") == "True")

    # A VM Azure does not know (yet): 404 ResourceNotFound, as ARM words it.
    azure.fail(
        "virtualMachines.deallocate", status=404, code="ResourceNotFound", times=1,
        message="The Resource 'Microsoft.Compute/virtualMachines/x' was not found.",
    )  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert azure.count("virtualMachines.deallocate") >= 2


def test_a_vm_whose_provisioning_fails_is_replaced(
    alice, azure_region, azure, make_reconciler, converge, phases
):
    azure_region()
    # Azure accepts the PUT (201), then the operation ends Failed and the VM shows
    # ProvisioningState/failed: a broken VM, deleted and made again under a new key.
    azure.fail("virtualMachines.createOrUpdate", operation_error="AllocationFailed", times=1)
    uri = alice.declare("web", region="azure-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and len(azure.arm.vms) == 1)
    (shown,) = alice.status(uri)["instances"]
    assert shown["key"].endswith("-2")
    (first,) = azure.targets("virtualMachines.delete")
    assert first.endswith("-1")


@pytest.mark.parametrize(
    ("settings", "reason", "named"),
    [
        ({"images": {}}, "ImageNotMapped", "1_virtualmachine_ubuntu"),
        ({"vm_sizes": {"small": "Standard_Nope"}}, "InvalidParameter", "Standard_Nope"),
        (
            {"images": {"1_virtualmachine_ubuntu": "Canonical:NoSuchOffer:1:latest"}},
            "PlatformImageNotFound",
            "Canonical:NoSuchOffer:1:latest",
        ),
        ({"subnet": "missing"}, "InvalidResourceReference", "subnets/missing"),
    ],
)
def test_what_the_region_cannot_launch_fails_with_a_clear_reason(
    alice, azure_region, make_reconciler, converge, phases, settings, reason, named
):
    azure_region(**settings)
    uri = alice.declare("web", region="azure-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == reason
    assert named in shown["message"]


def test_a_resource_group_that_does_not_exist_is_a_region_problem(
    alice, azure_region, azure, make_reconciler, converge, synced, phases
):
    azure_region()
    azure.fail(
        "virtualMachines.list", status=404, code="ResourceGroupNotFound",
        message="Resource group 'vertice-rg' could not be found.",
    )  # fmt: skip
    uri = alice.declare("web", region="azure-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "ResourceGroupNotFound")
    assert "could not be found" in synced(alice, uri)["message"]
    azure.clear()  # the administrator made the group
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
