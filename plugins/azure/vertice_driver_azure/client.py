"""The Resource Manager clients of a region, and the one place Azure errors become vertice's.

Every call the driver makes runs through `call(action, fn)`, which turns the
exceptions of azure-core and azure-identity into
`vertice_core.errors.DriverError` subclasses:

| ARM code / HTTP status (or failure)                          | vertice error                    |
|--------------------------------------------------------------|----------------------------------|
| a token refused (`invalid_client`, unknown tenant...),       | AuthFailed (unavailable)         |
| 401 InvalidAuthenticationToken, 403 AuthorizationFailed      |                                  |
| 429 (whatever its code: OperationNotAllowed on a verb too),  | Throttled (transient), waiting   |
| TooManyRequests, SubscriptionRequestsThrottled               | at least its Retry-After         |
| QuotaExceeded, SkuNotAvailable, AllocationFailed...;         | QuotaExceeded (terminal)         |
| OperationNotAllowed on create or naming a quota              |                                  |
| OperationNotAllowed on a verb, other 409s                    | transient (a VM in transition)   |
| ResourceNotFound / NotFound (the VM)                         | success in `call_unless_absent`, |
|                                                              | else transient (InstanceNotFound)|
| ResourceGroupNotFound, SubscriptionNotFound,                 | unavailable: the region is       |
| MissingSubscriptionRegistration                              | misconfigured                    |
| InvalidParameter, PlatformImageNotFound, any other 4xx       | TerminalError (reason: the code) |
| 5xx; connection refused, timeouts (ServiceRequestError,      | TransientError                   |
| ServiceResponseError); an authority that fails or is away    |                                  |

azure-identity reports every failure to get a token as ClientAuthenticationError;
the network's or MSAL's failure behind it (its `__cause__`) tells an authority
that is away or failing (transient) from credentials it refused.

No Azure object leaves this module: the translated error carries the HTTP
status, the ARM code and the message as text, and is raised without its cause.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient

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
from vertice_driver_azure import LOCATION, AzureCredentials, AzureSettings

T = TypeVar("T")

#: Azure's public Resource Manager endpoint.
PUBLIC_ARM = "https://management.azure.com"
#: The action name of `create` (OperationNotAllowed means a quota there).
CREATE = "virtualMachines.createOrUpdate"

AUTH_CODES = frozenset(
    {
        "AuthorizationFailed",
        "LinkedAuthorizationFailed",
        "AuthenticationFailed",
        "InvalidAuthenticationToken",
        "InvalidAuthenticationTokenTenant",
        "ExpiredAuthenticationToken",
    }
)
THROTTLE_CODES = frozenset({"TooManyRequests", "SubscriptionRequestsThrottled"})
QUOTA_CODES = frozenset(
    {
        "QuotaExceeded",
        "OperationNotAllowed",  # only on create, or when it names a quota: see `classify`
        "SkuNotAvailable",
        "AllocationFailed",
        "ZonalAllocationFailed",
        "OverconstrainedAllocationRequest",
        "OverconstrainedZonalAllocationRequest",
        "PublicIPCountLimitReached",
    }
)
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "NotFound"})
REGION_CODES = frozenset(
    {"ResourceGroupNotFound", "SubscriptionNotFound", "MissingSubscriptionRegistration"}
)
SERVER_CODES = frozenset({"InternalServerError", "InternalExecutionError", "RetryableError"})
#: What Microsoft Entra says when a token request may work later.
TRANSIENT_TOKEN_ERRORS = ("temporarily_unavailable", "AADSTS90033")
_HTTP_ERROR = re.compile(r"HTTP Error: (\d{3})")


def location_of(region: RegionConfig) -> str:
    """The region's Azure location: `settings.location`, else its `provider_region`."""
    settings: AzureSettings = region.settings
    location = settings.location or region.provider_region
    if not LOCATION.fullmatch(location):
        raise UnavailableError(
            f"region {region.name!r}: {location!r} is not an Azure location: set its "
            "provider_region (or settings.location) to one such as 'westeurope'",
            reason="RegionMisconfigured",
        )
    return location


def endpoint_of(region: RegionConfig) -> str:
    """The region's Resource Manager endpoint (https only: ARM bearer tokens need TLS)."""
    endpoint = (region.endpoint or PUBLIC_ARM).rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.netloc:
        raise UnavailableError(
            f"region {region.name!r}: endpoint {region.endpoint!r} is not an https:// URL "
            "(Azure sends bearer tokens over TLS only)",
            reason="RegionMisconfigured",
        )
    return endpoint


def transport_options(settings: AzureSettings) -> dict[str, Any]:
    """azure-core's transport and retry options, shared by the credential and the clients."""
    if settings.ca_bundle and not Path(settings.ca_bundle).is_file():
        raise UnavailableError(
            f"ca_bundle {settings.ca_bundle!r} is not a file on this machine",
            reason="RegionMisconfigured",
        )
    return {
        "connection_verify": settings.ca_bundle or True,
        "retry_total": settings.retry_total,
        "connection_timeout": settings.connection_timeout,
        "read_timeout": settings.read_timeout,
    }


def make_credential(region: RegionConfig) -> ClientSecretCredential:
    """The service principal's credential, against the region's authority."""
    settings: AzureSettings = region.settings
    credentials: AzureCredentials = region.credentials
    options = transport_options(settings)
    if settings.authority:
        options["authority"] = settings.authority.rstrip("/")
        options["disable_instance_discovery"] = True
    return ClientSecretCredential(
        credentials.tenant_id, credentials.client_id, credentials.client_secret, **options
    )


