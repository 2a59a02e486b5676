"""A running build's log, stored as it is written, and the heartbeat that keeps its claim.

Builders write to a `StoredLog` from their own thread. A heartbeat thread
stores what was written every `interval` seconds (so `vertice logs build ID
--follow` shows it while the build runs), renews the build's lease in the same
statement, and notices a cancel asked through the API (it then calls
`on_cancel`, which stops the builder). Past `limit` characters the rest is
dropped and the log says so once: a build that prints without end costs
bounded storage. The source's token is scrubbed from anything written, in case
a tool echoes it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence

from vertice_core.store import Store
from vertice_core.store.repositories.builds import BuildRepository

log = logging.getLogger("vertice.builds")

#: Seconds between two stores of the log (and renewals of the lease).
INTERVAL = 0.5
#: Characters a chunk holds at most (a burst is stored as several).
CHUNK = 65_536


class LostClaim(Exception):
    """Another reconciler holds the build now (this one's lease ran out)."""


class StoredLog:
    """See the module's docstring."""

    def __init__(
        self,
        store: Store,
        build_id: str,
        holder: str,
        *,
        limit: int,
        lease: float,
        on_cancel: Callable[[], None],
        secrets: Sequence[str] = (),
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.build_id, self.holder = store, build_id, holder
        self.limit, self.lease, self.interval, self.clock = limit, lease, interval, clock
        self.on_cancel = on_cancel
        self.secrets = [s for s in secrets if s]
        self.size = 0
        #: Characters taken by the flush under way, not yet in `size` (counted by the limit).
        self._in_flight = 0
        self.truncated = False
        self.lost = False
        self.cancelled = False
        self._pending: list[str] = []
        self._lock = threading.Lock()
        #: Held through a whole flush: the builder's thread and the heartbeat both flush, and
        #: two flushes at once stored their chunks at the same offset (`size` moves only
        #: after the commit), which failed the build on PostgreSQL's primary key.
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"build-log-{build_id}",
                                        daemon=True)  # fmt: skip

    def start(self) -> None:
        """Start the heartbeat."""
        self._thread.start()

    def write(self, text: str) -> None:
        """Append `text` (kept up to the limit; secrets scrubbed)."""
        for secret in self.secrets:
            text = text.replace(secret, "****")
        with self._lock:
            room = self.limit - self.size - self._in_flight - sum(len(p) for p in self._pending)
            if room <= 0:
                return
            if len(text) > room:
                text = text[:room] + f"\n[log truncated at {self.limit} characters]\n"
            self._pending.append(text)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except LostClaim:
                log.warning("build %s: claimed by another reconciler; stopping", self.build_id)
                self.on_cancel()
                return
            except Exception:
                log.exception("build %s: storing its log failed", self.build_id)

    def flush(self, **values: object) -> None:
        """Store what was written since the last flush and renew the lease (with `values`
        written on the build's row). Raises `LostClaim` when the build is no longer ours."""
        with self._flushing:
            self._flush(values)

    def _flush(self, values: dict[str, object]) -> None:
        with self._lock:
            text, self._pending = "".join(self._pending), []
            self._in_flight = len(text)
        try:
            cancel = self._store(text, values)
        except BaseException:  # nothing of it was stored
            with self._lock:
                self._in_flight = 0
            raise
        with self._lock:
            self.size, self._in_flight = self.size + len(text), 0
        if cancel and not self.cancelled:
            self.cancelled = True
            self.on_cancel()

    def _store(self, text: str, values: dict[str, object]) -> bool:
        """Append `text` at `size` and renew the lease; whether a cancel was asked."""
        with self.store.write() as session:
            builds = BuildRepository(session)
            for start in range(0, len(text), CHUNK):
                builds.append_log(self.build_id, self.size + start, text[start : start + CHUNK])
            cancel = builds.renew(self.build_id, self.holder, self.clock() + self.lease,
                                  log_size=self.size + len(text), **values)  # fmt: skip
            if cancel is None:  # raised inside the block: nothing of this flush is kept
                self.lost = True
                raise LostClaim(self.build_id)
        return cancel

    def close(self) -> None:
        """Stop the heartbeat and store the rest of the log (once: closing again does nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if not self.lost:
            with contextlib.suppress(LostClaim):
                self.flush()
