"""Driver calls in a bounded worker pool, each bounded by a timeout.

A call that raises anything but a `DriverError` is a driver bug; it is turned
into a transient error (and logged) so that no driver can take the loop down.
A call that runs past its timeout is reported as a transient error; Python
cannot stop its thread, so the worker stays busy until the call returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from vertice_core.errors import DriverError, TransientError

log = logging.getLogger("vertice.reconcile")

T = TypeVar("T")


class _Timed:
    """A call's start time, set when a worker picks it up."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started: float | None = None


class CallPool:
    """Runs driver calls concurrently; counts calls by cloud type, verb and outcome."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vertice-call")
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()

    def _count(self, cloud_type: str, verb: str, outcome: str) -> None:
        with self._lock:
            self.counts[(cloud_type, verb, outcome)] += 1

    def run_all(
        self,
        calls: Sequence[tuple[str, str, Callable[[], T]]],
        timeout: float,
    ) -> list[T | DriverError]:
        """Run `(cloud_type, verb, fn)` calls; each result is a value or a DriverError."""
        timers = [_Timed() for _ in calls]
        futures: list[Future[T]] = [
            self._pool.submit(self._invoke, timer, cloud_type, verb, fn)
            for timer, (cloud_type, verb, fn) in zip(timers, calls, strict=True)
        ]
        results: dict[int, T | DriverError] = {}
        pending = {future: i for i, future in enumerate(futures)}
        while pending:
            done, _ = wait(pending, timeout=min(1.0, timeout), return_when=FIRST_COMPLETED)
            for future in done:
                results[pending.pop(future)] = _result(future)
            now = time.monotonic()
            for future, i in list(pending.items()):
                started = timers[i].started
                if started is not None and now - started > timeout:
                    cloud_type, verb, _ = calls[i]
                    self._count(cloud_type, verb, "timeout")
                    results[i] = TransientError(
                        f"{verb} did not answer within {timeout:.0f}s", reason="Timeout"
                    )
                    del pending[future]
        return [results[i] for i in range(len(calls))]

    def run(self, cloud_type: str, verb: str, fn: Callable[[], T], timeout: float) -> T:
        """Run one call and return its value, raising its DriverError."""
        (result,) = self.run_all([(cloud_type, verb, fn)], timeout)
        if isinstance(result, DriverError):
            raise result
        return result

    def _invoke(self, timer: _Timed, cloud_type: str, verb: str, fn: Callable[[], T]) -> T:
        timer.started = time.monotonic()
        try:
            value = fn()
        except DriverError as exc:
            self._count(cloud_type, verb, type(exc).__name__)
            raise
        except Exception as exc:
            self._count(cloud_type, verb, "bug")
            log.exception("the %s driver raised a non-driver error in %s", cloud_type, verb)
            raise TransientError(
                f"{verb} failed unexpectedly: {type(exc).__name__}: {exc}", reason="DriverBug"
            ) from exc
        self._count(cloud_type, verb, "ok")
        return value

    def shutdown(self) -> None:
        """Stop taking calls; do not wait for calls that hang."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except DriverError as exc:
        return exc
