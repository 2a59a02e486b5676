"""OpenStack's errors as vertice's: the HTTP table, Nova's messages, server faults, transports.

The messages are Nova's own words (its API guide's faults page, `nova/exception.py`'s
texts as Nova answers them); the SDK exceptions are made the way openstacksdk and
keystoneauth1 raise them, from a `requests.Response`.
"""

from __future__ import annotations

import json

import keystoneauth1.exceptions as ks_exceptions
import openstack.exceptions
import pytest
import requests

from vertice_core.errors import (
    AuthFailed,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_openstack.client import call, classify, fault_error, translate


def response(status, body, headers=None):
    reply = requests.Response()
    reply.status_code = status
    reply._content = json.dumps(body).encode()
    reply.headers.update({"Content-Type": "application/json", **(headers or {})})
    reply.request = requests.Request("GET", "http://nova.example/v2.1/servers").prepare()
    reply.url = reply.request.url
    return reply


def sdk_error(status, root, message, headers=None):
    """What openstacksdk raises for a Nova fault (`raise_from_response`)."""
    try:
        openstack.exceptions.raise_from_response(
            response(status, {root: {"code": status, "message": message}}, headers)
        )
    except openstack.exceptions.SDKException as exc:
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    ("status", "root", "message", "cls", "reason"),
    [
        (401, "unauthorized", "The request you have made requires authentication.",
         TransientError, "TokenRejected"),
        (403, "forbidden", "Quota exceeded for instances: Requested 1, but already used 10 of "
         "10 instances", QuotaExceeded, "QuotaExceeded"),
        (403, "forbidden", "Quota exceeded for cores: Requested 4, but already used 18 of 20 "
         "cores", QuotaExceeded, "QuotaExceeded"),
        (403, "forbidden", "Policy doesn't allow os_compute_api:servers:create to be performed.",
         AuthFailed, "NotAuthorized"),
        (413, "overLimit", "Maximum number of key pairs exceeded", QuotaExceeded,
         "QuotaExceeded"),
        (429, "overLimit", "Rate limit exceeded", Throttled, "Throttled"),
        (400, "badRequest", "Can not find requested image", TerminalError, "ImageNotFound"),
        (400, "badRequest", "Flavor 42 could not be found.", TerminalError, "FlavorNotFound"),
        (400, "badRequest", "Invalid flavorRef provided.", TerminalError, "FlavorNotFound"),
        (400, "badRequest", "Invalid key_name provided.", TerminalError, "KeyPairNotFound"),
        (400, "badRequest", "Network 9b7d could not be found.", TerminalError,
         "NetworkNotFound"),
        (409, "conflictingRequest", "Multiple possible networks found, use a Network ID to be "
         "more specific.", TransientError, "Conflict"),
        (400, "badRequest", "Multiple possible networks found, use a Network ID to be more "
         "specific.", TerminalError, "NetworkAmbiguous"),
        (400, "badRequest", "Security group web not found for project a69.", TerminalError,
         "SecurityGroupNotFound"),
        (400, "badRequest", "The requested availability zone is not available", TerminalError,
         "AvailabilityZoneNotFound"),
        (400, "badRequest", "Flavor's disk is too small for requested image.", TerminalError,
         "FlavorTooSmall"),
        (400, "badRequest", "No valid host was found.", TerminalError, "InvalidRequest"),
        (400, "badRequest", "Invalid input for field/attribute server.", TerminalError,
         "InvalidRequest"),
        (404, "itemNotFound", "Instance 5b4c could not be found.", TransientError, "NotFound"),
        (409, "conflictingRequest", "Cannot 'os-stop' instance 5b4c while it is in vm_state "
         "stopped", TransientError, "Conflict"),
        (500, "computeFault", "Unexpected API Error.", TransientError, "CloudUnavailable"),
        (503, "serviceUnavailable", "Service Unavailable", TransientError, "CloudUnavailable"),
    ],
)  # fmt: skip
def test_novas_answers(status, root, message, cls, reason):
    error = translate(sdk_error(status, root, message), "POST /servers")
    assert type(error) is cls and error.reason == reason
    assert f"HTTP {status}" in error.message and message in error.message
    assert error.message.startswith("openstack: POST /servers: ")


def test_a_retry_after_is_kept():
    error = translate(sdk_error(429, "overLimit", "slow down", {"Retry-After": "7"}), "x")
    assert isinstance(error, Throttled) and error.retry_after == 7.0


def test_classify_a_status_with_a_quota_message_whatever_its_code():
    assert isinstance(classify(400, "Quota exceeded for ram", "t"), QuotaExceeded)


