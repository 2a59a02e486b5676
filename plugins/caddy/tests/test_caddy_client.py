"""The admin client's one retry after a lost connection: a server on 127.0.0.1 that
drops a request's connection unanswered, as Caddy does while it replaces its admin
server at a configuration load (by default every odd request; a test may give the
answers in turn: `None` drops, a number is the status)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from vertice_core.errors import TransientError
from vertice_router_caddy.client import AdminClient


class Dropping(http.server.BaseHTTPRequestHandler):
    """Drops every odd request without an answer; answers the others 404 (nothing there)."""

    seen: list[str] = []
    script: list[int | None] = []

    def _handle(self) -> None:
        Dropping.seen.append(f"{self.command} {self.path}")
        if Dropping.script:
            status = Dropping.script.pop(0)
        else:
            status = None if len(Dropping.seen) % 2 == 1 else 404
        if status is None:
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        body = b'{"error": "unknown object ID"}' if status == 404 else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_DELETE = do_POST = do_GET = _handle

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def dropping() -> Iterator[str]:
    Dropping.seen, Dropping.script = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dropping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_delete_that_a_404_satisfies_is_sent_again_after_a_lost_connection(dropping):
    client = AdminClient(dropping, timeout=5)
    assert client.call("DELETE", "/id/vertice_x_rte-1", missing_ok=True) is None
    assert Dropping.seen == ["DELETE /id/vertice_x_rte-1"] * 2
    client.close()


def test_a_write_that_could_apply_twice_is_not_sent_again(dropping):
    client = AdminClient(dropping, timeout=5)
    with pytest.raises(TransientError, match="did not answer POST"):
        client.call("POST", "/config/apps/http/servers/x/routes", body={"a": 1})
    assert Dropping.seen == ["POST /config/apps/http/servers/x/routes"]
    client.close()


ROUTES = "/config/apps/http/servers/x/routes"


def test_a_tagged_append_that_did_not_land_is_sent_again(dropping):
    Dropping.script = [None, 404, 200]  # the POST lost, /id/<tag> not found, the POST
    client = AdminClient(dropping, timeout=5)
    assert client.call("POST", ROUTES, body={"@id": "vertice_x_rte-1"}) is None
    assert Dropping.seen == [f"POST {ROUTES}", "GET /id/vertice_x_rte-1", f"POST {ROUTES}"]
    client.close()


def test_a_tagged_append_that_landed_is_not_sent_again(dropping):
    Dropping.script = [None, 200]  # the POST lost, but /id/<tag> finds it: it landed
    client = AdminClient(dropping, timeout=5)
    assert client.call("POST", ROUTES, body={"@id": "vertice_x_rte-1"}) is None
    assert Dropping.seen == [f"POST {ROUTES}", "GET /id/vertice_x_rte-1"]
    client.close()
