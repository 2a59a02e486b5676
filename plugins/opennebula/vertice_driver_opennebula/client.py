"""The pyone server of a region, and the one place OpenNebula's errors become vertice's.

oned answers every XML-RPC call with `[success, result_or_message, error_code, ...]`.
pyone turns failures into exception classes, but not all of them (ALLOCATE and
LOCKED become a bare `OneException`, their code lost), so the server here keeps
the code and every call the driver makes runs through `call(action, fn)`:

| oned's error code (or failure)      | vertice error                                   |
|-------------------------------------|-------------------------------------------------|
| 0x0100 AUTHENTICATION               | AuthFailed (unavailable)                        |
| 0x0200 AUTHORIZATION                | AuthFailed (unavailable), reason NotAuthorized  |
| any code, a quota message           | QuotaExceeded (terminal)                        |
| 0x0400 NO_EXISTS                    | NoSuchObject (transient; the driver decides)    |
| 0x0800 ACTION (wrong state)         | transient, IncorrectInstanceState               |
| 0x1000 XML_RPC_API                  | TerminalError, InvalidRequest                   |
| 0x2000 INTERNAL                     | transient (SearchUnsupported: no search backend)|
| 0x4000 ALLOCATE (quota, capacity)   | QuotaExceeded (terminal)                        |
| 0x8000 LOCKED                       | transient, Locked                               |
| HTTP 401/403                        | AuthFailed                                      |
| HTTP 404/405                        | UnavailableError, RegionMisconfigured           |
| HTTP 5xx, refused, timeouts         | TransientError                                  |
| XML-RPC fault                       | TerminalError, InvalidRequest                   |

`pyone.OneServer(timeout=...)` sets the process-wide socket default timeout,
which would reach every socket of a multi-threaded reconciler. The server here
never passes `timeout` to pyone: it sends each request itself through its own
`requests` session, with its own connect and read timeouts, by overriding
`_do_request` (the seam pyone's own test recorder overrides too).
"""

from __future__ import annotations

import re
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pyone  # type: ignore[import-untyped]
import pyone.bindings.supbind  # type: ignore[import-untyped]
import pyone.server_xrpc  # type: ignore[import-untyped]
import requests
import requests.adapters

from vertice_core.driver import RegionConfig
from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    TransientError,
    UnavailableError,
)
from vertice_driver_opennebula import OpenNebulaCredentials, OpenNebulaSettings

AUTHENTICATION = 0x100
AUTHORIZATION = 0x200
NO_EXISTS = 0x400
ACTION = 0x800
RPC_API = 0x1000
INTERNAL = 0x2000
ALLOCATE = 0x4000
LOCKED = 0x8000

#: What oned answers (INTERNAL, 0x2000) to a search filter its SQL backend cannot run:
#: "JSON query search is not supported by the SQL backend" since 6.10 (SQLite, the
#: default backend), "Full text search is not supported by the SQL backend" before.
SEARCH_UNSUPPORTED = re.compile(r"\bsearch is not supported\b", re.IGNORECASE)
#: How oned's quota checks word an exceeded quota (`Quotas::check_quota` and friends):
#: "User [0] : user [0] limit of 48 reached for VMS quota in VM." whatever the code that
#: carries it (ALLOCATE from some calls, AUTHORIZATION from others).
QUOTA = re.compile(r"limit of \S+ reached for \S+ quota", re.IGNORECASE)

T = TypeVar("T")


class OneCallError(Exception):
    """oned answered a call with `success = false`: its error code and message."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {message} (error {code:#x})")
        self.method = method
        self.code = code
        self.message = message


class HttpStatusError(Exception):
    """The endpoint answered with an HTTP status other than 200."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status


class NoSuchObject(TransientError):
    """oned says an object does not exist (NO_EXISTS): the VM, or its host, template..."""

    reason = "NotFound"


class SearchUnsupported(TransientError):
    """oned's database backend cannot run the search filter of a pool listing."""


class OneServer(pyone.server_xrpc.OneServerXRPC):  # type: ignore[misc]
    """pyone's XML-RPC server proxy, sending requests through its own HTTP session.

    pyone prefixes methods with `one.`, puts the session string first and binds
    XML results to its generated classes; only the wire exchange is replaced.
    """

    def __init__(
        self,
        endpoint: str,
        session: str,
        *,
        timeout: tuple[float, float],
        verify: bool,
        connections: int,
    ) -> None:
        # No `timeout` for pyone: it would call socket.setdefaulttimeout() for the process.
        super().__init__(endpoint, session, https_verify=verify)
        self._endpoint = endpoint
        self._timeout = timeout
        self._verify = verify
        self._http = requests.Session()
        # Never more calls in flight than connections kept (docs/writing-a-driver.md):
        # beyond `connections`, a call waits for one to be free (each holder has its
        # read timeout) instead of opening one that would be discarded.
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=connections, pool_block=True, max_retries=0
        )
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    def _do_request(self, method: str, params: tuple[Any, ...]) -> Any:
        body = xmlrpc.client.dumps(tuple(params), method, encoding="utf-8").encode()
        reply = self._http.post(
            self._endpoint,
            data=body,
            headers={"Content-Type": "text/xml", "User-Agent": "vertice (pyone)"},
            timeout=self._timeout,
            verify=self._verify,
        )
        if reply.status_code != 200:
            raise HttpStatusError(reply.status_code, reply.reason or "")
        (result,), _ = xmlrpc.client.loads(reply.content)
        if not isinstance(result, list) or len(result) < 3:
            raise OneCallError(method, -1, f"unexpected reply {result!r:.200}")
        if result[0] is not True:
            raise OneCallError(method, int(result[2]), str(result[1]))
        return result

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


