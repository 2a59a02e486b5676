"""The softlayer-python client of a region, and the one place SoftLayer's errors become vertice's.

SoftLayer answers a failed XML-RPC call with a fault whose `faultCode` is the
name of its exception class (`SoftLayer_Exception_ObjectNotFound`); the SDK
raises it as `SoftLayerAPIError`, and transport failures as its subclass
`TransportError` (status 0 for no answer, else the HTTP status). Every call
the driver makes runs through `call(action, fn)`:

| faultCode (or failure)                                         | vertice error                  |
|----------------------------------------------------------------|--------------------------------|
| SoftLayer_Exception_InvalidLegacyToken, ..._InvalidCredentials, | AuthFailed (unavailable)       |
| "Invalid API token", "No valid authentication", HTTP 401        |                                |
| SoftLayer_Exception_PermissionDenied, ..._AccessDenied, 403     | AuthFailed, NotAuthorized      |
| SoftLayer_Exception_ObjectNotFound, ..._NotFound                | NotFound (transient; the       |
|                                                                 | driver decides per verb)       |
| SoftLayer_Exception_WebService_RateLimitExceeded, "rate limit", | Throttled (transient)          |
| HTTP 429                                                        |                                |
| a limit, quota or capacity refusal (code or message)            | QuotaExceeded (terminal)       |
| SoftLayer_Exception_InvalidValue, ..._MissingCreationProperty,  | TerminalError, the code        |
| ..._InvalidDataLength, ..._Order_*, XML-RPC spec faults         |                                |
| "Internal Error", HTTP 5xx, no answer, timeouts, unreadable     | TransientError                 |
| any other code                                                  | TransientError, the code       |

No SDK object leaves this module: the translated error carries the fault code
and string as text, and is raised outside the handler (no `__context__`).
"""

from __future__ import annotations

import re
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests.adapters
import SoftLayer  # type: ignore[import-untyped]
import SoftLayer.exceptions  # type: ignore[import-untyped]
import SoftLayer.transports  # type: ignore[import-untyped]

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
from vertice_driver_softlayer import SoftLayerCredentials, SoftLayerSettings

T = TypeVar("T")

#: Fault codes of rejected credentials, and fault strings SoftLayer_Exception_Public uses for them.
AUTH_CODES = frozenset(
    {
        "SoftLayer_Exception_InvalidLegacyToken",
        "SoftLayer_Exception_InvalidCredentials",
        "SoftLayer_Exception_User_Customer_LoginFailed",
    }
)
AUTH_MESSAGES = ("invalid api token", "no valid authentication", "invalid authentication token")
#: Fault codes of a user who may not do this (the key is valid).
FORBIDDEN_CODES = frozenset(
    {"SoftLayer_Exception_PermissionDenied", "SoftLayer_Exception_AccessDenied"}
)
NOT_FOUND_CODES = frozenset({"SoftLayer_Exception_ObjectNotFound", "SoftLayer_Exception_NotFound"})
THROTTLE_CODES = frozenset({"SoftLayer_Exception_WebService_RateLimitExceeded"})
#: A refused order because of a limit, a quota or capacity: SoftLayer raises these as
#: SoftLayer_Exception_Public or SoftLayer_Exception_Order_* with a message, so both count.
QUOTA = re.compile(
    r"limit(s)? (has been |have been )?(exceeded|reached)|exceed(s|ed)? .*limit|"
    r"maximum number of|quota|insufficient (capacity|resources)|no (more )?capacity|"
    r"not enough (capacity|resources)|LimitExceeded|CapacityExceeded",
    re.IGNORECASE,
)
INVALID_CODES = frozenset(
    {
        "SoftLayer_Exception_InvalidValue",
        "SoftLayer_Exception_MissingCreationProperty",
        "SoftLayer_Exception_InvalidDataLength",
        "SoftLayer_Exception_InvalidDataType",
    }
)
#: XML-RPC's own fault codes (the SDK's ParseError/ServerError family): the request was bad.
RPC_INVALID = frozenset({-32700, -32701, -32702, -32600, -32601, -32602})
#: A SoftLayer fault code inside a text (an HTTP error page that carries the fault).
_FAULT_IN_TEXT = re.compile(r"SoftLayer_Exception_[A-Za-z0-9_]+")


def endpoint_of(region: RegionConfig) -> str:
    """The region's XML-RPC endpoint (SoftLayer's public one when none is set)."""
    endpoint = region.endpoint or str(SoftLayer.API_PUBLIC_ENDPOINT)
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or "/rest" in parts.path:
        raise UnavailableError(
            f"region {region.name!r}: endpoint {endpoint!r} is not a SoftLayer XML-RPC URL "
            "(for example 'https://api.softlayer.com/xmlrpc/v3.1/')",
            reason="RegionMisconfigured",
        )
    return endpoint


def make_client(region: RegionConfig) -> Any:
    """The SoftLayer client of the region: its endpoint, API user and key, and timeouts.

    The transport is built here rather than from `~/.softlayer` or `SL_*` variables, so
    nothing of the host's environment reaches a region but its proxy settings.
    """
    settings: SoftLayerSettings = region.settings
    credentials: SoftLayerCredentials = region.credentials
    endpoint = endpoint_of(region)
    transport = SoftLayer.transports.XmlRpcTransport(
        endpoint_url=endpoint,
        timeout=(settings.connect_timeout, settings.read_timeout),
        user_agent="vertice (softlayer-python)",
    )
    # Calls run in the reconciler's thread pool: never more calls in flight than pooled
    # connections (beyond them a call waits for one; docs/writing-a-driver.md), and let
    # vertice's own backoff do the retrying.
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=1, pool_maxsize=settings.max_connections, pool_block=True, max_retries=0
    )
    transport.client.mount("https://", adapter)
    transport.client.mount("http://", adapter)
    return SoftLayer.create_client_from_env(
        username=credentials.username,
        api_key=credentials.api_key,
        endpoint_url=endpoint,
        transport=transport,
    )


