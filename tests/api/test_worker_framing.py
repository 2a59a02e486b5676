"""How the API worker knows a request has arrived whole (`vertice_api.worker.Arriving`),
fed byte by byte and in one piece, over a real socket pair (the `Expect` answer is sent)."""

from __future__ import annotations

import socket
import time

import pytest

from vertice_api.http import MAX_BODY
from vertice_api.worker import MAX_HEAD, Arriving

HEAD = b"POST /v3/projects HTTP/1.1\r\nHost: h\r\n"


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def _arriving(sock: socket.socket) -> Arriving:
    return Arriving(sock, ("127.0.0.1", 1), None, time.monotonic() + 30)


def _whole_after(request: Arriving, data: bytes) -> int | None:
    """The number of bytes fed one at a time when the request first reads whole."""
    for count in range(1, len(data) + 1):
        request.feed(data[count - 1 : count])
        if request.whole():
            return count
    return None


@pytest.mark.parametrize(
    ("data", "whole_at"),
    [
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", None),  # no body: whole at the blank line
        (HEAD + b"Content-Length: 5\r\n\r\nhello", None),
        (HEAD + b"content-length:  0 \r\n\r\n", None),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n", None),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\nTrailer: t\r\n\r\n", None),
    ],
)
def test_a_request_reads_whole_at_its_last_byte_and_not_before(pair, data, whole_at):
    assert _whole_after(_arriving(pair[0]), data) == (whole_at or len(data))
    request = _arriving(pair[0])
    request.feed(data)
    assert request.whole()


@pytest.mark.parametrize(
    "data",
    [
        HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n",  # two lengths: gunicorn refuses
        HEAD + b"Content-Length: five\r\n\r\n",
        HEAD + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode(),  # the application's 413
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",  # a malformed size: gunicorn's 400
    ],
)
def test_what_gunicorn_or_the_application_refuses_is_handed_over_without_waiting(pair, data):
    request = _arriving(pair[0])
    request.feed(data)
    assert request.whole() and request.refusal is None


def test_a_head_over_the_buffer_and_an_endless_size_line_are_refused_here(pair):
    request = _arriving(pair[0])
    request.feed(HEAD + b"X: " + b"a" * MAX_HEAD)
    assert request.whole() and request.refusal is not None and request.refusal[0] == 431
    request = _arriving(pair[0])
    request.feed(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 2000)
    assert request.whole() and request.refusal is not None and request.refusal[0] == 400


def test_expect_100_continue_is_answered_once_and_dropped_from_the_head(pair):
    ours, theirs = pair
    request = _arriving(ours)
    request.feed(HEAD + b"EXPECT: 100-Continue\r\nContent-Length: 2\r\n\r\n")
    assert not request.whole()
    assert theirs.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    request.feed(b"{}")
    assert request.whole()
    assert bytes(request.data) == HEAD + b"Content-Length: 2\r\n\r\n{}"


def test_a_body_that_came_with_its_head_needs_no_100_continue(pair):
    ours, theirs = pair
    request = _arriving(ours)
    request.feed(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}")
    assert request.whole()
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(100)
