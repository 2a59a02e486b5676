"""A thread pool whose threads end when they have had nothing to do for a while.

`concurrent.futures.ThreadPoolExecutor` keeps every thread it ever started: a
reconciler whose call pool once had 256 calls in flight (a convergence of thousands
of assemblies) kept 256 threads for good, about 10 MB of their stacks and thread
state, while an idle pass needs a handful. `ElasticPool` starts a thread when a call
arrives and no thread is waiting (up to `max_workers`), and a thread that waited
`idle` seconds for work ends. Its threads are daemons: a driver call that hangs
does not keep the process from exiting.

Two counts, kept under one lock with the queue's puts, decide: the calls queued and
not yet taken, and the threads waiting for one. A call is given a new thread when
the calls queued outnumber the waiting threads; a waiting thread that timed out ends
only if no call is queued (else it takes it), so no call is left without a thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a thread waits for work before it ends.
IDLE = 30.0


class ElasticPool:
    """`submit(fn, *args)` runs `fn(*args)` on a thread of the pool (see the module)."""

    def __init__(self, max_workers: int, thread_name_prefix: str, idle: float = IDLE) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.idle = idle
        self._prefix = thread_name_prefix
        # `queue.Queue`, not `SimpleQueue`: a `SimpleQueue.get` with a short timeout was
        # seen never to return (CPython 3.11) under this test's stress of arrivals.
        self._work: queue.Queue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = (
            queue.Queue()
        )
        self._lock = threading.Lock()
        self._queued = 0
        self._waiting = 0
        self._threads = 0
        self._started = 0
        self._closed = False

    @property
    def threads(self) -> int:
        """Threads alive (busy or waiting)."""
        return self._threads

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue `fn(*args)`; its future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            self._work.put((future, fn, args))
            self._queued += 1
            if self._queued > self._waiting and self._threads < self.max_workers:
                self._threads += 1
                self._started += 1
                threading.Thread(
                    target=self._run, name=f"{self._prefix}_{self._started}", daemon=True
                ).start()
        return future

    def _run(self) -> None:
        while True:
            with self._lock:
                self._waiting += 1
            try:
                item = self._work.get(timeout=self.idle)
            except queue.Empty:
                item = None
            with self._lock:
                self._waiting -= 1
                if item is None:
                    if self._queued == 0:
                        self._threads -= 1
                        return
                    continue  # a call arrived as the wait ended: take it
                self._queued -= 1
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # the future carries it to the caller
                future.set_exception(exc)
            else:
                future.set_result(result)
            del item, future, fn, args

    def shutdown(self) -> None:
        """Take no more calls and cancel the queued ones. Does not wait: threads end once
        their call returns."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    future, _fn, _args = self._work.get_nowait()
                except queue.Empty:
                    break
                self._queued -= 1
                future.cancel()
