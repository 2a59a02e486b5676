"""The Compute Engine clients of a region, and the one place Google errors become vertice's.

Every call the driver makes runs through `call(action, fn)`, which turns the
exceptions of google-api-core, google-auth and requests into
`vertice_core.errors.DriverError` subclasses:

| HTTP status / reason (or failure)                           | vertice error                   |
|-------------------------------------------------------------|---------------------------------|
| 429, or reason rateLimitExceeded / userRateLimitExceeded    | Throttled (transient)           |
| reason quotaExceeded, QUOTA_EXCEEDED,                       | QuotaExceeded (terminal)        |
| ZONE_RESOURCE_POOL_EXHAUSTED... (any status, 403 included)  |                                 |
| 401, 403; any google-auth error (a key it cannot sign with, | AuthFailed (unavailable)        |
| credentials it may not refresh after a 401)                 |                                 |
| 404 notFound                                                | success in `call_unless_absent`,|
|                                                             | else transient (InstanceNotFound)|
| 409 alreadyExists                                           | `AlreadyExists` (the driver     |
|                                                             | adopts the instance)            |
| 400 resourceNotReady, 409 other, 412                        | transient (wait for the state)  |
| 400 invalid..., any other 4xx                               | TerminalError                   |
| 5xx, connection refused, timeouts, unknown failures         | TransientError                  |

No Google object leaves this module: the translated error carries the HTTP
status, the reason and the message as text, and is raised without its cause.
Operations that GCE reports as failed (`Operation.error`) are translated by
`operation_error` with the same table, keyed by the operation's error codes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

import attrs
import google.api_core.exceptions as gexc
import google.auth.exceptions
import requests.exceptions
from google.api_core.client_options import ClientOptions
from google.cloud import compute_v1
from google.oauth2 import service_account

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
from vertice_driver_gce import GceCredentials

T = TypeVar("T")

#: The OAuth scope the service account signs its calls for.
SCOPE = "https://www.googleapis.com/auth/compute"
#: Reasons (REST `errors[].reason`) and operation error codes that mean a quota or capacity.
QUOTA_REASONS = frozenset(
    {
        "quotaExceeded",
        "QUOTA_EXCEEDED",
        "ZONE_RESOURCE_POOL_EXHAUSTED",
        "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
    }
)
#: Reasons that mean "slow down".
THROTTLE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED", "RATE_LIMIT"}
)
#: Reasons that mean the resource is in a state that will pass.
NOT_READY_REASONS = frozenset(
    {"resourceNotReady", "RESOURCE_NOT_READY", "resourceInUseByAnotherResource"}
)
#: Reasons and codes of a name that is taken.
EXISTS_REASONS = frozenset({"alreadyExists", "RESOURCE_ALREADY_EXISTS"})
#: Reasons and codes of a resource that does not exist.
NOT_FOUND_REASONS = frozenset({"notFound", "RESOURCE_NOT_FOUND"})

#: The namespace of vertice's GCE request ids (a UUID5 of the installation and the key).
REQUEST_NAMESPACE = uuid.UUID("5f0c4c53-2f4e-4d35-9d1c-6a1e1f4f6b0e")
_ZONE = re.compile(r"[a-z]+-[a-z]+[0-9]+-[a-z]")


class AlreadyExists(TerminalError):
    """GCE already has a resource of that name (the driver decides whether it is ours)."""

    reason = "AlreadyExists"


def request_id(installation_id: str, key: str, after: str = "") -> str:
    """GCE's idempotency token for creating `key`: the same key gives the same UUID.

    `after` names a failed operation of an earlier attempt: the retry that follows it
    gets a new id, derived from the failure, so every reconciler derives the same one.
    """
    name = f"{installation_id}/{key}" + (f"/after/{after}" if after else "")
    return str(uuid.uuid5(REQUEST_NAMESPACE, name))


def project_of(region: RegionConfig) -> str:
    """The region's project: its setting, else the service account's own project."""
    project: str = region.settings.project
    if project:
        return project
    credentials: GceCredentials = region.credentials
    return str(json.loads(credentials.service_account_json).get("project_id", ""))


def zone_of(region: RegionConfig) -> str:
    """The region's zone (its `provider_region`), checked."""
    zone = region.provider_region
    if not _ZONE.fullmatch(zone):
        raise UnavailableError(
            f"region {region.name!r}: provider_region {zone!r} is not a Compute Engine zone "
            "(for example 'us-central1-a')",
            reason="RegionMisconfigured",
        )
    return zone


