"""The admin client's one retry after a lost connection: a server on 127.0.0.1 that
drops the first connection of each request unanswered, as Caddy does while it replaces
its admin server at a configuration load."""

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

    def _handle(self) -> None:
        Dropping.seen.append(self.command)
        if len(Dropping.seen) % 2 == 1:
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        body = b'{"error": "unknown object ID"}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_DELETE = do_POST = _handle

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def dropping() -> Iterator[str]:
    Dropping.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dropping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_delete_that_a_404_satisfies_is_sent_again_after_a_lost_connection(dropping):
    client = AdminClient(dropping, timeout=5)
    assert client.call("DELETE", "/id/vertice_x_rte-1", missing_ok=True) is None
    assert Dropping.seen == ["DELETE", "DELETE"]
    client.close()


def test_a_write_that_could_apply_twice_is_not_sent_again(dropping):
    client = AdminClient(dropping, timeout=5)
    with pytest.raises(TransientError, match="did not answer POST"):
        client.call("POST", "/config/apps/http/servers/x/routes", body={"a": 1})
    assert Dropping.seen == ["POST"]
    client.close()
