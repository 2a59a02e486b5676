"""Which targets to look at now, and one pass over each, several at a time.

A target is looked at when one of its rows is due (its spec changed, a retry
time came), at its periodic resync (every `resync` seconds, jittered, so
targets do not all resync together), or soon again (`poll`) while something
in it is in transition. Passes over different targets run concurrently, one
pass per target at a time. The runtime never dies of what a controller does:
a target whose pass raises is backed off exponentially, with jitter.

`poke(target)` makes a target due at once (a cloud's event said something
changed there: `vertice_core.reconcile.watching`): its next look is now, or,
when a pass over it is running, right after that pass. A target backing off
after failures keeps its backoff: an event does not make a failing cloud be
called sooner (its failure may well be what the events are about).

A poked target is also looked at once more `settle` seconds after the last poke:
a cloud's listing may lag its own event (the Docker Engine lists a killed
container as running for tens of milliseconds after its `die` event, so the pass
the event brought sees nothing wrong). One extra listing per burst of events.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic

import attrs

from vertice_core.backoff import retry_delay
from vertice_core.errors import DriverError, Unavailable
from vertice_core.metrics import Metrics
from vertice_core.redact import loggable
from vertice_core.runtime import heap
from vertice_core.runtime.controller import Controller, R

log = logging.getLogger("vertice.runtime")

#: The longest wait between two looks for due work while the database is out of reach.
OUTAGE_WAIT_CAP = 2.0


@attrs.frozen
class RuntimeSettings:
    """How often and how patiently targets are looked at (seconds)."""

    resync: float = 15.0
    jitter: float = 0.2
    poll: float = 1.0
    idle_wait: float = 0.25
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    #: Targets worked on at once.
    target_workers: int = 8
    #: Seconds after the last poke when a poked target is looked at once more.
    settle: float = 1.0


@attrs.define
class _Clock:
    """When a target is next looked at without due work, and its failure count."""

    next_look: float = 0.0
    failures: int = 0
    #: Poked since its pass (if any) started: looked at again as soon as that pass ends.
    poked: bool = False
    #: When it was last poked, until a pass started `settle` seconds after that (None: no
    #: look owed).
    poked_at: float | None = None
    #: When its latest pass started.
    pass_started: float = 0.0


class Runtime(Generic[R]):
    """Schedules one controller's targets and runs its passes."""

    def __init__(
        self,
        controller: Controller[R],
        settings: RuntimeSettings,
        *,
        metrics: Metrics,
        rng: random.Random,
        clock: Callable[[], float] = time.time,
        passes: Any = None,
    ) -> None:
        self.controller = controller
        #: The counter of this runtime's passes (target, outcome). None: the assembly
        #: controller's `vertice_reconcile_*` metrics, with the pass durations and the queue
        #: gauges (not labelled by controller, so a second controller leaves them alone).
        self.passes = passes
        self.settings = settings
        self.metrics = metrics
        self.rng = rng
        self.clock = clock
        self._clocks: dict[str, _Clock] = {}
        self._pool = ThreadPoolExecutor(
            max_workers=settings.target_workers, thread_name_prefix=f"vertice-{controller.name}"
        )
        self._running: dict[str, Future[R]] = {}
        self._lock = threading.Lock()
        #: Guards the clocks' updates: `poke` comes from other threads (watchers).
        self._clock_lock = threading.Lock()

    def _jittered(self, period: float) -> float:
        spread = self.settings.jitter
        return period * self.rng.uniform(1 - spread, 1 + spread)

    def due_targets(self, now: float) -> list[str]:
        """The targets to look at now: due rows (unless backing off), or their time came."""
        due = self.controller.due(now)
        if self.passes is None:
            self.metrics.queue_depth.set(sum(due.counts.values()))
            self.metrics.queue_lag.set(now - due.oldest if due.oldest is not None else 0.0)
        chosen = []
        for target in due.targets:
            clock = self._clocks.setdefault(target, _Clock())
            if (target in due.counts and clock.failures == 0) or clock.next_look <= now:
                chosen.append(target)
        return chosen

    def poke(self, target: str) -> None:
        """Make `target` due at once: the next round (within `idle_wait` in
        `run_forever`) starts a pass over it; a pass running now is followed by another
        as soon as it ends (it may have observed before the change). A target backing off
        after failures keeps its backoff. Cheap, idempotent, callable from any thread."""
        now = self.clock()
        with self._clock_lock:
            clock = self._clocks.setdefault(target, _Clock())
            clock.poked = True
            clock.poked_at = now
            if clock.failures == 0:
                clock.next_look = min(clock.next_look, now)

    def _schedule(self, target: str, result: R | None, error: DriverError | None = None) -> None:
        """The next look at `target`: after a backoff if its pass failed (`result` None; no
        sooner than a throttling `error` asked), soon if it is busy, at the jittered resync
        otherwise; at once if it was poked during the pass and is not backing off."""
        now = self.clock()
        with self._clock_lock:
            self._next_look(self._clocks.setdefault(target, _Clock()), now, result, error)

    def _next_look(
        self, clock: _Clock, now: float, result: R | None, error: DriverError | None
    ) -> None:
        if result is None:
            clock.failures += 1
            clock.next_look = now + retry_delay(
                clock.failures - 1,
                base=self.settings.backoff_base,
                cap=self.settings.backoff_cap,
                rng=self.rng,
                error=error,
            )
            return
        clock.failures = 0
        clock.next_look = now + (
            self.settings.poll if result.busy else self._jittered(self.settings.resync)
        )
        if clock.poked_at is not None:
            echo = clock.poked_at + self.settings.settle
            if clock.pass_started >= echo:  # this pass was the look owed
                clock.poked_at = None
            else:
                clock.next_look = min(clock.next_look, echo)
        if clock.poked:
            clock.next_look = now

    def _started(self, target: str) -> None:
        """A pass over `target` starts: it sees every change poked so far."""
        now = self.clock()
        with self._clock_lock:
            clock = self._clocks.setdefault(target, _Clock())
            clock.poked = False
            clock.pass_started = now

    def run_target(self, target: str) -> R:
        """One pass over `target`; its failures are recorded and scheduled, never raised."""
        started = time.monotonic()
        result = self._run(target)
        heap.release()  # what the pass freed, back to the system (`runtime/heap.py`)
        outcome = "error" if result.error else "ok"
        if self.passes is not None:
            self.passes.labels(target, outcome).inc()
            return result
        self.metrics.pass_seconds.labels(target).observe(time.monotonic() - started)
        self.metrics.passes.labels(target, outcome).inc()
        return result

    def _run(self, target: str) -> R:
        self._started(target)
        try:
            result = self.controller.run_target(target)
        except DriverError as exc:
            self._schedule(target, None, exc)
            log.warning(
                "%s %s: %s (%s)", self.controller.name, target, loggable(exc.message), exc.reason
            )
            self.controller.target_failed(target, exc)
            return self.controller.error_result(target, f"{exc.reason}: {exc.message}")
        except Unavailable as exc:
            # The database is down, restarting, failing over or its disk is full, or it
            # rolled a transaction back under contention (`Contended`): the whole pass is
            # tried again after a backoff, as any pass is idempotent (level-based, with
            # write-ahead creates). An outage to wait out, not a bug: one line, no traceback.
            self._schedule(target, None)
            log.warning("%s %s: %s", self.controller.name, target, exc.description)
            return self.controller.error_result(target, exc.description)
        except Exception:
            self._schedule(target, None)
            log.exception("%s %s: the pass failed", self.controller.name, target)
            return self.controller.error_result(target, "the pass failed; see the log")
        self._schedule(target, result)
        return result

    def run_pass(self, *, wait: bool = True) -> list[R]:
        """Start a pass on every target that is due; with `wait`, return their results."""
        started: list[Future[R]] = []
        for target in self.due_targets(self.clock()):
            with self._lock:
                running = self._running.get(target)
                if running is not None and not running.done():
                    continue
                future = self._pool.submit(self.run_target, target)
                self._running[target] = future
            started.append(future)
        if not wait:
            return []
        return [future.result() for future in started]

    def run_forever(self, stop: threading.Event) -> None:
        """Run passes until `stop` is set; then wait for the passes in flight.

        While the database is out of reach (a restart, a failover), looking for due work
        fails: it is tried again after a doubling wait (`idle_wait` up to
        `OUTAGE_WAIT_CAP`), with one line when the outage starts and one when it ends.
        """
        outage: float | None = None
        failures = 0
        while not stop.is_set():
            wait = self.settings.idle_wait
            try:
                self.run_pass(wait=False)
            except Unavailable as exc:  # the database is restarting, failing over, contended
                failures += 1
                if outage is None:
                    outage = time.monotonic()
                    log.warning("%s: no pass can start: %s", self.controller.name, exc.description)
                wait = min(self.settings.idle_wait * 2**failures, OUTAGE_WAIT_CAP)
            except Exception:
                log.exception("a pass could not start; retrying")
            else:
                if outage is not None:
                    log.warning("%s: the database answers again after %.1f s",
                                self.controller.name, time.monotonic() - outage)  # fmt: skip
                outage, failures = None, 0
            stop.wait(wait)

    def close(self) -> None:
        """Wait for the passes in flight and stop the pool."""
        self._pool.shutdown(wait=True)
