"""A limit on failed authentications, per client address and per token prefix, shared
by every gunicorn worker (issue 17, item 11: 300 wrong tokens a second were all looked up).

`FailureLimiter` keeps a fixed-size table of counters in anonymous shared memory
(`mmap.mmap(-1, ...)`, MAP_SHARED on Linux) with a lock beside it (`ProcessLock`). Made
in gunicorn's master before the workers fork (`vertice_api.serve.ApiServer`), one table
counts for all of them; the test client's single process gets one from `create_app`.

Each key (`addr:<address>`, `prefix:<first characters of the token>`) hashes, with a
random key an attacker cannot know, to one slot holding a fixed window: its start and its
count of failures. Keys that share a slot share a counter: with `SLOTS` slots a client
collides with a given attacker's key once in thousands, and then waits at most a window.
Checking a request is one lock-free read of two slots (a torn read while another worker
writes can misjudge that one request, no more); counting a failure takes the lock, with a
timeout: past it (a worker stopped inside the few microseconds it holds it), the failure
is counted without it.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import ipaddress
import math
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable

#: Failed authentications one key may have in a window before its requests are refused.
LIMIT = 20
#: Seconds of the window: a refused client may try again when its window ends.
WINDOW = 60.0
#: Slots of the table (16 bytes each: 64 KiB). More slots, fewer keys sharing a counter.
SLOTS = 4096
#: Characters of a token that make its prefix key: `vt_` and 4 random characters. The 4
#: characters say 24 of a token's 256 random bits, so the key (kept in memory only) tells
#: next to nothing of a valid token, and 16.7 million prefixes make it unlikely that a
#: guesser's prefix is a user's; a guesser who knows more of a token (a leaked beginning)
#: still tries every guess under the same prefix, and is stopped after `LIMIT`.
PREFIX_LENGTH = 7
#: Seconds a worker waits for the lock before counting a failure without it.
LOCK_TIMEOUT = 0.05
#: Keys whose slot a worker remembers (every request checks two; hashing them was about a
#: tenth of a cached `GET /v3/assembly/{id}`'s own time). Forgotten all at once when full.
REMEMBERED = 4096

_SLOT = struct.Struct("=dq")  # the window's start (monotonic seconds), the failures in it


class FailureLimiter:
    """Counts failed authentications per key and says which requests to refuse."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        slots: int = SLOTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.slots = slots
        # CLOCK_MONOTONIC is one clock for every process of the machine.
        self.clock = clock
        self._table = mmap.mmap(-1, slots * _SLOT.size)
        self._lock = ProcessLock()
        self._hash_key = os.urandom(16)
        self._offsets: dict[str, int] = {}

    def retry_after(self, keys: list[str]) -> int | None:
        """Seconds until the latest window of an over-the-limit key in `keys` ends, or None
        when none is over the limit (the request may go on to its token's lookup)."""
        now = self.clock()
        waits = []
        for key in keys:
            start, count = _SLOT.unpack_from(self._table, self._offset(key))
            if count >= self.limit and now - start < self.window:
                waits.append(start + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, keys: list[str]) -> None:
        """Count one failed authentication against each of `keys`."""
        locked = self._lock.acquire(timeout=LOCK_TIMEOUT)
        try:
            now = self.clock()
            for key in keys:
                offset = self._offset(key)
                start, count = _SLOT.unpack_from(self._table, offset)
                if now - start >= self.window or count <= 0:
                    start, count = now, 0
                _SLOT.pack_into(self._table, offset, start, count + 1)
        finally:
            if locked:
                self._lock.release()

    def _offset(self, key: str) -> int:
        offset = self._offsets.get(key)
        if offset is None:
            digest = hashlib.blake2b(key.encode(), key=self._hash_key, digest_size=8).digest()
            offset = int.from_bytes(digest) % self.slots * _SLOT.size
            if len(self._offsets) >= REMEMBERED:
                self._offsets.clear()
            self._offsets[key] = offset
        return offset


class ProcessLock:
    """A lock the processes forked after it was made share, and their threads.

    A POSIX record lock (`fcntl.lockf`) on an unlinked temporary file: the kernel releases
    it when its holder dies, where a killed worker holding a `multiprocessing.Lock` (a
    semaphore) left it taken for good. Record locks do not exclude the threads of one
    process, so a thread lock is taken first. It also spares every API worker the
    `multiprocessing` package (0.3 MB of its RSS, measured making the requests of
    `python -m bench footprint`).
    """

    #: Seconds between two tries while another process holds the lock.
    PAUSE = 0.0005

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- open as long as the lock
        self._threads = threading.Lock()

    def acquire(self, timeout: float) -> bool:
        """Take the lock within `timeout` seconds; whether it was taken."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        while True:
            try:
                fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if time.monotonic() >= deadline:
                    self._threads.release()
                    return False
                time.sleep(self.PAUSE)
            else:
                return True

    def release(self) -> None:
        """Give the lock back (taken by this thread)."""
        fcntl.lockf(self._file, fcntl.LOCK_UN)
        self._threads.release()


def failure_keys(remote_addr: str, token: str) -> list[str]:
    """The keys a request's failure counts against: its address (an IPv6 client's /64, the
    block one host usually has) and, if it sent one, its token's first `PREFIX_LENGTH`
    characters (whatever the token looks like)."""
    keys = [f"addr:{_client(remote_addr)}"]
    if token:
        keys.append(f"prefix:{token[:PREFIX_LENGTH]}")
    return keys


@functools.lru_cache(maxsize=1024)
def _client(remote_addr: str) -> str:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
