"""The botocore EC2 client of a region, and the one place botocore errors become vertice's.

Every call the driver makes runs through `call(action, fn)`, which turns
botocore's exceptions into `vertice_core.errors.DriverError` subclasses:

| EC2 error code (or failure)                                  | vertice error                  |
|--------------------------------------------------------------|--------------------------------|
| AuthFailure, UnauthorizedOperation, AccessDenied, ...         | AuthFailed (unavailable)       |
| InstanceLimitExceeded, InsufficientInstanceCapacity,          | QuotaExceeded (terminal)       |
| VcpuLimitExceeded, ...                                        |                                |
| RequestLimitExceeded, Throttling, ...                         | Throttled (transient)          |
| InvalidInstanceID.NotFound                                    | success in `call_unless_absent`|
|                                                               | else transient (EC2 is         |
|                                                               | eventually consistent)         |
| InvalidAMIID.NotFound / .Unavailable, InvalidSnapshot.NotFound| None in `call_or_none` given   |
|                                                               | them (deleting images), else   |
|                                                               | TerminalError                  |
| InvalidVolume.NotFound                                        | None in `call_or_none` given   |
|                                                               | it (disks), else TerminalError |
|                                                               | NotFound                       |
| VolumeInUse                                                   | TerminalError DiskInUse        |
| IncorrectInstanceState, IncorrectState                        | transient (wait for the state) |
| IncorrectModificationState, VolumeModificationRateExceeded    | transient (unknown codes)      |
| InvalidParameterValue, IdempotentParameterMismatch, Invalid*  | TerminalError                  |
| 5xx, network errors, timeouts, unknown codes                  | TransientError                 |

No botocore object leaves this module: the translated error carries the EC2
code and message as text, and is raised without its botocore cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import urlsplit

import botocore.config
import botocore.exceptions
import botocore.session

from vertice_core.driver import RegionConfig
from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_aws import AwsCredentials, AwsSettings
from vertice_driver_aws.model import TrimmedLoader

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

AUTH_CODES = frozenset(
    {
        "AuthFailure",
        "UnauthorizedOperation",
        "AccessDenied",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "RequestExpired",
        "OptInRequired",
    }
)
QUOTA_CODES = frozenset(
    {
        "InstanceLimitExceeded",
        "InsufficientInstanceCapacity",
        "VcpuLimitExceeded",
        "InsufficientFreeAddressesInSubnet",
        "VolumeLimitExceeded",
    }
)
THROTTLE_CODES = frozenset(
    {"RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled"}
)
NOT_FOUND_CODES = frozenset({"InvalidInstanceID.NotFound"})
#: An AMI that does not exist, or no longer (deregistered).
IMAGE_GONE_CODES = frozenset({"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"})
SNAPSHOT_GONE_CODES = frozenset({"InvalidSnapshot.NotFound"})
#: An EBS volume that does not exist, or no longer (deleted).
VOLUME_GONE_CODES = frozenset({"InvalidVolume.NotFound"})
#: A volume attached elsewhere (attach) or still attached (delete).
VOLUME_IN_USE_CODES = frozenset({"VolumeInUse"})
STATE_CODES = frozenset({"IncorrectInstanceState", "IncorrectState"})
INVALID_CODES = frozenset(
    {
        "InvalidParameterValue",
        "IdempotentParameterMismatch",
        "InvalidParameterCombination",
        "MissingParameter",
        "UnknownParameter",
        "Unsupported",
        "UnsupportedOperation",
        "OperationNotPermitted",
    }
)
SERVER_CODES = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"})

#: EC2 codes that always mean one vertice error: its class, and its reason (None: the
#: class's own), checked in this order.
_FIXED: tuple[tuple[frozenset[str], type[DriverError], str | None], ...] = (
    (AUTH_CODES, AuthFailed, None),
    (QUOTA_CODES, QuotaExceeded, None),
    (THROTTLE_CODES, Throttled, None),
    (NOT_FOUND_CODES, TransientError, "InstanceNotFound"),
    (VOLUME_GONE_CODES, TerminalError, "NotFound"),
    (VOLUME_IN_USE_CODES, TerminalError, "DiskInUse"),
    (STATE_CODES, TransientError, "IncorrectInstanceState"),
)

T = TypeVar("T")

#: The longest `ClientToken` EC2 accepts.
CLIENT_TOKEN_MAX = 64


def make_client(region: RegionConfig) -> EC2Client:
    """An EC2 client for the region: its AWS region, optional endpoint and access key."""
    settings: AwsSettings = region.settings
    credentials: AwsCredentials = region.credentials
    if not region.provider_region:
        raise UnavailableError(
            f"region {region.name!r} names no AWS region: set its provider_region "
            "(for example 'us-east-1')",
            reason="RegionMisconfigured",
        )
    endpoint = region.endpoint or None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UnavailableError(
                f"region {region.name!r}: endpoint {endpoint!r} is not an http(s) URL",
                reason="RegionMisconfigured",
            )
    config = botocore.config.Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"total_max_attempts": settings.sdk_attempts, "mode": "standard"},
        max_pool_connections=settings.max_connections,
        user_agent_extra="vertice",
    )
    # A botocore session per driver (sessions are not thread-safe to share), built
    # from the trimmed EC2 model every driver shares (`model.py`); boto3 itself would
    # add nothing but its import.
    session = botocore.session.get_session()
    session.register_component("data_loader", TrimmedLoader())
    client = session.create_client(
        "ec2",
        region_name=region.provider_region,
        endpoint_url=endpoint,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token or None,
        config=config,
    )
    return cast("EC2Client", client)


def client_token(key: str) -> str:
    """The `ClientToken` of a key: the key itself, or its digest when EC2 would refuse it."""
    if len(key) <= CLIENT_TOKEN_MAX and key.isascii():
        return key
    return hashlib.sha256(key.encode()).hexdigest()[:CLIENT_TOKEN_MAX]


def error_code(exc: BaseException) -> str:
    """The EC2 error code of a botocore `ClientError` ('' for any other exception)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def translate(exc: Exception, action: str) -> DriverError:
    """The vertice error for a botocore exception raised by `action`."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return _client_error(exc, action)
    if isinstance(
        exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return AuthFailed(f"aws: {action}: {exc}")
    if isinstance(exc, botocore.exceptions.ParamValidationError):
        return TerminalError(f"aws: {action}: {exc}", reason="InvalidParameter")
    if isinstance(exc, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError):
        return TransientError(f"aws: {action}: the endpoint cannot be reached ({exc})")
    return TransientError(f"aws: {action} failed: {type(exc).__name__}: {exc}")


def _client_error(exc: botocore.exceptions.ClientError, action: str) -> DriverError:
    code = error_code(exc)
    message = " ".join(str(exc.response.get("Error", {}).get("Message", "")).split())
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    text = f"aws: {action}: {code}: {message}" if message else f"aws: {action}: {code}"
    for codes, kind, reason in _FIXED:
        if code in codes:
            return kind(text, reason=reason)
    if code in SERVER_CODES or status >= 500:
        return TransientError(text)
    if code in INVALID_CODES or code.startswith("Invalid"):
        return TerminalError(text, reason=code.replace(".", ""))
    # An unknown client error: retried with backoff, its code shown to the user.
    return TransientError(text, reason=code.replace(".", "") or "CloudError")


def call(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (EC2 calls named `action`), raising vertice errors instead of botocore's."""
    try:
        return fn()
    except botocore.exceptions.BotoCoreError as exc:
        error = translate(exc, action)
    except botocore.exceptions.ClientError as exc:
        error = translate(exc, action)
    # Raised outside the handler, so not even `__context__` holds a botocore object.
    raise error


def call_or_none(
    action: str, fn: Callable[[], T], absent: frozenset[str] = NOT_FOUND_CODES
) -> T | None:
    """Like `call`, but a thing that does not exist (an instance, or what the `absent`
    error codes say) is None instead of an error."""
    try:
        return fn()
    except botocore.exceptions.BotoCoreError as exc:
        error = translate(exc, action)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in absent:
            return None
        error = translate(exc, action)
    raise error


def call_unless_absent(
    action: str, fn: Callable[[], object], absent: frozenset[str] = NOT_FOUND_CODES
) -> bool:
    """Like `call`, but a thing that does not exist is fine: False when it was absent."""
    return call_or_none(action, lambda: (fn(), True)[1], absent) is not None
