"""The fault proxy of the AWS driver's tests: an HTTP server before moto that misbehaves on cue.

moto answers every EC2 call it understands, and never with quota, throttling
or server errors. The proxy forwards to moto, but answers the EC2 actions a
test chooses with an error envelope shaped like the recorded
`tests/fixtures/run_instances_idem_mismatch.xml`
(`<Response><Errors><Error><Code>...`), or with a recorded reply verbatim;
it can hold moto's reply back (the call still takes effect), and it can go
down and come back on the same port.

It lives in the plugin folder's own conftest (loaded for `tests/`), apart from
the moto fixtures of `tests/conftest.py`, to keep each file short.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

#: Recorded EC2 replies (see SOURCES.md beside them).
FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"


@attrs.define
class Fault:
    """How the proxy answers one EC2 action: an error envelope, or a delay before moto's reply."""

    status: int = 400
    code: str = ""
    message: str = ""
    #: A recorded reply to serve verbatim instead of a written envelope.
    body_file: str = ""
    #: Seconds to hold moto's real reply back (the call still reaches moto).
    delay: float = 0.0
    #: How many calls it applies to (None: all of them).
    times: int | None = None


def error_envelope(code: str, message: str) -> bytes:
    """An EC2 error reply, in the shape of tests/fixtures/run_instances_idem_mismatch.xml."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        f"</Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()


def page_of(payload: bytes, item_set: str, params: dict[str, list[str]]) -> bytes:
    """One page of an EC2 reply listing every item in `item_set`: `MaxResults` items from
    the offset `NextToken` holds (as this proxy gave it), with a `nextToken` when more
    follow. A reply without `MaxResults` asked for is left whole."""
    if "MaxResults" not in params:
        return payload
    root = ET.fromstring(payload)  # noqa: S314 (moto's own reply, on 127.0.0.1)
    namespace = root.tag.partition("}")[0].lstrip("{")
    found = root.find(f"{{{namespace}}}{item_set}")
    if found is None:
        return payload
    items = list(found)
    start = int(params.get("NextToken", ["0"])[0])
    end = start + int(params["MaxResults"][0])
    for item in items:
        found.remove(item)
    found.extend(items[start:end])
    if end < len(items):
        ET.SubElement(root, f"{{{namespace}}}nextToken").text = str(end)
    ET.register_namespace("", namespace)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class FaultProxy:
    """An HTTP server before moto that can fail, slow down or refuse chosen EC2 actions."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.faults: dict[str, Fault] = {}
        #: Every EC2 action that reached the proxy, with its monotonic time and fate.
        self.calls: list[tuple[str, float, str]] = []
        #: Every EC2 action that reached the proxy, with its parameters.
        self.params: list[tuple[str, dict[str, list[str]]]] = []
        #: The actions answered in pages, with the element listing their items.
        self.paged: dict[str, str] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, action: str, **fault: Any) -> None:
        """Answer `action` with the given fault (see `Fault`)."""
        with self._lock:
            self.faults[action] = Fault(**fault)

    def page(self, action: str, item_set: str) -> None:
        """Answer `action` in pages of its `MaxResults` items of `item_set` (see `page_of`)."""
        with self._lock:
            self.paged[action] = item_set

    def sent(self, action: str) -> list[dict[str, str]]:
        """The parameters of each call of `action` (the first value of each)."""
        with self._lock:
            return [{k: v[0] for k, v in p.items()} for a, p in self.params if a == action]

    def clear(self) -> None:
        """Forward everything again, and let delayed replies go now."""
        with self._lock:
            self.faults.clear()
            self._release.set()
            self._release = threading.Event()

    def count(self, action: str, fate: str | None = None) -> int:
        with self._lock:
            return sum(1 for a, _, f in self.calls if a == action and fate in (None, f))

    def times(self, action: str) -> list[float]:
        with self._lock:
            return [t for a, t, _ in self.calls if a == action]

    def _take(self, action: str, params: dict[str, list[str]]) -> Fault | None:
        with self._lock:
            self.params.append((action, params))
            fault = self.faults.get(action)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[action]
            fate = "ok" if fault is None else (fault.code or fault.body_file or "delayed")
            self.calls.append((action, time.monotonic(), fate))
            return fault

    def start(self) -> None:
        """Listen (again) on the proxy's port (a free one the first time)."""
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                params = urllib.parse.parse_qs(body.decode())
                action = params.get("Action", [""])[0]
                fault = proxy._take(action, params)
                if fault is not None and not fault.delay:
                    if fault.body_file:
                        payload = (FIXTURES / fault.body_file).read_bytes()
                    else:
                        payload = error_envelope(fault.code, fault.message)
                    self._answer(fault.status, payload, "text/xml")
                    return
                status, payload, kind = proxy._forward(self.path, body, dict(self.headers))
                item_set = proxy.paged.get(action)
                if item_set is not None and status == 200:
                    payload = page_of(payload, item_set, params)
                if fault is not None:
                    proxy._release.wait(fault.delay)
                self._answer(status, payload, kind)

            def _answer(self, status: int, payload: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        try:
            connection.request("POST", path, body=body, headers=headers)
            reply = connection.getresponse()
            return reply.status, reply.read(), reply.getheader("Content-Type", "text/xml")
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop listening: calls now fail to connect, as to an endpoint that is down."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def fault_proxy(moto: Any) -> Iterator[FaultProxy]:
    """A fault proxy before moto (started; stopped after the test)."""
    proxy = FaultProxy(moto.url)
    proxy.start()
    yield proxy
    proxy.stop()
