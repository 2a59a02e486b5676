"""Driver calls in a bounded worker pool, each bounded by a timeout, each counted.

A call that raises anything but a `DriverError` is a driver bug; it is turned
into a transient error (and logged) so that no driver can take the loop down.
A call that runs past its timeout is reported as a transient error; Python
cannot stop its thread, so the worker stays busy until the call returns. The
threads end after a while with nothing to do (`vertice_core.runtime.elastic`).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from vertice_core.errors import DriverError, TransientError
from vertice_core.metrics import Metrics
from vertice_core.runtime.elastic import ElasticPool

log = logging.getLogger("vertice.runtime")

T = TypeVar("T")


class _Timed:
    """A call's start time, set when a worker picks it up."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started: float | None = None


class CallPool:
    """Runs driver calls concurrently; counts calls by cloud type, verb and outcome."""

    def __init__(self, workers: int, metrics: Metrics) -> None:
        self._pool = ElasticPool(workers, thread_name_prefix="vertice-call")
        self.metrics = metrics

    def _count(
        self, cloud_type: str, verb: str, outcome: str, seconds: float | None = None
    ) -> None:
        self.metrics.driver_calls.labels(cloud_type, verb, outcome).inc()
        if seconds is not None:
            self.metrics.driver_seconds.labels(cloud_type, verb).observe(seconds)

    def submit(
        self, calls: Sequence[tuple[str, str, Callable[[], T]]], timeout: float
    ) -> Pending[T]:
        """Start `(cloud_type, verb, fn)` calls; collect them with `Pending.results()`."""
        pending: Pending[T] = Pending(self, calls, timeout)
        for i, (timer, (cloud_type, verb, fn)) in enumerate(
            zip(pending.timers, calls, strict=True)
        ):
            future = self._pool.submit(self._invoke, timer, cloud_type, verb, fn)
            future.add_done_callback(_notifier(pending.finished, i))
            pending.futures.append(future)
        return pending

    def run_all(
        self,
        calls: Sequence[tuple[str, str, Callable[[], T]]],
        timeout: float,
    ) -> list[T | DriverError]:
        """Run calls and wait for them; each result is a value or a DriverError."""
        return self.submit(calls, timeout).results()

    def run(self, cloud_type: str, verb: str, fn: Callable[[], T], timeout: float) -> T:
        """Run one call and return its value, raising its DriverError."""
        (result,) = self.run_all([(cloud_type, verb, fn)], timeout)
        if isinstance(result, DriverError):
            raise result
        return result

    def _invoke(self, timer: _Timed, cloud_type: str, verb: str, fn: Callable[[], T]) -> T:
        timer.started = started = time.monotonic()
        try:
            value = fn()
        except DriverError as exc:
            self._count(cloud_type, verb, type(exc).__name__, time.monotonic() - started)
            raise
        except Exception as exc:
            self._count(cloud_type, verb, "bug", time.monotonic() - started)
            log.exception("the %s driver raised a non-driver error in %s", cloud_type, verb)
            raise TransientError(
                f"{verb} failed unexpectedly: {type(exc).__name__}: {exc}", reason="DriverBug"
            ) from exc
        self._count(cloud_type, verb, "ok", time.monotonic() - started)
        return value

    def shutdown(self) -> None:
        """Stop taking calls; do not wait for calls that hang."""
        self._pool.shutdown()


class Pending(Generic[T]):
    """Calls submitted together: poll with `done()`, collect with `results()`.

    Completions arrive through a queue (one callback per call), so waiting for
    thousands of calls costs O(n), not a scan of every pending future per wake-up.
    """

    def __init__(
        self, pool: CallPool, calls: Sequence[tuple[str, str, Callable[[], T]]], timeout: float
    ) -> None:
        self.pool = pool
        self.calls = calls
        self.timeout = timeout
        self.timers = [_Timed() for _ in calls]
        self.finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.futures: list[Future[T]] = []
        self._results: dict[int, T | DriverError] = {}
        self._pending = set(range(len(calls)))
        self._next_check = time.monotonic() + min(1.0, timeout)

    def _collect(self, wait: float | None) -> None:
        try:
            index: int | None = (
                self.finished.get(timeout=wait) if wait else self.finished.get_nowait()
            )
        except queue.Empty:
            index = None
        while index is not None:
            if index in self._pending:
                self._pending.discard(index)
                self._results[index] = _result(self.futures[index])
            try:
                index = self.finished.get_nowait()
            except queue.Empty:
                index = None
        if time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + min(1.0, self.timeout)
            self._expire()

    def _expire(self) -> None:
        now = time.monotonic()
        for late in [
            i
            for i in self._pending
            if (started := self.timers[i].started) is not None and now - started > self.timeout
        ]:
            cloud_type, verb, _ = self.calls[late]
            self.pool._count(cloud_type, verb, "timeout")
            self._results[late] = TransientError(
                f"{verb} did not answer within {self.timeout:.0f}s", reason="Timeout"
            )
            self._pending.discard(late)

    def done(self) -> bool:
        """Whether every call has a result (without waiting)."""
        self._collect(None)
        return not self._pending

    def results(self) -> list[T | DriverError]:
        """Wait for every call; a value or a DriverError each, in the order submitted."""
        while self._pending:
            self._collect(min(1.0, self.timeout))
        return [self._results[i] for i in range(len(self.calls))]


def _notifier(finished: queue.SimpleQueue[int], index: int) -> Callable[[Future[Any]], None]:
    """A done-callback that reports `index` as finished."""
    return lambda _future: finished.put(index)


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except DriverError as exc:
        return exc
