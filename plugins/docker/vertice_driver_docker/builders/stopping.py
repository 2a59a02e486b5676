"""Stopping a build: at its deadline, or when cancelled from another thread.

A build blocks in places that print nothing for as long as they like: the
engine's stream during a silent `RUN sleep 600`, a host `pip` or `npm`
resolving. Checking the clock between chunks is not enough, so each build has
a `Stopper` with a watchdog thread that wakes at the deadline. Whatever the
build is blocked in registers an *interrupt* with the stopper:

* the engine's streaming response: the interrupt shuts its socket down
  (`urllib3`'s `HTTPResponse.shutdown`, made for a read blocked in another
  thread), the blocked read returns, the builder closes the connection, and the
  engine, seeing its client gone, cancels the build and removes its
  intermediate container;
* a host process: the interrupt kills its process group.

The blocked side then calls `check()`, which raises the `BuildFailed` that
says why (`BuildTimedOut`, `BuildCancelled`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from vertice_core.builder import BuildFailed

__all__ = ["Stopper"]

TIMED_OUT = "BuildTimedOut"
CANCELLED = "BuildCancelled"


class Stopper:
    """One build's stop switch: its deadline's watchdog, `cancel`, and what to interrupt."""

    def __init__(self, deadline: float, started: float | None = None) -> None:
        self.deadline = deadline
        self.started = time.time() if started is None else started
        self.reason: str | None = None
        self._lock = threading.Lock()
        self._interrupt: Callable[[], None] | None = None
        self._done = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="build-watchdog", daemon=True)

    def __enter__(self) -> Stopper:
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._watchdog.join()

    def remaining(self) -> float:
        """Seconds left before the deadline (never below zero)."""
        return max(0.0, self.deadline - time.time())

    def stop(self, reason: str) -> None:
        """Stop the build for `reason` (the first reason given sticks)."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
            interrupt = self._interrupt
        if interrupt is not None:
            with contextlib.suppress(Exception):  # best effort: it may have just ended
                interrupt()

    @contextlib.contextmanager
    def interrupting(self, interrupt: Callable[[], None]) -> Iterator[None]:
        """Register what to interrupt while the block runs (called at once if stopped)."""
        self.attach(interrupt)
        try:
            yield
        finally:
            self.detach()

    def attach(self, interrupt: Callable[[], None]) -> None:
        """What to interrupt from now on; interrupted at once if the build was stopped."""
        with self._lock:
            self._interrupt = interrupt
            stopped = self.reason is not None
        if stopped:
            with contextlib.suppress(Exception):
                interrupt()

    def detach(self) -> None:
        """Nothing to interrupt any more (what was attached has ended)."""
        with self._lock:
            self._interrupt = None

    def check(self) -> None:
        """Raise the `BuildFailed` of the stop, if the build was stopped."""
        if self.reason == TIMED_OUT:
            seconds = round(self.deadline - self.started)
            raise BuildFailed(
                f"the build ran past its deadline ({seconds} s) and was stopped",
                reason=TIMED_OUT,
            )
        if self.reason is not None:
            raise BuildFailed("the build was cancelled", reason=self.reason)

    def _watch(self) -> None:
        while not self._done.is_set():
            left = self.deadline - time.time()
            if left <= 0:
                self.stop(TIMED_OUT)
                return
            self._done.wait(min(left, 60.0))
