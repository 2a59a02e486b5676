"""The gunicorn worker `vertice serve` runs: a sync worker that buffers each request whole.

gunicorn's sync worker reads a request with the worker's only thread: two clients
sending a header line every few seconds (slowloris), or announcing a longer body than
they send, held both workers and made the API unavailable to everyone (issue 17).
gevent's worker fixes that but costs about a quarter more CPU per request (measured:
440 against 340 µs for a GET of an assembly). This worker does what a buffering proxy
in front would do, inside the worker:

* connections are accepted and read without blocking, in one `selectors` loop; a
  request is handed to the sync worker's own `handle` only once it has arrived
  whole (its head, and its body by `Content-Length` or to its last chunk), so the
  application never waits for a client;
* a request must arrive within `VERTICE_REQUEST_TIMEOUT` seconds
  (`Config.request_timeout`, 30) of its connection; one that has not is handed over
  as it stands with its reads ended (`DeadlineSocket`): a cut head closes the
  connection, a cut body is answered 408 (`vertice_api.http.read_raw`);
* `Expect: 100-continue` is answered here, so such a client sends its body while it
  is buffered;
* a worker maps large allocations on their own (`_fix_mmap_threshold`), so the
  memory of a large body goes back to the system once it is answered;
* once a request is answered, its connection is closed as RFC 9112 (9.6) asks, the
  write side first and the read side once the client has closed its own, but that
  wait is the loop's, not the worker's (`DeadlineSocket.shutdown`): gunicorn's
  `close_graceful` waited in a blocking read for up to 2 s, so each client that read
  its answer and kept the connection open held a worker for those 2 s (twenty such
  clients took a GET of `/healthz` from 31 ms to 4 s on two workers);
* a worker buffers at most `worker_connections` connections (gunicorn's setting,
  1000), and accepts one connection per turn of its loop, so a busy worker leaves
  new connections to an idle one, as the sync worker did.

One request per connection, as before: with keep-alive, the worker that accepted a
client's connections would serve all of them while the other idled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

from gunicorn.workers.sync import SyncWorker

from vertice_api.http import MAX_BODY
from vertice_api.wire_errors import error_response
from vertice_core import glibc, memory
from vertice_core.config import Config

#: Bytes of a request head buffered before it is handed over unfinished (gunicorn
#: then refuses it: its limits are 4094 bytes a line and 8190 a field).
MAX_HEAD = 64 * 1024
#: Seconds a client may leave a part of its answer unread before it is dropped.
SEND_TIMEOUT = 30.0
#: Seconds a refused or answered client's connection is read on (and what is read
#: dropped) before it is closed, and the most bytes read so (gunicorn's own cap).
DRAIN = 2.0
MAX_DRAIN = 64 * 1024
#: glibc's `mallopt` parameter number of the size from which a block is mapped on its own,
#: and the size (glibc's default start): see `_fix_mmap_threshold`.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024
#: Seconds the kernel holds a connection that sent nothing before it wakes a worker anyway.
DEFER_ACCEPT = 5
#: Bytes read from a buffered connection at once.
CHUNK = 64 * 1024

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*(?=\r\n)")
_EXPECT = re.compile(rb"\r\nexpect:[ \t]*100-continue[ \t]*\r\n", re.IGNORECASE)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Arriving:
    """A request arriving on a connection: its bytes so far, and where the scan of its
    framing stopped (each byte is looked at a bounded number of times)."""

    def __init__(self, sock: socket.socket, addr: Any, listener: Any, deadline: float) -> None:
        self.sock = sock
        self.addr = addr
        self.listener = listener
        self.deadline = deadline
        self.data = bytearray()
        self._head_end = -1  # index of the blank line's end, once found
        self._scanned = 0  # how far the head (or the chunks) has been scanned
        self._length: int | None = None  # the body's bytes, once the head is read
        self._chunked = False
        #: The error answered here, without gunicorn, for what it would read on and on:
        #: (status, reason, message).
        self.refusal: tuple[int, str, str] | None = None
        #: True once the refusal or the answer is sent: what the client still sends is read
        #: and dropped (`_linger`).
        self.draining = False
        #: Bytes read and discarded since then (at most `MAX_DRAIN`).
        self.drained = 0

    def feed(self, data: bytes) -> None:
        """Add bytes read from the client."""
        self.data += data

    def whole(self) -> bool:
        """True once the request can be handed over: it has arrived whole, or it is
        malformed or too large, which gunicorn and the application refuse without
        reading on."""
        if self._head_end < 0:
            if not self._find_head():
                if len(self.data) <= MAX_HEAD:
                    return False
                self.refusal = (431, "Request Header Fields Too Large",
                                f"the request's head is over {MAX_HEAD} bytes")  # fmt: skip
                return True
            if self._wants_body() and self._expects_continue():
                self._answer_continue()
        if self._chunked:
            return self._chunks_done()
        if self._length is None:
            return True
        return len(self.data) - self._head_end >= self._length or self._length > MAX_BODY

    def _find_head(self) -> bool:
        end = self.data.find(b"\r\n\r\n", max(self._scanned - 3, 0))
        if end < 0:
            self._scanned = len(self.data)
            return False
        self._head_end = self._scanned = end + 4
        head = bytes(self.data[: end + 2]).lower()
        self._chunked = b"\r\ntransfer-encoding:" in head
        if not self._chunked and b"\r\ncontent-length:" in head:
            found = _LENGTH.findall(head)
            # several or a malformed one: gunicorn refuses it, nothing to wait for
            self._length = int(found[0]) if len(found) == 1 else 0
        return True

    def _wants_body(self) -> bool:
        """Whether a body within the limit is still to come after the head."""
        if self._chunked:
            return True
        length = self._length or 0
        return 0 < length <= MAX_BODY and len(self.data) - self._head_end < length

    def _expects_continue(self) -> bool:
        return _EXPECT.search(self.data, 0, self._head_end) is not None

    def _answer_continue(self) -> None:
        """Tell the client to send its body now (it waits for this), and drop the header
        so that gunicorn does not say it again."""
        head = bytes(self.data[: self._head_end])
        without = _EXPECT.sub(b"\r\n", head, count=1)
        self.data[: self._head_end] = without
        self._head_end = self._scanned = len(without)
        with contextlib.suppress(OSError):  # the client is gone: its reads will say so
            self.sock.send(_CONTINUE)

    def _chunks_done(self) -> bool:
        """Scan the chunks that arrived since the last call; True at the last one (or at
        a malformed size line, or beyond the body limit: refused without waiting)."""
        data = self.data
        while True:
            if self._scanned - self._head_end > MAX_BODY + CHUNK:
                return True
            line_end = data.find(b"\r\n", self._scanned)
            if line_end < 0:
                if len(data) - self._scanned <= 1024:  # a size line is short
                    return False
                self.refusal = (400, "Bad Request", "a chunk's size line is over 1024 bytes")
                return True
            size_text = bytes(data[self._scanned : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return True
            if size == 0:
                return data.find(b"\r\n\r\n", line_end) >= 0  # the trailers' end
            following = line_end + 2 + size + 2
            if following > len(data):
                return False
            self._scanned = following


class DeadlineSocket:
    """A client socket that first reads back what was buffered from it, whose reads end
    (as if the client had closed) at a deadline, and whose writes give up on a client
    that stopped reading; anything else is the socket's own."""

    def __init__(
        self,
        sock: socket.socket,
        buffered: bytes,
        deadline: float,
        linger: Callable[[], None] | None = None,
    ) -> None:
        self._sock = sock
        self._buffered = buffered
        self._deadline = deadline
        #: True once a read met the deadline (the application answers 408).
        self.expired = False
        #: Hands the socket, its write side shut, to the worker's loop to read until the
        #: client closes (`_linger`); None: the socket is closed at `close()`.
        self._linger = linger
        #: True once the answer is sent and the write side shut (`shutdown`).
        self._lingering = False

    def shutdown(self, how: int) -> None:
        """Shut a side of the socket. Once the write side is shut after the answer (as
        gunicorn's `close_graceful` does), the reads end at once and `close()` leaves the
        socket to the worker's loop, which reads on without blocking until the client
        closes (or `DRAIN` seconds): the worker serves the next request meanwhile."""
        self._sock.shutdown(how)
        if how == socket.SHUT_WR and self._linger is not None:
            self._lingering = True

    def close(self) -> None:
        """Close the socket, or leave it to the worker's loop after `shutdown`."""
        if self._lingering and self._linger is not None:
            linger, self._linger = self._linger, None
            linger()
            return
        self._sock.close()

    def recv(self, size: int, *flags: int) -> bytes:
        """The buffered bytes first, then up to `size` bytes from the socket, or none
        (the end) once the deadline has passed or the answer was sent (`shutdown`)."""
        if self._lingering:
            return b""
        if self._buffered:
            data, self._buffered = self._buffered[:size], self._buffered[size:]
            return data
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            return self._expire()
        timeout = self._sock.gettimeout()
        if timeout is None or timeout > remaining:
            self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return self._expire() if time.monotonic() >= self._deadline else b""

    def _expire(self) -> bytes:
        self.expired = True
        return b""

    def sendall(self, data: bytes, *flags: int) -> None:
        """Send all of `data`; a client that takes none of it for `SEND_TIMEOUT` is gone
        (a broken pipe, which gunicorn closes quietly)."""
        self._sock.settimeout(SEND_TIMEOUT)
        try:
            self._sock.sendall(data, *flags)
        except TimeoutError:
            raise BrokenPipeError(errno.EPIPE, "the client stopped reading") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class ApiWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, fed only with requests that arrived whole (see the module).

    Under `vertice serve` it reads the installation's `Config`; under an operator's own
    gunicorn (`-k vertice_api.worker.ApiWorker`), the environment's.
    """

    request_timeout = 30.0

    def init_process(self) -> None:
        """Read the request timeout, then start as the sync worker does."""
        config = getattr(self.app, "config_obj", None)
        if not isinstance(config, Config):
            config = Config.from_env()
        self.request_timeout = float(config.request_timeout)
        _fix_mmap_threshold()
        super().init_process()

    def run(self) -> None:
        """Accept, buffer and serve until told to stop or orphaned."""
        memory.forget_generated_sources()  # the app is loaded (`vertice_core.memory`)
        selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            _defer_accept(listener)
            selector.register(listener, selectors.EVENT_READ, listener)
        selector.register(self.PIPE[0], selectors.EVENT_READ, None)
        arriving: dict[int, Arriving] = {}
        try:
            while self.alive:
                self.notify()
                timeout = min((a.deadline for a in arriving.values()), default=1e9)
                events = selector.select(max(0.0, min(1.0, timeout - time.monotonic())))
                for key, _ in events:
                    if key.data is None:
                        os.read(self.PIPE[0], 4096)
                    elif isinstance(key.data, Arriving):
                        self._read(selector, arriving, key.data)
                    elif len(arriving) < self.cfg.worker_connections:
                        self._accept(selector, arriving, key.data)
                self._expire(selector, arriving)
                if not self.is_parent_alive():
                    break
        finally:
            for request in arriving.values():
                request.sock.close()
            selector.close()

    def _accept(
        self, selector: selectors.BaseSelector, arriving: dict[int, Arriving], listener: Any
    ) -> None:
        try:
            client, addr = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        client.setblocking(False)
        request = Arriving(client, addr, listener, time.monotonic() + self.request_timeout)
        # A client usually sent its request with the connection: served at once, it is
        # never registered with the selector.
        if not _received(request):
            arriving[client.fileno()] = request
            selector.register(client, selectors.EVENT_READ, request)
        elif request.refusal is not None:
            self._refuse(selector, arriving, request, register=True)
        else:
            self._serve(selector, arriving, request)

    def _read(
        self, selector: selectors.BaseSelector, arriving: dict[int, Arriving], request: Arriving
    ) -> None:
        if request.draining:
            _drain(selector, arriving, request)
        elif not _received(request):
            return
        elif request.refusal is not None:
            self._refuse(selector, arriving, request, register=False)
        else:
            selector.unregister(request.sock)
            del arriving[request.sock.fileno()]
            self._serve(selector, arriving, request)

    @staticmethod
    def _refuse(
        selector: selectors.BaseSelector,
        arriving: dict[int, Arriving],
        request: Arriving,
        *,
        register: bool,
    ) -> None:
        """Answer the refusal and read on, discarding, until the client closes (at most
        `DRAIN` seconds): closing a socket with unread bytes resets the connection, and
        the client could lose the answer."""
        with contextlib.suppress(OSError):
            request.sock.send(error_response(*request.refusal))  # type: ignore[misc]
            request.sock.shutdown(socket.SHUT_WR)
        if register:
            _linger(selector, arriving, request)
        else:
            request.draining = True
            request.deadline = time.monotonic() + DRAIN

    def _expire(self, selector: selectors.BaseSelector, arriving: dict[int, Arriving]) -> None:
        now = time.monotonic()
        for request in [a for a in arriving.values() if a.deadline <= now]:
            selector.unregister(request.sock)
            del arriving[request.sock.fileno()]
            if request.draining:
                request.sock.close()
            else:
                self._serve(selector, arriving, request)

    def _serve(
        self, selector: selectors.BaseSelector, arriving: dict[int, Arriving], request: Arriving
    ) -> None:
        """Serve what arrived with the sync worker's `handle`: whole, or cut short by its
        deadline or the client's end. `handle` closes the socket; once the answer is sent,
        this loop reads on until the client closes (`DeadlineSocket.shutdown`)."""
        if not request.data:
            request.sock.close()  # the client left (or sent nothing in time): no request
            return
        try:
            request.sock.setblocking(True)
        except OSError:
            request.sock.close()
            return
        client = DeadlineSocket(
            request.sock, bytes(request.data), request.deadline,
            linger=lambda: _linger(selector, arriving, request),
        )  # fmt: skip
        self.handle(request.listener, client, request.addr)


def _received(request: Arriving) -> bool:
    """Read what the client sent; True once the request can be served: whole, or the
    client has left."""
    try:
        data = request.sock.recv(CHUNK)
    except BlockingIOError:
        return False
    except OSError:
        data = b""
    if data:
        request.feed(data)
        return request.whole()
    return True


def _linger(
    selector: selectors.BaseSelector, arriving: dict[int, Arriving], request: Arriving
) -> None:
    """Read on, discarding, from a connection whose write side is shut, until the client
    closes, `DRAIN` seconds pass or `MAX_DRAIN` bytes came (`_drain`, `ApiWorker._expire`):
    closing a socket with unread bytes resets the connection, and the client could lose
    the answer."""
    try:
        request.sock.setblocking(False)
    except OSError:
        request.sock.close()
        return
    request.draining = True
    request.deadline = time.monotonic() + DRAIN
    arriving[request.sock.fileno()] = request
    selector.register(request.sock, selectors.EVENT_READ, request)


def _drain(
    selector: selectors.BaseSelector, arriving: dict[int, Arriving], request: Arriving
) -> None:
    """Discard what a refused or answered client still sends; close once it has closed,
    or once it has sent `MAX_DRAIN` bytes (an endless body is not read to its end)."""
    try:
        data = request.sock.recv(CHUNK)
        request.drained += len(data)
        if data and request.drained < MAX_DRAIN:
            return
    except BlockingIOError:
        return
    except OSError:
        pass
    selector.unregister(request.sock)
    del arriving[request.sock.fileno()]
    request.sock.close()


def _fix_mmap_threshold() -> None:
    """Have glibc map every allocation of `MMAP_THRESHOLD` bytes or more on its own, and
    unmap it when freed. By default glibc raises that threshold each time such a block is
    freed (up to 32 MiB), so after one large body the next ones come from the heap, whose
    freed middle it keeps: a worker stayed 12 to 14 % above its idle size after the
    largest accepted bodies, and 6 to 8 % with a fixed threshold (issue 17 asks for 10 %;
    `python -m bench abuse`). Only allocations this large pay a system call, and no
    ordinary request makes one. Nothing happens where the C library is not glibc."""
    mallopt = glibc.function("mallopt")
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _defer_accept(listener: Any) -> None:
    """Have the kernel wake the worker for a TCP connection once its first bytes arrived
    (`TCP_DEFER_ACCEPT`, as nginx's `deferred`): the request is then read at once, most
    often whole, without a turn of the selector loop. Other sockets (a Unix socket, an
    OS without it) are left as they are."""
    option = getattr(socket, "TCP_DEFER_ACCEPT", None)
    if option is None or getattr(listener, "family", None) not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):
        listener.setsockopt(socket.IPPROTO_TCP, option, DEFER_ACCEPT)
