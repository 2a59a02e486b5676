"""`heap.release`: the C heap's free memory goes back to the system, at most once a second.

The effect is measured on this process: blocks allocated with the C allocator (bytes
objects of 100 KB, under glibc's mmap threshold, so they come from the heap), freed all
but the last (which keeps the heap's top in use, so glibc cannot shrink it by itself):
the RSS stays up until `release` returns the free pages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vertice_core.runtime import heap

pytestmark = pytest.mark.skipif(heap._TRIM is None, reason="the C library is not glibc")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_released_pages_leave_the_process(monkeypatch) -> None:
    monkeypatch.setattr(heap, "_last", [float("-inf")])
    blocks = [bytes(100_000) for _ in range(800)]  # 80 MB, touched (zeroed)
    before = rss_mb()
    del blocks[:-1]
    kept = rss_mb()
    assert kept > before - 20, (before, kept)  # glibc kept what was freed
    assert heap.release()
    # At least a third of it leaves: in a test worker that has run hundreds of tests on
    # many threads, some of the freed pages sit between blocks still in use (seen: 40 of
    # 60 MB released).
    assert rss_mb() < kept - 27, (kept, rss_mb())


def test_at_most_once_an_interval(monkeypatch) -> None:
    monkeypatch.setattr(heap, "_last", [float("-inf")])
    now = [100.0]
    assert heap.release(clock=lambda: now[0])
    now[0] += heap.INTERVAL / 2
    assert not heap.release(clock=lambda: now[0])
    now[0] += heap.INTERVAL
    assert heap.release(clock=lambda: now[0])


_ARENAS = """
import ctypes, sys, threading
from vertice_core.runtime import heap
if sys.argv[1] == "limited":
    assert heap.limit_arenas()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
ready, done = threading.Barrier(9), threading.Event()
def allocate():
    libc.malloc(1000)  # a thread's first allocation gives it an arena
    ready.wait()
    done.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
ready.wait()
libc.malloc_stats()  # one "Arena N:" paragraph per arena, on standard error
done.set()
"""


@pytest.mark.parametrize(("mode", "most"), [("limited", heap.ARENAS), ("default", None)])
def test_limit_arenas_caps_the_arenas_threads_get(mode, most) -> None:
    """Eight threads that allocate at once get an arena each by default (glibc allows
    eight per core); once limited, they share `ARENAS`."""
    done = subprocess.run(
        [sys.executable, "-c", _ARENAS, mode],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    arenas = done.stderr.count("Arena ")
    if most is not None:
        assert 1 <= arenas <= most, done.stderr
    else:
        assert arenas > heap.ARENAS, done.stderr  # what the limit changes
