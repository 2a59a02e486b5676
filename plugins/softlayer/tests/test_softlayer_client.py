"""SoftLayer's faults and transport failures onto vertice's errors (client.py).

Fault codes are SoftLayer's exception names; the messages are those SoftLayer's
documentation and the SDK's users quote (sldn's "Exception Handling in the
SoftLayer API", IBM Cloud's troubleshooting pages). The recorded faults
(`fail.xml`, `SoftLayer_Account.xml`) are served in `test_softlayer_driver.py`.
"""

from __future__ import annotations

import pytest
import SoftLayer
from SoftLayer.exceptions import SoftLayerAPIError, TransportError

from vertice_core.errors import (
    AuthFailed,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_softlayer.client import call, translate


@pytest.mark.parametrize(
    ("code", "message", "cls", "reason"),
    [
        ("SoftLayer_Exception_InvalidLegacyToken", "Invalid API token.", AuthFailed, "AuthFailed"),
        ("SoftLayer_Exception_Public", "Invalid API token.", AuthFailed, "AuthFailed"),
        ("SoftLayer_Exception_Public", "No valid authentication headers found.", AuthFailed,
         "AuthFailed"),
        ("SoftLayer_Exception_Public", "Access Denied. ", AuthFailed, "NotAuthorized"),
        ("SoftLayer_Exception_PermissionDenied", "You do not have permission to order.",
         AuthFailed, "NotAuthorized"),
        ("SoftLayer_Exception_ObjectNotFound", "Unable to find object with id of '7'.",
         TransientError, "NotFound"),
        ("SoftLayer_Exception_NotFound", "A billing item is required to process a "
         "cancellation.", TransientError, "NotFound"),
        ("SoftLayer_Exception_WebService_RateLimitExceeded", "Rate limit exceeded.", Throttled,
         "Throttled"),
        ("SoftLayer_Exception_Public", "Rate limit exceeded for this user.", Throttled,
         "Throttled"),  # a rate limit is no quota
        ("SoftLayer_Exception_Public", "Unable to place the order: the maximum number of "
         "virtual guests (20) for this account has been reached.", QuotaExceeded,
         "QuotaExceeded"),
        ("SoftLayer_Exception_Order_QuantityLimitExceeded", "Order limit exceeded.",
         QuotaExceeded, "QuotaExceeded"),
        ("SoftLayer_Exception_Public", "There is insufficient capacity to complete the "
         "request.", QuotaExceeded, "QuotaExceeded"),
        ("SoftLayer_Exception_Public", "Internal Error", TransientError, "CloudUnavailable"),
        ("SoftLayer_Exception_InvalidValue", "Invalid value provided for 'tags'.",
         TerminalError, "InvalidValue"),
        ("SoftLayer_Exception_MissingCreationProperty", "Property 'hostname' must be set.",
         TerminalError, "MissingCreationProperty"),
        ("SoftLayer_Exception_Order_InvalidLocation", "The location provided for this order "
         "is invalid.", TerminalError, "OrderInvalidLocation"),
        ("-32601", "Service does not exist", TerminalError, "InvalidRequest"),
        ("SoftLayer_Exception_Public", "The guest has an active transaction.", TransientError,
         "SoftLayerError"),
        ("SoftLayer_Exception_Virtual_Guest_SomethingNew", "New.", TransientError,
         "VirtualGuestSomethingNew"),
    ],
)  # fmt: skip
def test_faults(code, message, cls, reason):
    error = translate(SoftLayerAPIError(code, message), "createObject")
    assert type(error) is cls
    assert error.reason == reason
    assert code in error.message and " ".join(message.split()) in error.message


@pytest.mark.parametrize(
    ("status", "text", "cls", "reason", "says"),
    [
        (0, "HTTPConnectionPool(host='127.0.0.1'): Read timed out. (read timeout=1)",
         TransientError, "CloudUnavailable", "did not answer in time"),
        (0, "('Connection aborted.', RemoteDisconnected('Remote end closed connection'))",
         TransientError, "CloudUnavailable", "cannot be reached"),
        (401, "401 Client Error: Unauthorized", AuthFailed, "AuthFailed", "HTTP 401"),
        (403, "403 Client Error: Forbidden", AuthFailed, "NotAuthorized", "HTTP 403"),
        (404, "404 Client Error: Not Found", UnavailableError, "RegionMisconfigured",
         "XML-RPC URL"),
        (429, "429 Client Error: Too Many Requests", Throttled, "Throttled", "HTTP 429"),
        (503, "503 Server Error: Service Unavailable", TransientError, "CloudUnavailable",
         "HTTP 503"),
        # A fault sent with HTTP 500 (as IBM's pages quote "...InvalidLocation ... (HTTP 500)"):
        (500, "500 Server Error :: b'<fault>...SoftLayer_Exception_Order_InvalidLocation..."
         "The location provided for this order is invalid.'", TerminalError,
         "OrderInvalidLocation", "HTTP 500"),
    ],
)  # fmt: skip
def test_transport_failures(status, text, cls, reason, says):
    error = translate(TransportError(status, text), "getVirtualGuests")
    assert type(error) is cls
    assert error.reason == reason
    assert says in error.message


def test_no_sdk_exception_leaves_call():
    def failing():
        raise SoftLayerAPIError("SoftLayer_Exception_InvalidLegacyToken", "Invalid API token.")

    with pytest.raises(AuthFailed) as caught:
        call("getVirtualGuests", failing)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_reply_that_is_no_xml_rpc_is_transient():
    import xml.parsers.expat

    def failing():
        raise xml.parsers.expat.ExpatError("syntax error: line 1, column 0")

    with pytest.raises(TransientError, match="unreadable reply"):
        call("getVirtualGuests", failing)


def test_the_public_endpoint_is_the_default(make_driver):
    from vertice_driver_softlayer.client import endpoint_of

    driver = make_driver()
    region = type(driver.region)(name="r", cloud_type="softlayer", installation_id="vti-x")
    assert endpoint_of(region) == SoftLayer.API_PUBLIC_ENDPOINT
    assert driver.client.transport.endpoint_url == driver.region.endpoint
    assert driver.client.transport.timeout == (1.0, 5.0)