def make_server(region: RegionConfig) -> OneServer:
    """The pyone server of the region: its endpoint, user and password, and timeouts."""
    settings: OpenNebulaSettings = region.settings
    credentials: OpenNebulaCredentials = region.credentials
    endpoint = region.endpoint
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnavailableError(
            f"region {region.name!r}: endpoint {endpoint!r} is not oned's XML-RPC URL "
            "(for example 'http://one.example:2633/RPC2')",
            reason="RegionMisconfigured",
        )
    return OneServer(
        endpoint,
        f"{credentials.user}:{credentials.password}",
        timeout=(settings.connect_timeout, settings.read_timeout),
        verify=settings.verify_tls,
        connections=settings.max_connections,
    )


def translate(exc: BaseException, action: str) -> DriverError:
    """The vertice error for an exception raised while `action` talked to oned."""
    if isinstance(exc, OneCallError):
        return _call_error(exc, action)
    if isinstance(exc, HttpStatusError):
        return _http_error(exc, action)
    if isinstance(exc, requests.Timeout):
        return TransientError(f"opennebula: {action}: oned did not answer in time ({exc})")
    if isinstance(exc, requests.RequestException):
        return TransientError(f"opennebula: {action}: the endpoint cannot be reached ({exc})")
    if isinstance(exc, xmlrpc.client.Fault):
        return TerminalError(
            f"opennebula: {action}: XML-RPC fault {exc.faultCode}: {exc.faultString}",
            reason="InvalidRequest",
        )
    if isinstance(exc, xml.parsers.expat.ExpatError | xmlrpc.client.ResponseError):
        return TransientError(f"opennebula: {action}: unreadable reply ({exc})")
    return TransientError(f"opennebula: {action} failed: {type(exc).__name__}: {exc}")


def _http_error(exc: HttpStatusError, action: str) -> DriverError:
    text = f"opennebula: {action}: the endpoint answered {exc}"
    if exc.status in (401, 403):
        return AuthFailed(text)
    if exc.status in (404, 405):
        return UnavailableError(
            f"{text}: is it oned's XML-RPC URL (.../RPC2)?", reason="RegionMisconfigured"
        )
    return TransientError(text)


#: oned's error codes -> (vertice error class, reason; None: the class's own).
CODES: dict[int, tuple[type[DriverError], str | None]] = {
    AUTHENTICATION: (AuthFailed, None),
    AUTHORIZATION: (AuthFailed, "NotAuthorized"),
    NO_EXISTS: (NoSuchObject, None),
    ACTION: (TransientError, "IncorrectInstanceState"),
    RPC_API: (TerminalError, "InvalidRequest"),
    INTERNAL: (TransientError, None),
    ALLOCATE: (QuotaExceeded, None),
    LOCKED: (TransientError, "Locked"),
}


def _call_error(exc: OneCallError, action: str) -> DriverError:
    message = " ".join(exc.message.split())
    text = f"opennebula: {action}: {message} (error {exc.code:#x})"
    if exc.code == INTERNAL and SEARCH_UNSUPPORTED.search(message):
        return SearchUnsupported(text)
    if QUOTA.search(message):  # before the code: oned sends quotas as AUTHORIZATION too
        return QuotaExceeded(text)
    # REPLICATION (an HA follower without a leader) and codes oned may add later: retried.
    cls, reason = CODES.get(exc.code, (TransientError, "OpenNebulaError"))
    return cls(text, reason=reason)


def busy(vm_id: int, verb: str, state: ValueError) -> TransientError:
    """The error of a verb oned refuses in the VM's state (`state` names it): retried."""
    return TransientError(
        f"opennebula: cannot {verb} VM {vm_id} while it is {state}; retrying once it settles",
        reason="IncorrectInstanceState",
    )


#: What a call to oned may raise: its answers, HTTP and XML-RPC failures, pyone's own
#: exceptions and the parse errors of its generated bindings (lxml's are SyntaxErrors).
SDK_ERRORS: tuple[type[BaseException], ...] = (
    OneCallError,
    HttpStatusError,
    requests.RequestException,
    xmlrpc.client.Error,
    xml.parsers.expat.ExpatError,
    pyone.OneException,
    pyone.bindings.supbind.GDSParseError,
    SyntaxError,
)


def call(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (oned calls named `action`), raising vertice errors instead of pyone's."""
    try:
        return fn()
    except SDK_ERRORS as exc:
        error = translate(exc, action)
    # Raised outside the handler, so not even `__context__` holds an SDK object.
    raise error
