"""The SoftLayer peer of the tests: the SDK's own XML-RPC fixture server, given a memory.

`SoftLayer.testing.xmlrpc.create_test_server(MockableTransport(FixtureTransport()))`
is the server softlayer-python's own tests use: it speaks SoftLayer's XML-RPC
(`POST /SoftLayer_Service`, headers `authenticate`, `<Service>InitParameters`,
`SoftLayer_ObjectMask`, `<Service>ObjectFilter`, `resultLimit`), answers from
the SDK's fixtures, and sends a raised `SoftLayerAPIError` as an XML-RPC
`<fault>`. Its fixtures are stateless, so `set_mock` routes the calls vertice
makes to a `GuestAccount` (`softlayer_guests.py`), after checking the API key
as SoftLayer does (`SoftLayer_Exception_InvalidLegacyToken`, "Invalid API
token."). `getCreateObjectOptions` and `getPrivateBlockDeviceTemplateGroups`
still answer from the SDK's fixtures, after the same check.

Every request is recorded (`MockableTransport.calls`). A test can make a method
fail with a fault, with an HTTP 5xx (the server's own 555 reply), with a dropped
connection, or answer late; serve a recorded reply from
`fixtures/` verbatim; or take the whole server down.
"""

from __future__ import annotations

import threading
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SoftLayer.testing import MockableTransport
from SoftLayer.testing.xmlrpc import create_test_server
from SoftLayer.transports import FixtureTransport
from softlayer_documents import fault, mask_names
from softlayer_guests import GuestAccount

#: Recorded SoftLayer replies (see SOURCES.md beside them).
RECORDED = Path(__file__).resolve().parent / "fixtures"
USERNAME, API_KEY = "vertice", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
ACCOUNT, GUEST = "SoftLayer_Account", "SoftLayer_Virtual_Guest"


@dataclass
class Fault:
    """How the peer misbehaves on one method."""

    code: str = ""
    message: str = ""
    #: 555: the server's own HTTP 5xx reply; "drop": the connection closes unanswered.
    http: int | str = 0
    delay: float = 0.0
    times: int | None = None


def load_recorded(name: str) -> Any:
    """The value of a recorded XML-RPC reply (a fault is raised as the server would send it)."""
    try:
        (value,), _ = xmlrpc.client.loads((RECORDED / name).read_bytes())
    except xmlrpc.client.Fault as recorded:
        raise fault(str(recorded.faultCode), recorded.faultString) from None
    return value


class SoftLayerPeer:
    """The fixture server on a free port of 127.0.0.1, with a `GuestAccount` behind it."""

    def __init__(self) -> None:
        self.transport = MockableTransport(FixtureTransport())
        self.account = GuestAccount()
        self.faults: dict[str, Fault] = {}
        #: When each routed request arrived: (method, monotonic seconds).
        self._arrivals: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self.port = 0
        self.install()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen (again) on the peer's port (a free one the first time)."""
        self._server = create_test_server(self.transport, host="127.0.0.1", port=self.port)
        # The endpoint's accept queue, not socketserver's 5: a driver's pool connects
        # `max_connections` (32) at once.
        self._server.socket.listen(128)
        self.port = int(self._server.server_port)

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an endpoint that is down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """No guests, no faults, no recorded calls, every method routed to the account."""
        self.account.reset()
        with self._lock:
            self.faults.clear()
            self._arrivals.clear()
        self.transport.calls.clear()
        self.install()

    # -- what tests do --

    def fail(self, method: str, **how: Any) -> None:
        """Make `method` (or "*": every method) misbehave (see `Fault`)."""
        with self._lock:
            self.faults[method] = Fault(**how)

    def clear(self) -> None:
        """Answer normally again."""
        with self._lock:
            self.faults.clear()

    def serve_recorded(self, service: str, method: str, name: str) -> None:
        """Answer `service::method` with a recorded reply, verbatim (whatever was asked)."""
        self.transport.set_mock(service, method).side_effect = lambda call: load_recorded(name)

    def serve_sdk_fixture(self, service: str, method: str) -> None:
        """Answer `service::method` from the SDK's own fixture, as the bare server does."""
        self.transport.mocked.pop(f"{service}::{method}", None)

    def calls(self, method: str) -> list[Any]:
        """The requests for `method` the server received (any service)."""
        return [c for c in list(self.transport.calls) if c.method == method]

    def arrivals(self, method: str) -> list[float]:
        """When the requests for `method` arrived (monotonic seconds)."""
        with self._lock:
            return [t for m, t in self._arrivals if m == method]

    def count(self, method: str) -> int:
        """How many requests for `method` the server received."""
        return len(self.calls(method))

    # -- routing --

    def install(self) -> None:
        """Route the methods vertice calls to the account (or to the SDK's fixtures)."""
        account = self.account
        routes: dict[tuple[str, str], Callable[[Any], Any]] = {
            (ACCOUNT, "getVirtualGuests"): lambda c: account.list_guests(
                (c.filter or {}).get("virtualGuests", {}), mask_names(c.mask), c.limit, c.offset
            ),
            (GUEST, "getObject"): lambda c: account.get(int(c.identifier), mask_names(c.mask)),
            (GUEST, "createObject"): lambda c: account.create(c.args[0]),
            (GUEST, "setTags"): lambda c: account.set_tags(int(c.identifier), c.args[0]),
            (GUEST, "editObject"): lambda c: account.edit(int(c.identifier), c.args[0]),
            (GUEST, "deleteObject"): lambda c: account.cancel(int(c.identifier)),
            (GUEST, "getCreateObjectOptions"): FixtureTransport(),
            (ACCOUNT, "getPrivateBlockDeviceTemplateGroups"): FixtureTransport(),
        }
        for method in ("powerOn", "powerOff", "powerOffSoft", "pause", "resume",
                       "rebootSoft", "rebootDefault", "rebootHard"):  # fmt: skip
            routes[(GUEST, method)] = lambda c, m=method: account.power(int(c.identifier), m)
        for (service, method), answer in routes.items():
            self.transport.set_mock(service, method).side_effect = self._guarded(method, answer)

    def _guarded(self, method: str, answer: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def handle(call: Any) -> Any:
            with self._lock:
                self._arrivals.append((method, time.monotonic()))
            how = self._take(method)
            if how is not None:
                if how.delay:
                    time.sleep(how.delay)
                if how.http == "drop":
                    raise RuntimeError("the peer drops the connection")  # no reply at all
                if how.http:
                    raise OverflowError("the peer answers HTTP 555")  # the server's 5xx reply
                if how.code:
                    raise fault(how.code, how.message)
            self._authenticate(call)
            return answer(call)

        return handle

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            name = method if method in self.faults else "*" if "*" in self.faults else None
            if name is None:
                return None
            how = self.faults[name]
            if how.times is not None:
                how.times -= 1
                if how.times <= 0:
                    del self.faults[name]
            return how

    @staticmethod
    def _authenticate(call: Any) -> None:
        given = (call.headers or {}).get("authenticate") or {}
        if not given:
            raise fault("SoftLayer_Exception_Public", "No valid authentication headers found.")
        if (given.get("username"), given.get("apiKey")) != (USERNAME, API_KEY):
            raise fault("SoftLayer_Exception_InvalidLegacyToken", "Invalid API token.")
