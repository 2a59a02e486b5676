"""The call pool's threads: started as calls arrive, up to the bound, ended when idle."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError, wait

import pytest

from vertice_core.runtime.elastic import ElasticPool


def _until(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def test_results_and_errors_reach_the_futures() -> None:
    pool = ElasticPool(4, "t")

    def fail() -> None:
        raise KeyError("k")

    assert pool.submit(lambda a, b: a + b, 2, 3).result(timeout=5) == 5
    with pytest.raises(KeyError):
        pool.submit(fail).result(timeout=5)


def test_threads_grow_to_the_bound_and_end_once_idle() -> None:
    pool = ElasticPool(4, "grow", idle=0.2)
    gate = threading.Event()
    futures = [pool.submit(gate.wait, 5) for _ in range(10)]
    _until(lambda: pool.threads == 4)
    time.sleep(0.05)
    assert pool.threads == 4  # never more than the bound; six calls wait their turn
    gate.set()
    assert all(f.result(timeout=5) for f in futures)
    names = {t.name for t in threading.enumerate() if t.name.startswith("grow_")}
    assert names and all(t.daemon for t in threading.enumerate() if t.name in names)
    _until(lambda: pool.threads == 0)
    _until(lambda: not any(t.name in names for t in threading.enumerate()))
    assert pool.submit(lambda: "again").result(timeout=5) == "again"  # a new thread
    assert pool.threads == 1


def test_a_thread_is_reused_while_it_waits() -> None:
    pool = ElasticPool(8, "t", idle=5)
    for i in range(20):
        assert pool.submit(lambda v: v, i).result(timeout=5) == i
    assert pool.threads == 1


def test_no_call_is_left_without_a_thread_when_waits_end_as_calls_arrive() -> None:
    # Threads whose wait ends (1 ms) as calls keep arriving from several submitters:
    # every call still runs.
    pool = ElasticPool(3, "t", idle=0.001)
    done: list[int] = []
    lock = threading.Lock()

    def record(value: int) -> None:
        with lock:
            done.append(value)

    def submitter(base: int) -> list:
        found = []
        for i in range(300):
            found.append(pool.submit(record, base + i))
            if i % 7 == 0:
                time.sleep(0.002)
        return found

    futures: list = []
    workers = [
        threading.Thread(target=lambda b=b: futures.extend(submitter(b))) for b in (0, 1000, 2000)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    _finished, late = wait(futures, timeout=10)
    assert not late
    assert sorted(done) == sorted([b + i for b in (0, 1000, 2000) for i in range(300)])
    _until(lambda: pool.threads == 0)


def test_shutdown_cancels_what_waits_and_refuses_more() -> None:
    pool = ElasticPool(1, "t", idle=0.2)
    gate = threading.Event()
    running = pool.submit(gate.wait, 5)
    queued = pool.submit(lambda: "never")
    _until(running.running)
    pool.shutdown()
    with pytest.raises(CancelledError):
        queued.result(timeout=1)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(lambda: None)
    gate.set()
    assert running.result(timeout=5) is True
    _until(lambda: pool.threads == 0)
