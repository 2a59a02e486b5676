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
reconciler's RSS after its idle window 183 MB instead of 208 (`docs/performance-history.md`).

`limit_arenas` caps how many arenas glibc makes (one per thread that allocates, up to
eight per core by default): each keeps the free memory of its own threads, so the
reconciler's call threads spread a pass's garbage over as many heaps. Capped at two
before the reconciler starts its threads, its peak / idle RSS in `python -m bench
converge` (full size, SQLite, SDK drivers loaded) went from 164-165 / 156-158 MB to
161-162 / 153-154 MB (two runs each), its CPU seconds within the runs' spread. The
threads wait on the network and the GIL far more than on glibc's arena locks.

Where the C library is not glibc (musl, macOS), both do nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vertice_core import glibc

#: Least seconds between two trims (a busy reconciler finishes many passes a second).
INTERVAL = 10.0
#: glibc's `mallopt` parameter number of the most arenas it makes, and the reconciler's.
M_ARENA_MAX = -8
ARENAS = 2

_TRIM = glibc.function("malloc_trim")
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


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Have glibc make at most `arenas` arenas in this process from now on (call it before
    starting threads: a thread keeps the arena it was given); True when it could."""
    mallopt = glibc.function("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1
