"""The router testkit's upstreams and specs: small HTTP servers on 127.0.0.1 that
answer every GET with their own name (and the path), and route specs in front of them.

`vertice_drivers.router_testkit` re-exports `Upstream`, `serve_upstream` and
`route_spec`; its contract tests use the rest.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from vertice_core.router import RouteSpec, TlsMode
from vertice_drivers.ports import free_port

__all__ = [
    "HEALTH_PATH",
    "Requester",
    "Upstream",
    "free_port",
    "route_spec",
    "serve_upstream",
    "unique_host",
]

#: What the `request_through` fixture is: (hostname, path, tls) -> (status, body).
Requester = Callable[[str, str, bool], tuple[int, str]]

_counter = itertools.count(1)
#: The path upstreams answer 503 on when they are unhealthy.
HEALTH_PATH = "/healthz"


@attrs.frozen
class Upstream:
    """A running upstream: its name (the body it answers) and its `host:port`."""

    name: str
    address: str


class _NamedHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's name (and the path, after a newline); an
    unhealthy server answers its health check path `/healthz` with a 503."""

    def do_GET(self) -> None:
        name: str = self.server.name  # type: ignore[attr-defined]
        healthy: bool = self.server.healthy  # type: ignore[attr-defined]
        body = f"{name}\n{self.path}".encode()
        self.send_response(200 if healthy or self.path != HEALTH_PATH else 503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read bodies, not logs."""


@contextlib.contextmanager
def serve_upstream(name: str, healthy: bool = True) -> Iterator[Upstream]:
    """Serve `name` on a free 127.0.0.1 port in a thread, until the block ends
    (`healthy=False`: `/healthz` answers 503, every other path 200)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NamedHandler)
    server.name = name  # type: ignore[attr-defined]
    server.healthy = healthy  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"upstream-{name}", daemon=True)
    thread.start()
    try:
        yield Upstream(name, f"127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def route_spec(hostname: str, *upstreams: Upstream, **changes: Any) -> RouteSpec:
    """A spec with a fresh route id for `hostname` to `upstreams` (plain HTTP by default)."""
    changes.setdefault("tls", TlsMode.OFF)
    changes.setdefault("path_prefix", "")
    return RouteSpec(
        id=f"rte-tk{next(_counter)}",
        hostname=hostname,
        upstreams=tuple(sorted(u.address for u in upstreams)),
        **changes,
    )


def unique_host(label: str) -> str:
    """A hostname no other test of this process uses."""
    return f"{label}-{next(_counter)}.vertice.test"
