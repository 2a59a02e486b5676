"""A local HTTP receiver for webhook tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Receiver:
    """Records every POST; can fail the first requests or answer slowly."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = 0
        self.delay = 0.0
        self.calls = 0
        self.lock = threading.Lock()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A webhook receiver on a free port of 127.0.0.1: `(receiver, url)`."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.calls += 1
                failing = state.calls <= state.fail_first
            time.sleep(state.delay)
            if failing:
                self.send_response(500)
            else:
                with state.lock:
                    state.received.append((dict(self.headers), body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