def fault_of(exc: BaseException) -> tuple[str, str]:
    """The fault code and string of a SoftLayer API error (('', text) for anything else)."""
    if isinstance(exc, SoftLayer.exceptions.SoftLayerAPIError):
        return str(exc.faultCode), " ".join(str(exc.faultString).split())
    return "", str(exc)


def translate(exc: BaseException, action: str) -> DriverError:
    """The vertice error for an exception raised while `action` talked to SoftLayer."""
    if isinstance(exc, SoftLayer.exceptions.TransportError):
        return _transport_error(exc, action)
    if isinstance(exc, SoftLayer.exceptions.SoftLayerAPIError):
        code, message = fault_of(exc)
        return classify(code, message, f"softlayer: {action}: {code}: {message}")
    if isinstance(exc, SoftLayer.exceptions.IAMError):
        return AuthFailed(f"softlayer: {action}: {exc}")
    if isinstance(exc, xml.parsers.expat.ExpatError | xmlrpc.client.ResponseError):
        return TransientError(f"softlayer: {action}: unreadable reply ({exc})")
    return TransientError(f"softlayer: {action} failed: {type(exc).__name__}: {exc}")


def _rules(code: str, message: str) -> list[tuple[bool, type[DriverError], str | None]]:
    """The classification rules, in order: (applies, vertice error class, reason)."""
    lowered = message.lower()
    public = code == "SoftLayer_Exception_Public"
    return [
        (code in AUTH_CODES or any(m in lowered for m in AUTH_MESSAGES), AuthFailed, None),
        (code in FORBIDDEN_CODES or (public and "access denied" in lowered), AuthFailed,
         "NotAuthorized"),
        (code in THROTTLE_CODES or "rate limit" in lowered, Throttled, None),
        (code in NOT_FOUND_CODES, TransientError, "NotFound"),
        (bool(QUOTA.search(code) or QUOTA.search(message)), QuotaExceeded, None),
        (public and "internal error" in lowered, TransientError, None),
        (_rpc_code(code) in RPC_INVALID, TerminalError, "InvalidRequest"),
        (code in INVALID_CODES or code.startswith("SoftLayer_Exception_Order_"), TerminalError,
         _reason(code)),
    ]  # fmt: skip


def classify(code: str, message: str, text: str) -> DriverError:
    """The vertice error for a SoftLayer fault `code` with its `message` (shown as `text`)."""
    for applies, cls, reason in _rules(code, message):
        if applies:
            return cls(text, reason=reason)
    # SoftLayer_Exception_Public and codes SoftLayer may add: retried, the code shown.
    public = code == "SoftLayer_Exception_Public"
    return TransientError(text, reason=("" if public else _reason(code)) or "SoftLayerError")


def _transport_error(exc: Any, action: str) -> DriverError:
    status = int(exc.faultCode or 0)
    detail = " ".join(str(exc.faultString).split())
    if status == 0:
        if "timed out" in detail.lower() or "timeout" in detail.lower():
            return TransientError(
                f"softlayer: {action}: SoftLayer did not answer in time ({detail})"
            )
        return TransientError(f"softlayer: {action}: the endpoint cannot be reached ({detail})")
    text = f"softlayer: {action}: the endpoint answered HTTP {status} ({detail[:300]})"
    carried = _FAULT_IN_TEXT.search(detail)
    if carried:  # a fault sent with an HTTP error status: its code decides
        return classify(carried.group(0), detail, text)
    if status == 401:
        return AuthFailed(text)
    if status == 403:
        return AuthFailed(text, reason="NotAuthorized")
    if status == 429:
        return Throttled(text)
    if status in (404, 405):
        return UnavailableError(
            f"{text}: is it SoftLayer's XML-RPC URL (.../xmlrpc/v3.1/)?",
            reason="RegionMisconfigured",
        )
    return TransientError(text)


def _rpc_code(code: str) -> int:
    try:
        return int(code)
    except ValueError:
        return 0


def _reason(code: str) -> str:
    """A short CamelCase reason from a fault code (`SoftLayer_Exception_InvalidValue`)."""
    if not code.startswith("SoftLayer_Exception_"):
        return ""
    tail = code.removeprefix("SoftLayer_Exception_").replace("_", "")
    return tail if tail.isalnum() else ""


#: Everything a call through the SDK may raise besides programming errors.
SDK_ERRORS: tuple[type[BaseException], ...] = (
    SoftLayer.exceptions.SoftLayerError,
    xml.parsers.expat.ExpatError,
    xmlrpc.client.Error,
    requests.RequestException,
)


def call(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (SoftLayer calls named `action`), raising vertice errors instead of the SDK's."""
    try:
        return fn()
    except SDK_ERRORS as exc:
        error = translate(exc, action)
    raise error


def is_not_found(error: DriverError) -> bool:
    """Whether a translated error says the object does not exist."""
    return error.reason in ("NotFound", "InstanceNotFound")