@pytest.mark.parametrize(
    ("code", "message", "cls", "reason"),
    [
        # The example of Nova's API guide (nova_faults.rst).
        (500, "No valid host was found. There are not enough hosts available.", TransientError,
         "NoValidHost"),
        (500, "Build of instance 5b4c aborted: Failed to allocate the network(s), not "
         "rescheduling.", TransientError, "NetworkAllocationFailed"),
        (500, "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
         "build failures for instance 5b4c.", TransientError, "RescheduleFailed"),
        (400, "Flavor's disk is too small for requested image. Flavor disk is 1073741824 "
         "bytes, image is 2147483648 bytes.", TerminalError, "FlavorTooSmall"),
        (500, "Build of instance 5b4c aborted: Flavor's memory is too small for requested "
         "image.", TerminalError, "FlavorTooSmall"),
        (404, "Image 70a5 could not be found.", TerminalError, "ImageNotFound"),
        (400, "Image 70a5 is unacceptable: Image has no associated data", TerminalError,
         "ImageUnacceptable"),
        (500, "Build of instance 5b4c aborted: Block Device Mapping is Invalid.", TerminalError,
         "InvalidBlockDeviceMapping"),
        (403, "Quota exceeded for cores: Requested 2, but already used 20 of 20 cores",
         QuotaExceeded, "QuotaExceeded"),
        (400, "Something Nova may say one day.", TerminalError, "BuildRefused"),
        (500, "Unexpected error while running command.", TransientError, "BuildFailed"),
    ],
)  # fmt: skip
def test_the_fault_of_a_server_in_error(code, message, cls, reason):
    fault = {"code": code, "created": "2018-04-10T13:49:40Z", "message": message}
    error = fault_error(fault, "5b4c")
    assert type(error) is cls and error.reason == reason
    assert "server 5b4c is in ERROR" in error.message and message in error.message


def test_a_server_in_error_without_a_fault_is_transient():
    error = fault_error(None, "5b4c")
    assert type(error) is TransientError and "no fault given" in error.message


def test_keystone_refusing_the_credentials_is_an_auth_failure():
    refused = ks_exceptions.from_response(
        response(401, {"error": {"code": 401, "title": "Unauthorized",
                                 "message": "The request you have made requires authentication."}}),
        "POST", "http://keystone.example/v3/auth/tokens",
    )  # fmt: skip
    error = translate(refused, "GET /servers/detail")
    assert isinstance(error, AuthFailed) and "credentials were refused" in error.message
    busy = ks_exceptions.from_response(
        response(503, {"error": {"code": 503, "message": "busy"}}), "POST", "http://k/v3"
    )
    assert type(translate(busy, "x")) is TransientError


@pytest.mark.parametrize(
    ("exc", "cls", "says"),
    [
        (ks_exceptions.ConnectFailure("Unable to establish connection to http://k:5000"),
         TransientError, "cannot be reached"),
        (ks_exceptions.ConnectTimeout("Request to http://k timed out"), TransientError,
         "did not answer in time"),
        (requests.ReadTimeout("read timed out"), TransientError, "did not answer in time"),
        (ks_exceptions.EndpointNotFound("public endpoint for compute service in R9 not found"),
         UnavailableError, "catalog has no endpoint"),
        (ks_exceptions.EmptyCatalog("The service catalog is empty."), UnavailableError,
         "catalog has no endpoint"),
        (ks_exceptions.DiscoveryFailure("Could not find versioned identity endpoints"),
         UnavailableError, "no Keystone v3 found"),
    ],
)  # fmt: skip
def test_transport_and_catalog_failures(exc, cls, says):
    error = translate(exc, "GET /servers/detail")
    assert type(error) is cls and says in error.message


def test_a_discovery_that_could_not_connect_is_transient():
    try:
        try:
            raise ks_exceptions.ConnectFailure("Unable to establish connection")
        except ks_exceptions.ConnectFailure as inner:
            raise ks_exceptions.DiscoveryFailure(f"Could not find endpoints {inner}")  # noqa: B904
    except ks_exceptions.DiscoveryFailure as exc:
        error = translate(exc, "compute endpoint")
    assert type(error) is TransientError and "cannot be reached" in error.message


def test_call_raises_vertice_errors_without_the_sdks_in_their_context():
    def failing():
        raise sdk_error(500, "computeFault", "boom")

    with pytest.raises(TransientError) as caught:
        call("GET /servers/detail", failing)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_call_lets_programming_errors_through():
    with pytest.raises(ZeroDivisionError):
        call("x", lambda: 1 / 0)
