"""One writer at a time on a SQLite file, across threads and processes, without polling.

SQLite lets one transaction write at a time; a second `BEGIN IMMEDIATE`
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between
tries. Under a steady stream of short writes from several processes (two
API workers and the reconciler) those sleeps, not the writes, set the pace.
`WriteLock` queues writers on an `flock` of a file beside the database
instead: a waiter wakes the moment the holder releases it. The busy handler
stays as the fallback (for writers that do not take the lock, such as the
`sqlite3` shell).

The lock file is opened once per process (after a fork the child opens its
own: an inherited descriptor would share the parent's lock), and a thread
lock orders the threads of one process, since `flock` does not.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteLock:
    """A re-entrant, inter-process exclusive lock on `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block (nested blocks of one thread share it)."""
        with self._threads:
            if self._depth == 0:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
