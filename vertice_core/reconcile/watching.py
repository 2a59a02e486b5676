"""Drift seen as it happens: the regions whose driver claims `Capability.WATCH` watched.

Without it, an instance removed or stopped behind vertice's back is seen at the
region's next periodic resync (`resync`, 15 s by default). A driver whose cloud
has an event stream claims WATCH, and `Driver.watch(changed, stop)` blocks, calling
`changed()` when the cloud says an instance of the installation changed. For each
such region `RegionWatchers` runs a daemon thread calling it with a `changed` that
pokes the region (`Runtime.poke`): the loop then starts a pass over it within
`idle_wait`, which observes the cloud and repairs what moved as any pass would.

`sync(regions)`, called at each look for due work, starts the watchers of regions
that appeared and stops those of regions that are gone or changed (a new version of
the row: a new driver). A watch that fails (a `DriverError`: the cloud or its stream
down) is logged in one line and started again after a backoff (`backoff_base`
doubled per failure up to `backoff_cap`), with a poke, since events may have been
missed meanwhile; the periodic resync goes on regardless. Nothing a watcher meets
reaches the reconciler's loop.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from vertice_core.backoff import retry_delay
from vertice_core.driver import Capability, Driver
from vertice_core.errors import DriverError
from vertice_core.redact import loggable
from vertice_core.registry import DriverRegistry
from vertice_core.store.tables import RegionRow

log = logging.getLogger("vertice.reconcile.watch")

#: Seconds `close` waits for the watchers' threads to end (a driver's `watch` returns
#: within about a second of being told to stop).
JOIN_TIMEOUT = 5.0
#: A watch that ran this long before it failed was healthy: the backoff starts over.
HEALTHY = 60.0


class _Stopped(Exception):
    """The watcher was stopped before it got its driver."""


class Watcher:
    """The thread watching one region (one version of its row)."""

    def __init__(self, owner: RegionWatchers, region: RegionRow) -> None:
        self.owner = owner
        self.region = region.name
        self.row = region
        self.version = _version(region)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"vertice-watch-{region.name}", daemon=True
        )

    def _changed(self) -> None:
        self.owner.poke(self.region)

    def _run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            error: DriverError | None = None
            try:
                driver = self.owner.driver_of(self)
                if failures:  # the cloud may have told of changes while nobody listened
                    self.owner.poke(self.region)
                driver.watch(self._changed, self.stop)
                problem = "the watch ended"
            except _Stopped:
                return
            except DriverError as exc:
                error = exc
                problem = f"{loggable(exc.message)} ({exc.reason})"
            except Exception:
                if self.stop.is_set():
                    return
                log.exception("watching region %s failed", self.region)
                problem = ""
            if self.stop.is_set():
                return
            failures = 1 if time.monotonic() - started >= HEALTHY else failures + 1
            delay = self.owner.delay(failures, error)
            if problem:
                log.warning("watching region %s: %s; again in %.1f s", self.region, problem, delay)
            self.stop.wait(delay)


class RegionWatchers:
    """The watchers of one reconciler: a thread per region whose driver claims WATCH."""

    def __init__(
        self,
        registry: DriverRegistry,
        driver_of: Callable[[RegionRow], Driver],
        poke: Callable[[str], None],
        *,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.registry = registry
        self._driver_of = driver_of
        self.poke = poke
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not security
        self._watchers: dict[str, Watcher] = {}
        #: Watchers told to stop whose threads may not have ended yet (joined at close).
        self._stopping: list[Watcher] = []
        self._closed = False
        self._lock = threading.Lock()

    @property
    def regions(self) -> list[str]:
        """The regions watched now."""
        with self._lock:
            return sorted(self._watchers)

    def claims_watch(self, cloud_type: str) -> bool:
        """Whether the driver of `cloud_type` claims WATCH (False when it cannot load)."""
        try:
            return Capability.WATCH in self.registry.info(cloud_type).capabilities
        except Exception:  # not installed, or broken: the passes report it
            return False

    def sync(self, regions: Iterable[RegionRow]) -> None:
        """Watch every region of `regions` whose driver claims WATCH, and only those (a
        region whose row changed is watched again, with its new driver)."""
        wanted = {r.name: r for r in regions if self.claims_watch(r.cloud_type)}
        with self._lock:
            if self._closed:
                return
            for name, watcher in list(self._watchers.items()):
                region = wanted.get(name)
                if region is None or _version(region) != watcher.version:
                    watcher.stop.set()
                    self._stopping.append(self._watchers.pop(name))
            self._stopping = [w for w in self._stopping if w.thread.is_alive()]
            started = []
            for name, region in wanted.items():
                if name not in self._watchers:
                    self._watchers[name] = watcher = Watcher(self, region)
                    started.append(watcher)
        for watcher in started:
            watcher.thread.start()

    def driver_of(self, watcher: Watcher) -> Driver:
        """The driver `watcher` watches with (the passes' own), unless it was stopped: the
        lock keeps a stopped watcher from building the driver of an old row again."""
        with self._lock:
            if watcher.stop.is_set():
                raise _Stopped
            return self._driver_of(watcher.row)

    def delay(self, failures: int, error: DriverError | None) -> float:
        """Seconds before watching again after `failures` failures in a row."""
        with self._lock:
            return retry_delay(
                failures - 1,
                base=self.backoff_base,
                cap=self.backoff_cap,
                rng=self.rng,
                error=error,
            )

    def close(self) -> None:
        """Stop every watcher and wait (a little) for their threads to end."""
        with self._lock:
            self._closed = True
            watchers = [*self._watchers.values(), *self._stopping]
            self._watchers.clear()
            self._stopping = []
        for watcher in watchers:
            watcher.stop.set()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for watcher in watchers:
            if watcher.thread.ident is not None:
                watcher.thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [w.region for w in watchers if w.thread.is_alive()]
        if stuck:
            log.warning("watchers of %s did not stop within %.0f s", ", ".join(stuck), JOIN_TIMEOUT)


def _version(region: RegionRow) -> tuple[str, datetime]:
    """What makes a new driver of a region: its cloud type and its row's version."""
    return (region.cloud_type, region.updated_at)
