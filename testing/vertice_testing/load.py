"""A small HTTP load of GET requests that counts failed requests the way a browser sees them.

`wrk` counts a request whose keep-alive connection the server closed before
answering as a socket error. Browsers and most HTTP libraries do not fail such a
request: they send an idempotent request again on a new connection
(RFC 9112, section 9.3.1). A proxy closes idle connections whenever it loads a
new configuration (Caddy 2.6 does at every admin API change), so this is what
separates "the proxy reloaded" from "the request failed". `Load` retries a GET
exactly once, and only when the connection closed before any byte of an
answer; every answer that is not 2xx, and every other error, is a failure.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter

import attrs


@attrs.frozen
class LoadResult:
    """What a load did: requests answered 2xx, failures by kind, retries on a closed
    connection, and how long it ran."""

    ok: int
    failures: dict[str, int]
    retried: int
    seconds: float

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


#: The errors of a connection closed before an answer began (sent again once).
_CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Load:
    """`connections` threads, each with one keep-alive connection, sending GET `path`
    with `Host: host` to `127.0.0.1:port` until `stop()`."""

    def __init__(self, port: int, host: str, path: str = "/", connections: int = 4) -> None:
        self.port, self.host, self.path = port, host, path
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._threads = [
            threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            for i in range(connections)
        ]
        self._started = 0.0

    def start(self) -> Load:
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> LoadResult:
        """Stop sending, wait for the requests in flight, and say what happened."""
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        counts = dict(self._counts)
        ok, retried = counts.pop("ok", 0), counts.pop("retried", 0)
        return LoadResult(ok, counts, retried, time.monotonic() - self._started)

    def _count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def _run(self) -> None:
        connection = self._connect()
        while not self._stop.is_set():
            try:
                status = self._get(connection)
            except _CLOSED:
                self._count("retried")
                connection.close()
                connection = self._connect()
                try:
                    status = self._get(connection)
                except (OSError, http.client.HTTPException) as exc:
                    self._count(type(exc).__name__)
                    connection.close()
                    connection = self._connect()
                    continue
            except (OSError, http.client.HTTPException) as exc:
                self._count(type(exc).__name__)
                connection.close()
                connection = self._connect()
                continue
            self._count("ok" if 200 <= status < 300 else f"HTTP {status}")
        connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def _get(self, connection: http.client.HTTPConnection) -> int:
        connection.request("GET", self.path, headers={"Host": self.host})
        answer = connection.getresponse()
        answer.read()
        if answer.will_close:
            connection.close()
        return answer.status
