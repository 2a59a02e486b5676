"""Requests gunicorn refuses before the application sees them are answered with the API's
JSON error document, not gunicorn's HTML page (issue 17, item 10): a bad request line
(400), a request line over gunicorn's limit (414), a header over its limit (431)."""

from __future__ import annotations

import json
import socket

import pytest

from vertice_api.wire_errors import MESSAGE_LIMIT

pytestmark = pytest.mark.slow


def send_raw(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"HELLO\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["bad-request-line", "request-line-too-long", "header-too-large"],
)
def test_gunicorn_refusals_are_the_json_error_document(live_server, request_bytes, status):
    got, headers, body = send_raw(live_server.url, request_bytes)
    assert got == status, body[:200]
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert set(document) == {"title", "description"} and document["title"]
    assert len(document["description"]) <= MESSAGE_LIMIT
    assert int(headers["content-length"]) == len(body)
