"""Giving the C heap's free memory back to the system after a pass (glibc only).

A pass over a region of 10,000 assemblies allocates tens of MB outside Python's own
allocator (lists and dicts of 10,000 entries, SQLite's pages and rows) from whichever
glibc arena its thread uses, and frees it at the end. glibc keeps what was freed: an
idle reconciler measured at a pass every 2 s kept 1.3 MB free after its first pass and
40 MB after forty (`mallinfo2`'s `fordblks`), its RSS growing by as much although the
memory in use did not grow at all. `malloc_trim(0)` returns the free pages of every
arena; the call itself costs about 1 ms (median; 4 ms at most) with that heap, but
the pages it returns are faulted in again, zeroed, by the next pass: run after every
pass (once a second, counting every controller's), that cost 10,000 idle assemblies
about 20 µs per assembly per resync more (59 against 39). So `release` runs it at
most once per `INTERVAL` seconds, after a pass: 46 µs in the same benchmark, and the
reconciler's RSS after its idle window 183 MB instead of 208 (README, Performance).

Where the C library is not glibc (musl, macOS), `release` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

#: Least seconds between two trims (a busy reconciler finishes many passes a second).
INTERVAL = 10.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _malloc_trim()
_lock = threading.Lock()
_last = [float("-inf")]


def release(clock: Callable[[], float] = time.monotonic) -> bool:
    """Return the C heap's free memory to the system, unless done less than `INTERVAL`
    seconds ago (or not glibc); True when it ran."""
    if _TRIM is None:
        return False
    now = clock()
    with _lock:
        if now - _last[0] < INTERVAL:
            return False
        _last[0] = now
    _TRIM(0)
    return True
