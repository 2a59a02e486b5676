"""Error translation as a table: every EC2 error code the issue names, through botocore's Stubber.

The Stubber makes botocore raise exactly the `ClientError` EC2 would (code and
HTTP status), without a network; `translated` must turn it into the right
vertice error, carrying the code and message, and nothing of botocore.
"""

from __future__ import annotations

import botocore.exceptions
import pytest
from botocore.stub import Stubber

from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_aws.client import call, client_token, translate

# (EC2 error code, HTTP status, vertice error class, reason)
TABLE = [
    ("AuthFailure", 401, AuthFailed, "AuthFailed"),
    ("UnauthorizedOperation", 403, AuthFailed, "AuthFailed"),
    ("AccessDenied", 403, AuthFailed, "AuthFailed"),
    ("InstanceLimitExceeded", 400, QuotaExceeded, "QuotaExceeded"),
    ("InsufficientInstanceCapacity", 500, QuotaExceeded, "QuotaExceeded"),
    ("VcpuLimitExceeded", 400, QuotaExceeded, "QuotaExceeded"),
    ("RequestLimitExceeded", 503, Throttled, "Throttled"),
    ("Throttling", 400, Throttled, "Throttled"),
    ("InvalidParameterValue", 400, TerminalError, "InvalidParameterValue"),
    ("IdempotentParameterMismatch", 400, TerminalError, "IdempotentParameterMismatch"),
    ("InvalidAMIID.NotFound", 400, TerminalError, "InvalidAMIIDNotFound"),
    ("InvalidInstanceID.NotFound", 400, TransientError, "InstanceNotFound"),
    ("IncorrectInstanceState", 400, TransientError, "IncorrectInstanceState"),
    ("InternalError", 500, TransientError, "CloudUnavailable"),
    ("Unavailable", 503, TransientError, "CloudUnavailable"),
    ("SomethingEC2AddsLater", 400, TransientError, "SomethingEC2AddsLater"),
]


@pytest.fixture(scope="module")
def offline_driver(driver_builder, settings_json):
    """One driver for the module, its endpoint a port nothing listens on."""
    driver = driver_builder("http://127.0.0.1:9", settings_json())
    yield driver
    driver.close()


@pytest.fixture
def stubbed(offline_driver):
    """The offline driver with botocore's Stubber answering for EC2."""
    with Stubber(offline_driver.client) as stubber:
        yield offline_driver, stubber


@pytest.mark.parametrize(("code", "http", "cls", "reason"), TABLE)
def test_ec2_error_codes_become_vertice_errors(stubbed, code, http, cls, reason):
    driver, stubber = stubbed
    stubber.add_client_error(
        "stop_instances", service_error_code=code, service_message="what EC2 said",
        http_status_code=http,
    )  # fmt: skip
    with pytest.raises(DriverError) as caught:
        driver.stop("i-0123456789abcdef0")
    error = caught.value
    assert type(error) is cls
    assert error.reason == reason
    assert code in error.message and "what EC2 said" in error.message
    assert error.__cause__ is None and error.__context__ is None  # no botocore object inside


def test_the_classes_mean_what_the_reconciler_expects():
    assert issubclass(QuotaExceeded, TerminalError)
    assert issubclass(Throttled, TransientError)
    assert issubclass(AuthFailed, UnavailableError)


def test_a_missing_instance_is_a_successful_delete_and_nothing_else(stubbed):
    driver, stubber = stubbed
    stubber.add_client_error("terminate_instances", "InvalidInstanceID.NotFound", "gone", 400)
    driver.delete("i-0123456789abcdef0")  # no error
    stubber.add_client_error("terminate_instances", "InvalidInstanceID.Malformed", "bad", 400)
    with pytest.raises(TerminalError):
        driver.delete("not-an-id")
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "exc",
    [
        botocore.exceptions.EndpointConnectionError(endpoint_url="https://ec2.example"),
        botocore.exceptions.ConnectTimeoutError(endpoint_url="https://ec2.example"),
        botocore.exceptions.ReadTimeoutError(endpoint_url="https://ec2.example"),
        botocore.exceptions.ConnectionClosedError(endpoint_url="https://ec2.example"),
    ],
)
def test_network_failures_are_transient(exc):
    error = translate(exc, "describe_instances")
    assert type(error) is TransientError
    assert "cannot be reached" in error.message


def test_missing_credentials_are_an_auth_failure_and_bad_parameters_terminal():
    assert type(translate(botocore.exceptions.NoCredentialsError(), "x")) is AuthFailed
    invalid = botocore.exceptions.ParamValidationError(report="MinCount must be an integer")
    assert type(translate(invalid, "run_instances")) is TerminalError


def test_call_raises_without_the_botocore_cause():
    def unreachable():
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://x")

    with pytest.raises(TransientError) as caught:
        call("describe_instances", unreachable)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_client_tokens_are_the_key_or_a_digest_ec2_accepts():
    assert client_token("asm-0123456789abcdef-1") == "asm-0123456789abcdef-1"
    long_key = "k" * 80
    assert len(client_token(long_key)) == 64
    assert client_token(long_key) == client_token(long_key) != client_token(long_key + "x")
    assert client_token("clé-1").isascii()