def client_options(region: RegionConfig) -> ClientOptions | None:
    """The API endpoint of the region (None: Google's own)."""
    if not region.endpoint:
        return None
    parts = urlsplit(region.endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnavailableError(
            f"region {region.name!r}: endpoint {region.endpoint!r} is not an http(s) URL",
            reason="RegionMisconfigured",
        )
    return ClientOptions(api_endpoint=region.endpoint.rstrip("/"))


@attrs.frozen
class Clients:
    """The REST clients of a region."""

    instances: compute_v1.InstancesClient
    machine_types: compute_v1.MachineTypesClient
    images: compute_v1.ImagesClient
    #: Read by `resize` only, which waits for its setMachineType operation.
    zone_operations: compute_v1.ZoneOperationsClient

    def close(self) -> None:
        """Close the clients' HTTP sessions."""
        for client in (self.instances, self.machine_types, self.images, self.zone_operations):
            client.transport.close()  # type: ignore[no-untyped-call]


def make_clients(region: RegionConfig) -> Clients:
    """The REST clients of the region, signing with its service-account key."""
    credentials: GceCredentials = region.credentials
    try:
        info = json.loads(credentials.service_account_json)
        signer = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=[SCOPE]
        )
    except (ValueError, KeyError) as exc:
        raise AuthFailed(f"gce: the service-account key cannot be used: {exc}") from None
    options = client_options(region)
    return Clients(
        compute_v1.InstancesClient(credentials=signer, transport="rest", client_options=options),
        compute_v1.MachineTypesClient(credentials=signer, transport="rest", client_options=options),
        compute_v1.ImagesClient(credentials=signer, transport="rest", client_options=options),
        compute_v1.ZoneOperationsClient(
            credentials=signer, transport="rest", client_options=options
        ),
    )


def reasons_of(exc: gexc.GoogleAPICallError) -> list[str]:
    """The `errors[].reason` values of a Google API error (and its ErrorInfo reason)."""
    found = [str(e.get("reason", "")) for e in exc.errors if isinstance(e, dict)]
    if exc.reason:
        found.append(str(exc.reason))
    return [r for r in found if r]


def classify(status: int, reasons: Iterable[str], text: str, *, not_found: str) -> DriverError:
    """The vertice error for an HTTP status and GCE reasons (shared by calls and operations)."""
    reasons = set(reasons)
    # A 429 is a per-minute rate, whatever its reason says; quota reasons elsewhere are not.
    if status == 429 or reasons & THROTTLE_REASONS:
        return Throttled(text)
    if reasons & QUOTA_REASONS:
        return QuotaExceeded(text)
    if reasons & EXISTS_REASONS:
        return AlreadyExists(text)
    if status in (401, 403):
        return AuthFailed(text)
    if status == 404 or reasons & NOT_FOUND_REASONS:
        return (
            TransientError(text, reason=not_found)
            if not_found == "InstanceNotFound"
            else TerminalError(text, reason=not_found)
        )
    if status >= 500 or status in (0, 408):
        return TransientError(text)
    if reasons & NOT_READY_REASONS or status in (409, 412):
        return TransientError(text, reason="ResourceNotReady")
    return TerminalError(text, reason=_camel(next(iter(sorted(reasons)), "InvalidRequest")))


def translate(exc: Exception, action: str, *, not_found: str = "InstanceNotFound") -> DriverError:
    """The vertice error for an exception raised by the SDK during `action`."""
    if isinstance(exc, gexc.GoogleAPICallError):
        status = int(exc.code or 0)
        reasons = reasons_of(exc)
        message = " ".join(str(exc.message).split())
        label = f"{status} {'/'.join(reasons)}".strip()
        return classify(status, reasons, f"gce: {action}: {label}: {message}", not_found=not_found)
    if isinstance(
        exc, requests.exceptions.RequestException | google.auth.exceptions.TransportError
    ):
        return TransientError(f"gce: {action}: the endpoint cannot be reached ({exc})")
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        # A key google-auth cannot sign with, or credentials it may not refresh after a 401.
        return AuthFailed(f"gce: {action}: the credentials were refused: {exc}")
    if isinstance(exc, gexc.RetryError):
        return TransientError(f"gce: {action}: gave up retrying: {exc}")
    return TransientError(f"gce: {action} failed: {type(exc).__name__}: {exc}")


def operation_error(operation: compute_v1.Operation, action: str) -> DriverError | None:
    """The vertice error of an operation GCE finished with an error (None if it did not)."""
    if not operation.error.errors:
        return None
    codes = [e.code for e in operation.error.errors if e.code]
    message = "; ".join(" ".join(e.message.split()) for e in operation.error.errors if e.message)
    status = int(operation.http_error_status_code or 0) or 400
    text = f"gce: {action}: operation {operation.name} failed: {'/'.join(codes)}: {message}"
    return classify(status, codes, text, not_found="ResourceNotFound")


_HANDLED = (
    gexc.GoogleAPIError,
    google.auth.exceptions.GoogleAuthError,
    requests.exceptions.RequestException,
)


def call(action: str, fn: Callable[[], T], *, not_found: str = "InstanceNotFound") -> T:
    """Run `fn` (Compute calls named `action`), raising vertice errors instead of Google's."""
    try:
        return fn()
    except _HANDLED as exc:
        error = translate(exc, action, not_found=not_found)
    # Raised outside the handler, so not even `__context__` holds a Google object.
    raise error


def call_unless_absent(action: str, fn: Callable[[], object]) -> bool:
    """Like `call`, but a resource that does not exist is fine: False when it was absent."""
    try:
        fn()
    except gexc.NotFound:
        return False
    except _HANDLED as exc:
        error = translate(exc, action)
    else:
        return True
    raise error


def _camel(reason: str) -> str:
    """`invalid` -> `Invalid`, `INVALID_FIELD_VALUE` -> `InvalidFieldValue`."""
    if "_" in reason or reason.isupper():
        return "".join(part.capitalize() for part in reason.lower().split("_"))
    return reason[:1].upper() + reason[1:]
