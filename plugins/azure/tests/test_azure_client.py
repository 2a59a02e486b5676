"""Azure's errors become vertice's: the table, then real azure-core exceptions from the peer.

Error replies are ARM's `CloudError` shape (`{"error": {"code", "message"}}`; no
recording holds one) and Microsoft Entra's token errors (`invalid_client`...).
The token reply follows the recorded `fixtures/azure_arm/_77777777_..._oauth2_token.json`.
"""

from __future__ import annotations

import attrs
import pytest

from vertice_core.errors import (
    AuthFailed,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_azure.client import CREATE, classify, location_of
from vertice_drivers.testkit import default_spec

START = "virtualMachines.start"


@pytest.mark.parametrize(
    ("status", "code", "message", "action", "kind", "reason"),
    [
        (401, "InvalidAuthenticationToken", "", START, AuthFailed, "AuthFailed"),
        (401, "ExpiredAuthenticationToken", "", START, AuthFailed, "AuthFailed"),
        (403, "AuthorizationFailed", "", START, AuthFailed, "AuthFailed"),
        (403, "", "", START, AuthFailed, "AuthFailed"),
        (429, "TooManyRequests", "", START, Throttled, "Throttled"),
        (429, "SubscriptionRequestsThrottled", "", CREATE, Throttled, "Throttled"),
        # Compute throttles start/stop/restart with 429 OperationNotAllowed.
        (429, "OperationNotAllowed", "too many requests", START, Throttled, "Throttled"),
        (429, "OperationNotAllowed", "", "virtualMachines.powerOff", Throttled, "Throttled"),
        (429, "OperationNotAllowed", "", "virtualMachines.restart", Throttled, "Throttled"),
        (409, "QuotaExceeded", "", CREATE, QuotaExceeded, "QuotaExceeded"),
        (409, "OperationNotAllowed", "exceeding approved cores quota", CREATE, QuotaExceeded,
         "QuotaExceeded"),
        (409, "OperationNotAllowed", "", CREATE, QuotaExceeded, "QuotaExceeded"),
        (409, "OperationNotAllowed", "the quota of cores", START, QuotaExceeded, "QuotaExceeded"),
        # On a verb, OperationNotAllowed is a VM in the wrong state: it will pass.
        (409, "OperationNotAllowed", "the VM is deallocated", START, TransientError,
         "OperationNotAllowed"),
        (409, "SkuNotAvailable", "", CREATE, QuotaExceeded, "QuotaExceeded"),
        (409, "AllocationFailed", "", START, QuotaExceeded, "QuotaExceeded"),
        (409, "ZonalAllocationFailed", "", CREATE, QuotaExceeded, "QuotaExceeded"),
        (404, "ResourceNotFound", "", START, TransientError, "InstanceNotFound"),
        (404, "NotFound", "", START, TransientError, "InstanceNotFound"),
        (404, "", "", START, TransientError, "InstanceNotFound"),
        (404, "ResourceGroupNotFound", "", START, UnavailableError, "ResourceGroupNotFound"),
        (404, "SubscriptionNotFound", "", START, UnavailableError, "SubscriptionNotFound"),
        (409, "MissingSubscriptionRegistration", "", CREATE, UnavailableError,
         "MissingSubscriptionRegistration"),
        (404, "PlatformImageNotFound", "", CREATE, TerminalError, "PlatformImageNotFound"),
        (400, "InvalidParameter", "", CREATE, TerminalError, "InvalidParameter"),
        (400, "InvalidResourceReference", "", CREATE, TerminalError, "InvalidResourceReference"),
        (409, "PropertyChangeNotAllowed", "", CREATE, TransientError, "PropertyChangeNotAllowed"),
        (409, "Conflict", "", START, TransientError, "Conflict"),
        (500, "InternalServerError", "", START, TransientError, "CloudUnavailable"),
        (503, "ServiceUnavailable", "", START, TransientError, "CloudUnavailable"),
        (200, "RetryableError", "", START, TransientError, "CloudUnavailable"),
    ],
)  # fmt: skip
def test_arm_errors_are_classified(status, code, message, action, kind, reason):
    error = classify(status, code, message or "details", action)
    assert type(error) is kind
    assert error.reason == reason
    assert code in error.message and action in error.message


def no_azure_inside(error: BaseException) -> None:
    seen: BaseException | None = error
    while seen is not None:
        assert not type(seen).__module__.startswith(("azure.", "msal")), type(seen)
        seen = seen.__cause__ or seen.__context__


def test_real_sdk_errors_are_translated_and_carry_nothing_of_azure(azure, make_driver):
    driver = make_driver()
    azure.fail(START, status=404, code="ResourceNotFound", message="gone")
    with pytest.raises(TransientError) as raised:
        driver.start("nothing-here")
    assert raised.value.reason == "InstanceNotFound" and "404 ResourceNotFound" in str(raised.value)
    no_azure_inside(raised.value)

    driver.delete("nothing-here")  # ARM answers 204 No Content: already gone
    azure.fail("virtualMachines.delete", status=404, code="ResourceNotFound", message="gone")
    driver.delete("nothing-here")  # a 404 is the same success

    azure.fail("virtualMachines.list", status=409, code="OperationNotAllowed", message="busy")
    with pytest.raises(TransientError) as raised:
        driver.observe()
    no_azure_inside(raised.value)


def test_token_problems_are_told_apart(azure, make_driver, closed_port):
    refused = make_driver(secret="wrong")
    with pytest.raises(AuthFailed) as raised:
        refused.observe()
    assert "AADSTS7000215" in str(raised.value)
    no_azure_inside(raised.value)

    for status in (503, 500, 429):  # the authority is having a bad day
        azure.fail("token", status=status, message="A transient error has occurred.", times=1)
        with pytest.raises(TransientError) as transient:
            make_driver().observe()
        assert "the authority" in str(transient.value), status

    away = make_driver(authority=f"https://127.0.0.1:{closed_port}")
    with pytest.raises(TransientError) as unreachable:
        away.observe()
    assert "authority cannot be reached" in str(unreachable.value)

    stale = make_driver()
    stale.observe()
    azure.tokens.clear()  # the token was revoked: Resource Manager says 401
    with pytest.raises(AuthFailed) as revoked:
        stale.observe()
    assert "InvalidAuthenticationToken" in str(revoked.value)


def test_a_token_is_asked_for_the_endpoints_own_audience(azure, make_driver):
    driver = make_driver()
    driver.observe()
    # The peer refuses any other scope than `<its URL>/.default` (AADSTS70011).
    assert azure.count("token") == 1
    driver.observe()
    assert azure.count("token") == 1  # cached until it expires


def test_a_misconfigured_region_is_refused_by_the_driver(azure, make_driver):
    with pytest.raises(UnavailableError) as raised:
        make_driver(endpoint="http://127.0.0.1:1")  # ARM sends bearer tokens over TLS only
    assert raised.value.reason == "RegionMisconfigured"
    assert "is not an https:// URL" in str(raised.value)
    with pytest.raises(UnavailableError) as raised:
        make_driver(ca_bundle="/nowhere/ca.pem")
    assert "is not a file" in str(raised.value)
    driver = make_driver()
    region = attrs.evolve(driver.region, provider_region="West Europe")
    with pytest.raises(UnavailableError) as raised:
        location_of(region)
    assert "is not an Azure location" in str(raised.value)


def test_a_name_taken_by_someone_else_is_terminal(azure, make_driver):
    subnet = azure.arm.add_subnet("vertice-rg", "vertice-net", "default")
    with azure.lock:
        azure.arm.plant("vertice-rg", "asm-taken-1", {"team": "web"}, "eastus", subnet)
    driver = make_driver()
    with pytest.raises(TerminalError) as raised:
        driver.create(default_spec(driver.region.installation_id, "asm-taken-1"))
    assert raised.value.reason == "NameTaken"
    assert azure.count(CREATE) == 0  # never PUT over someone else's VM