def make_clients(
    region: RegionConfig, credential: ClientSecretCredential
) -> tuple[ComputeManagementClient, NetworkManagementClient]:
    """The Compute and Network clients of the region's subscription and endpoint.

    The token's scope is the endpoint's own (`<endpoint>/.default`), as for every
    Azure cloud: public, sovereign or a private endpoint.
    """
    settings: AzureSettings = region.settings
    endpoint = endpoint_of(region)
    options: dict[str, Any] = {
        **transport_options(settings),
        "base_url": endpoint,
        "credential_scopes": [f"{endpoint}/.default"],
    }
    compute = ComputeManagementClient(credential, settings.subscription_id, **options)
    network = NetworkManagementClient(credential, settings.subscription_id, **options)
    return compute, network


def error_code(exc: BaseException) -> str:
    """The ARM error code of an `HttpResponseError` ('' when it has none)."""
    if isinstance(exc, HttpResponseError):
        error = exc.error
        code = getattr(error, "code", None) if error is not None else None
        return str(code or "")
    return ""


def _message(exc: BaseException) -> str:
    error = exc.error if isinstance(exc, HttpResponseError) else None
    text = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())


def retry_after(exc: BaseException) -> float | None:
    """The seconds an error reply's `Retry-After` header asks to wait (None: it says none)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", "")) or None
    except (TypeError, ValueError):  # absent, or an HTTP date (ARM sends seconds)
        return None


def classify(
    status: int, code: str, message: str, action: str, wait: float | None = None
) -> DriverError:
    """The vertice error for an ARM error reply (`status`, `code`) to `action`.

    The rules are tried in order (the module's table); the first that matches decides.
    A 429 is a throttle whatever its code (Compute answers OperationNotAllowed with it on
    start/stop/restart); `wait` is its Retry-After.
    """
    label = f"{status} {code}".strip() if status else code
    text = f"azure: {action}: {label}: {message}"
    # On a verb, OperationNotAllowed is a VM in the wrong state for now: it will pass.
    in_transition = code == "OperationNotAllowed" and not (
        action == CREATE or "quota" in message.lower()
    )
    rules: list[tuple[bool, Callable[[], DriverError]]] = [
        (status == 429 or code in THROTTLE_CODES, lambda: Throttled(text, retry_after=wait)),
        (in_transition, lambda: TransientError(text, reason="OperationNotAllowed")),
        (code in QUOTA_CODES, lambda: QuotaExceeded(text)),
        (code in AUTH_CODES or status in (401, 403), lambda: AuthFailed(text)),
        (code in REGION_CODES, lambda: UnavailableError(text, reason=code)),
        (
            code in NOT_FOUND_CODES or (status == 404 and not code),
            lambda: TransientError(text, reason="InstanceNotFound"),
        ),
        (status >= 500 or status in (0, 408) or code in SERVER_CODES, lambda: TransientError(text)),
        (status == 409, lambda: TransientError(text, reason=code or "Conflict")),
        (400 <= status < 500, lambda: TerminalError(text, reason=code or "InvalidRequest")),
    ]
    for matches, make in rules:
        if matches:
            return make()
    return TransientError(text, reason=code or "CloudError")


def _unreachable(exc: BaseException) -> bool:
    """Whether a network failure (refused, reset, timed out) is behind `exc`."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ServiceRequestError | ServiceResponseError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _token_status(exc: BaseException) -> int:
    """The HTTP status of a failed token request, where azure-identity or MSAL kept it."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        status = getattr(seen, "status_code", None)
        if status:
            return int(status)
        found = _HTTP_ERROR.search(str(seen))  # MSAL: "HTTP Error: 503"
        if found:
            return int(found[1])
        seen = seen.__cause__ or seen.__context__
    return 0


def _token_error(exc: ClientAuthenticationError, action: str) -> DriverError:
    """A failure to get a token: refused credentials, or an authority that fails or is away.

    azure-identity raises ClientAuthenticationError for all of them, with the
    network's or MSAL's failure as its cause.
    """
    status, message = _token_status(exc), _message(exc)
    if _unreachable(exc):
        return TransientError(f"azure: {action}: the authority cannot be reached ({message})")
    if status == 429:
        return Throttled(f"azure: {action}: the authority is throttling: {message}")
    if status >= 500 or any(word in message for word in TRANSIENT_TOKEN_ERRORS):
        return TransientError(f"azure: {action}: the authority failed: {message}")
    return AuthFailed(f"azure: {action}: the credentials were refused: {message}")


def translate(exc: Exception, action: str) -> DriverError:
    """The vertice error for an exception raised by the SDK during `action`."""
    if isinstance(exc, ClientAuthenticationError):
        if exc.status_code == 401 and error_code(exc):  # Resource Manager refused the token
            return classify(401, error_code(exc), _message(exc), action)
        return _token_error(exc, action)
    if isinstance(exc, HttpResponseError) and exc.status_code:
        status, code = int(exc.status_code), error_code(exc)
        return classify(status, code, _message(exc), action, retry_after(exc))
    if _unreachable(exc):
        return TransientError(f"azure: {action}: the endpoint cannot be reached ({_message(exc)})")
    return TransientError(f"azure: {action} failed: {type(exc).__name__}: {_message(exc)}")


def call(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (ARM calls named `action`), raising vertice errors instead of Azure's."""
    try:
        return fn()
    except AzureError as exc:
        error = translate(exc, action)
    # Raised outside the handler, so not even `__context__` holds an Azure object.
    raise error


def call_unless_absent(action: str, fn: Callable[[], object]) -> bool:
    """Like `call`, but a VM that does not exist is fine: False when it was absent."""
    try:
        fn()
    except HttpResponseError as exc:
        if exc.status_code == 404 and error_code(exc) in {"", *NOT_FOUND_CODES}:
            return False
        error = translate(exc, action)
    except AzureError as exc:
        error = translate(exc, action)
    else:
        return True
    raise error
