"""Issue 17, item 9: bodies sent with `Transfer-Encoding: chunked`, on a real server.

Such a body has no Content-Length, and was read as empty (a 400 "the request body is
empty" for any of them). It is now read like any other body, within the same 1 MiB: a
chunked body over it is a 413 once 1 MiB and a byte are read, however much more the
client would send.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from vertice_testing.server import LiveServer

#: How much an endless chunked body sends at most: far beyond 1 MiB and what the kernel's
#: socket buffers hold, so a server reading it all would never answer before the timeout.
ENDLESS = 64 * 1024 * 1024
#: The size of each chunk sent.
CHUNK = 64 * 1024


def address(server: LiveServer) -> tuple[str, int]:
    """The server's host and port."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def headers(server: LiveServer) -> dict[str, str]:
    """The admin's credentials and a JSON body's media type."""
    return {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}


def pieces(body: bytes, size: int = 5) -> Iterator[bytes]:
    """`body` in chunks of `size` bytes, so that the server must join several."""
    return (body[start : start + size] for start in range(0, len(body), size))


def post_chunked(server: LiveServer, path: str, document: Any) -> tuple[int, Any]:
    """POST `document` as JSON with `Transfer-Encoding: chunked`: the status and the answer."""
    connection = http.client.HTTPConnection(*address(server), timeout=10)
    try:
        body = pieces(json.dumps(document).encode())
        connection.request("POST", path, body=body, headers=headers(server), encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def post_with_length(server: LiveServer, path: str, document: Any) -> tuple[int, Any]:
    """POST `document` as JSON with a Content-Length: the status and the answer."""
    result = httpx.post(f"{server.url}{path}", json=document, headers=headers(server), timeout=10)
    return result.status_code, result.json()


def test_a_chunked_body_is_handled_as_with_a_content_length(live_server):
    wrong = {"name": 1, "description": 2}
    refused = post_chunked(live_server, "/v3/projects", wrong)
    assert refused == post_with_length(live_server, "/v3/projects", wrong)
    assert refused[0] == 422, refused
    assert {p["path"] for p in refused[1]["problems"]} == {"$.name", "$.description"}

    status, created = post_chunked(live_server, "/v3/projects", {"name": "chunked"})
    assert status == 201, created
    assert created["name"] == "chunked"
    read = httpx.get(f"{live_server.url}/v3/projects/chunked", headers=headers(live_server))
    assert read.status_code == 200


def chunk(data: bytes) -> bytes:
    """`data` framed as one chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def send_endless_chunks(sock: socket.socket, sent: list[int]) -> None:
    """Send chunks of JSON-looking padding, never the last chunk, until `ENDLESS` bytes are
    sent or the server closes the connection; `sent[0]` counts the bytes."""
    try:
        sock.sendall(chunk(b'{"name": "big", "description": "'))
        padding = chunk(b"p" * CHUNK)
        while sent[0] < ENDLESS:
            sock.sendall(padding)
            sent[0] += CHUNK
    except OSError:  # the server answered and closed: what the test expects
        return


def test_an_endless_chunked_body_is_413_after_one_mib(live_server):
    sock = socket.create_connection(address(live_server), timeout=10)
    with sock:
        host, port = address(live_server)
        sock.sendall(
            f"POST /v3/projects HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {live_server.token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = [0]
        sender = threading.Thread(target=send_endless_chunks, args=(sock, sent), daemon=True)
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        status, answer = response.status, json.loads(response.read())
        sender.join(timeout=10)
    assert status == 413, answer
    assert "1 MiB" in answer["description"]
    assert not sender.is_alive()
    assert sent[0] < ENDLESS, "the server read the whole endless body"
    after = httpx.get(f"{live_server.url}/v3/projects/big", headers=headers(live_server))
    assert after.status_code == 404


def test_a_malformed_chunked_body_is_400_not_a_crash(live_server):
    host, port = address(live_server)
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            f"POST /v3/projects HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {live_server.token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            'zz\r\n{"name": "x"}\r\n0\r\n\r\n'.encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        status, answer = response.status, json.loads(response.read())
    assert status == 400, answer
    assert "chunked body could not be read" in answer["description"]
