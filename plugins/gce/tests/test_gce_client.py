"""Error translation as a table: Google API errors, failed operations, network and key failures.

The API errors are built the way google-api-core builds them from a REST
reply (`format_http_response_error`, from a body shaped like the recorded
`fixtures/zones_us-central1-b_instances_libcloud-lb-demo-www-002.json`),
so `translate` sees exactly what the SDK raises; the failed operations are
the recorded `..._operation_setMachineType_notstopped.json` with its codes
changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import google.api_core.exceptions as gexc
import google.auth.exceptions
import pytest
import requests
from google.cloud import compute_v1

from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
)
from vertice_driver_gce.client import (
    AlreadyExists,
    call,
    call_unless_absent,
    operation_error,
    request_id,
    translate,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def api_error(status: int, reason: str, message: str = "what GCE said") -> gexc.GoogleAPICallError:
    body = json.loads(
        (FIXTURES / "zones_us-central1-b_instances_libcloud-lb-demo-www-002.json").read_text()
    )
    body["error"].update(code=status, message=message)
    body["error"]["errors"][0].update(reason=reason, message=message)
    response = requests.Response()
    response.status_code = status
    return gexc.format_http_response_error(response, "POST", "http://peer/x", body)


# (HTTP status, reason, vertice error class, vertice reason)
TABLE = [
    (401, "authError", AuthFailed, "AuthFailed"),
    (403, "forbidden", AuthFailed, "AuthFailed"),
    (403, "quotaExceeded", QuotaExceeded, "QuotaExceeded"),
    (403, "rateLimitExceeded", Throttled, "Throttled"),
    (403, "userRateLimitExceeded", Throttled, "Throttled"),
    (429, "rateLimitExceeded", Throttled, "Throttled"),
    (429, "quotaExceeded", Throttled, "Throttled"),  # a per-minute request quota
    (404, "notFound", TransientError, "InstanceNotFound"),
    (409, "alreadyExists", AlreadyExists, "AlreadyExists"),
    (409, "resourceInUseByAnotherResource", TransientError, "ResourceNotReady"),
    (400, "resourceNotReady", TransientError, "ResourceNotReady"),
    (412, "conditionNotMet", TransientError, "ResourceNotReady"),
    (400, "invalid", TerminalError, "Invalid"),
    (400, "badRequest", TerminalError, "BadRequest"),
    (500, "backendError", TransientError, "CloudUnavailable"),
    (503, "backendError", TransientError, "CloudUnavailable"),
]


@pytest.mark.parametrize(("status", "reason", "cls", "vertice_reason"), TABLE)
def test_gce_errors_become_vertice_errors(status, reason, cls, vertice_reason):
    error = translate(api_error(status, reason), "instances.stop")
    assert type(error) is cls
    assert error.reason == vertice_reason
    assert f"{status} {reason}" in error.message and "what GCE said" in error.message


def test_not_found_means_a_missing_resource_on_insert():
    error = translate(api_error(404, "notFound"), "instances.insert", not_found="ResourceNotFound")
    assert type(error) is TerminalError and error.reason == "ResourceNotFound"


def test_call_raises_without_the_google_cause_and_absent_is_fine_for_delete():
    def refuse():
        raise api_error(503, "backendError")

    with pytest.raises(DriverError) as caught:
        call("instances.list", refuse)
    assert caught.value.__cause__ is None and caught.value.__context__ is None

    def gone():
        raise api_error(404, "notFound")

    assert call_unless_absent("instances.delete", gone) is False
    assert call_unless_absent("instances.delete", lambda: None) is True

    def forbidden():
        raise api_error(403, "forbidden")

    with pytest.raises(AuthFailed):
        call_unless_absent("instances.delete", forbidden)


@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ConnectionError("refused"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        google.auth.exceptions.TransportError("no route"),
    ],
)
def test_network_failures_are_transient(exc):
    error = translate(exc, "instances.list")
    assert type(error) is TransientError
    assert "cannot be reached" in error.message


@pytest.mark.parametrize(
    "exc",
    [
        google.auth.exceptions.RefreshError("invalid_grant"),
        google.auth.exceptions.MalformedError("no private key"),
        # What anonymous credentials raise when the cloud answers 401.
        google.auth.exceptions.InvalidOperation("Anonymous credentials cannot be refreshed."),
    ],
)
def test_credentials_google_auth_refuses_are_an_auth_failure(exc):
    assert type(translate(exc, "instances.list")) is AuthFailed


def recorded_failure(code: str, status: int) -> compute_v1.Operation:
    path = FIXTURES / "zones_us_central1_a_operations_operation_setMachineType_notstopped.json"
    operation = compute_v1.Operation.from_json(path.read_text(), ignore_unknown_fields=True)
    operation.error.errors[0].code = code
    operation.http_error_status_code = status
    return operation


@pytest.mark.parametrize(
    ("code", "status", "cls", "reason"),
    [
        ("RESOURCE_NOT_READY", 400, TransientError, "ResourceNotReady"),  # as recorded
        ("QUOTA_EXCEEDED", 403, QuotaExceeded, "QuotaExceeded"),
        ("ZONE_RESOURCE_POOL_EXHAUSTED", 503, QuotaExceeded, "QuotaExceeded"),
        ("RESOURCE_ALREADY_EXISTS", 409, AlreadyExists, "AlreadyExists"),
        ("RESOURCE_NOT_FOUND", 404, TerminalError, "ResourceNotFound"),
        ("INVALID_FIELD_VALUE", 400, TerminalError, "InvalidFieldValue"),
        ("INTERNAL_ERROR", 500, TransientError, "CloudUnavailable"),
    ],
)
def test_failed_operations_are_classified_by_their_codes(code, status, cls, reason):
    error = operation_error(recorded_failure(code, status), "instances.insert")
    assert type(error) is cls and error.reason == reason
    assert code in error.message and "operation-setMachineType-notstopped" in error.message


def test_an_operation_without_error_is_none():
    path = FIXTURES / "operations_operation_zones_us-central1-a_instances_post.json"
    done = compute_v1.Operation.from_json(path.read_text(), ignore_unknown_fields=True)
    assert done.status == compute_v1.Operation.Status.DONE
    assert operation_error(done, "instances.insert") is None


def test_request_ids_are_uuids_stable_per_key_and_distinct_after_a_failure():
    first = request_id("vti-1", "asm-1-1")
    assert first == request_id("vti-1", "asm-1-1") != request_id("vti-1", "asm-1-2")
    assert first != request_id("vti-2", "asm-1-1")
    after = request_id("vti-1", "asm-1-1", after="operation-1")
    assert after not in (first, request_id("vti-1", "asm-1-1", after="operation-2"))
    assert (
        len(first) == 36
        and first.count("-") == 4
        and first != "0" * 8 + "-0000" * 3 + "-" + "0" * 12
    )
