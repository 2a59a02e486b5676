"""Slow clients held the sync workers (issue 17, item 2): against a real `vertice serve`
whose clients have 2 s to send a request (`VERTICE_REQUEST_TIMEOUT`), fifty slow
connections leave the API answering others; a request that never finishes arriving is
cut at its deadline (a cut body is a 408); and what a slow but honest client sends
(`Expect: 100-continue`, a body in chunks) is served."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vertice_testing.server import LiveServer, running_server
from vertice_testing.slowloris import Slowloris

pytestmark = pytest.mark.slow

#: The request timeout the server runs with, in seconds.
TIMEOUT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home: Path = tmp_path_factory.mktemp("slow") / "home"
    with running_server(home, {"VERTICE_REQUEST_TIMEOUT": str(TIMEOUT)}) as live:
        yield live


def _address(server: LiveServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (at most 10 s of waiting)."""
    sock.settimeout(10)
    parts = []
    while part := sock.recv(65536):
        parts.append(part)
    return b"".join(parts)


def test_fifty_slow_clients_leave_the_api_answering_others(server):
    host, port = _address(server)
    headers = {"Authorization": f"Bearer {server.token}"}
    # each worker holds fifty slow connections while the others are served
    with Slowloris(host, port, count=50, interval=0.5) as slow:
        time.sleep(1)  # every slow connection is open and has sent some of its request
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as api:
            answers = [api.get("/v3/platform").status_code for _ in range(40)]
    assert answers == [200] * 40
    assert slow.opened >= 50


def test_clients_that_read_their_answer_and_never_close_leave_the_api_answering_others(
    server,
):
    """gunicorn closes a connection by shutting its write side and reading until the
    client closes, for up to 2 s: in the worker's only thread, each such client held a
    worker for those 2 s (fifty: 50 s of two workers). The worker's loop does that wait."""
    host, port = _address(server)
    request = b"GET /v3/platform HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer " + (
        server.token.encode() + b"\r\n\r\n"
    )
    lingering = [socket.create_connection((host, port)) for _ in range(50)]
    try:
        for sock in lingering:
            sock.sendall(request)
        time.sleep(0.5)  # they are answered; none of them closes
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as api:
            others = [api.get("/v3/platform").status_code for _ in range(40)]
        assert others == [200] * 40
        # each got its whole answer, then the server's end of the connection
        answers = [_answer(sock) for sock in lingering]
        assert all(a.startswith(b"HTTP/1.1 200 ") and a.endswith(b"}") for a in answers)
    finally:
        for sock in lingering:
            sock.close()


def test_a_head_that_never_ends_is_cut_at_the_deadline(server):
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(b"GET /v3/platform HTTP/1.1\r\nHost: slow\r\n")
        started = time.monotonic()
        for _ in range(TIMEOUT * 4):  # a line every half-second, past the deadline
            time.sleep(0.5)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        answer = _answer(sock)
    assert answer == b""  # closed without an answer: there was no whole request
    assert time.monotonic() - started < 10 * TIMEOUT


def test_a_body_shorter_than_its_length_is_a_408(server):
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(
            b"POST /v3/projects HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer "
            + server.token.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = _answer(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert json.loads(body)["title"] == "Request timeout"
    names = [p["name"] for p in _projects(server)]
    assert len(names) == 1, names  # nothing was created


def test_a_client_that_waits_for_100_continue_gets_it_and_is_served(server):
    body = json.dumps({"name": "continued", "description": "x" * 4000}).encode()
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(
            b"POST /v3/projects HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer "
            + server.token.encode()
            + b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        sock.settimeout(5)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert answer.count(b"100 Continue") == 0  # said once, before the body


def test_a_chunked_body_sent_slowly_within_the_deadline_is_served(server):
    body = json.dumps({"name": "chunked"}).encode()
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(
            b"POST /v3/projects HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer "
            + server.token.encode()
            + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for start in range(0, len(body), 5):
            piece = body[start : start + 5]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            time.sleep(0.05)
        sock.sendall(b"0\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert "chunked" in [p["name"] for p in _projects(server)]


def test_a_head_over_the_buffer_is_refused_with_the_json_error(server):
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(b"GET /v3/platform HTTP/1.1\r\nHost: slow\r\n")
        for n in range(20):  # 80 KB of header lines, never ended
            sock.sendall(f"X-Big-{n}: {'b' * 4000}\r\n".encode())
        answer = _answer(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] in (b"400", b"431"), answer[:300]
    assert "title" in json.loads(body)


def _projects(server: LiveServer) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {server.token}"}
    items = httpx.get(f"{server.url}/v3/projects", headers=headers, timeout=10).json()["items"]
    return list(items)
