"""The reconcile loop: which regions to look at now, and one `RegionPass` for each.

A region is looked at when one of its assemblies is due (its spec changed, or
a retry time arrived), when its periodic resync arrives (every `resync`
seconds, jittered), or soon again (`poll`) while something in it is in
transition. Regions are worked on concurrently, one pass per region at a
time; driver calls go through one bounded pool. The loop never dies of what a
driver does: a region whose driver fails is retried with backoff.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import attrs
import cattrs
import pluggy

from vertice_core.crypto import SecretBox
from vertice_core.errors import DriverError
from vertice_core.metrics import Metrics
from vertice_core.reconcile.calls import CallPool
from vertice_core.reconcile.drivers import RegionDrivers
from vertice_core.reconcile.failures import record_region_failure
from vertice_core.reconcile.region import RegionPass, RegionResult
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.reconcile.status import backoff
from vertice_core.reconcile.storeops import PassStore
from vertice_core.registry import DriverRegistry
from vertice_core.store import Store
from vertice_core.store.repositories.work import WorkRepository
from vertice_core.store.tables import RegionRow

log = logging.getLogger("vertice.reconcile")


def default_identity() -> str:
    """A lease identity unique to this process: `host-pid-random`."""
    return f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**6):06x}"  # noqa: S311


@attrs.define
class _RegionClock:
    """When a region is next looked at without due work, and its failure count."""

    next_look: float = 0.0
    failures: int = 0


class Reconciler:
    """Drives every region towards its declarations. One per process."""

    def __init__(
        self,
        store: Store,
        *,
        registry: DriverRegistry,
        converter: cattrs.Converter,
        box: SecretBox,
        plugins: pluggy.PluginManager,
        installation_id: str,
        home: os.PathLike[str] | str,
        settings: ReconcilerSettings | None = None,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> None:
        from pathlib import Path

        self.store = store
        self.settings = settings or ReconcilerSettings()
        self.holder = holder or default_identity()
        self.plugins = plugins
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.rng = random.Random()  # noqa: S311 -- jitter, not security
        self.calls = CallPool(self.settings.workers, self.metrics)
        self.drivers = RegionDrivers(
            registry, converter, box, installation_id=installation_id, home=Path(home)
        )
        self.ops = PassStore(
            store,
            holder=self.holder,
            lease_ttl=self.settings.lease_ttl,
            installation_id=installation_id,
            converter=converter,
            box=box,
            plugins=plugins,
        )
        self._regions: dict[str, _RegionClock] = {}
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.region_workers, thread_name_prefix="vertice-region"
        )
        self._running: dict[str, Future[RegionResult]] = {}
        #: Per region: assemblies found settled, and what was seen of them (see RegionPass).
        self._settled: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- scheduling --

    def _jittered(self, period: float) -> float:
        spread = self.settings.jitter
        return period * self.rng.uniform(1 - spread, 1 + spread)

    def due_regions(self, now: float) -> list[RegionRow]:
        """The regions to look at now."""
        with self.store.read() as session:
            work = WorkRepository(session)
            regions = work.regions()
            # The earliest due time is one search of the due_at index; only when something
            # is due is it worth counting per region (a scan, with the region index).
            oldest = work.oldest_due(now)
            due = work.due_regions(now) if oldest is not None else {}
        self.metrics.queue_depth.set(sum(due.values()))
        self.metrics.queue_lag.set(now - oldest if oldest is not None else 0.0)
        chosen = []
        for region in regions:
            clock = self._regions.setdefault(region.name, _RegionClock())
            if (region.name in due and clock.failures == 0) or clock.next_look <= now:
                chosen.append(region)
        return chosen

    def _schedule(self, region: str, result: RegionResult | None, failed: bool) -> None:
        now = self.clock()
        clock = self._regions.setdefault(region, _RegionClock())
        if failed:
            clock.failures += 1
            clock.next_look = now + backoff(
                clock.failures - 1,
                base=self.settings.backoff_base,
                cap=self.settings.backoff_cap,
                rng=self.rng,
            )
            return
        clock.failures = 0
        busy = result is not None and result.busy
        clock.next_look = now + (
            self.settings.poll if busy else self._jittered(self.settings.resync)
        )

    # -- passes --

    def reconcile_region(self, region: RegionRow) -> RegionResult:
        """One pass over `region`; driver failures are recorded, never raised."""
        started = time.monotonic()
        result = self._reconcile_region(region)
        self.metrics.pass_seconds.labels(region.name).observe(time.monotonic() - started)
        self.metrics.passes.labels(region.name, "error" if result.error else "ok").inc()
        if result.ghosts:
            self.metrics.ghosts.labels(region.name).inc(result.ghosts)
        return result

    def _reconcile_region(self, region: RegionRow) -> RegionResult:
        try:
            driver = self.drivers.get(region)
            result = RegionPass(
                region=region.name,
                cloud_type=region.cloud_type,
                driver=driver,
                calls=self.calls,
                settings=self.settings,
                store_ops=self.ops,
                rng=self.rng,
                clock=self.clock,
                settled=self._settled.setdefault(region.name, {}),
            ).run()
        except DriverError as exc:
            self._schedule(region.name, None, failed=True)
            log.warning("region %s: %s (%s)", region.name, exc.message, exc.reason)
            self._region_failed(region, exc)
            return RegionResult(region.name, error=f"{exc.reason}: {exc.message}")
        except Exception:
            self._schedule(region.name, None, failed=True)
            log.exception("region %s: the pass failed", region.name)
            return RegionResult(region.name, error="the pass failed; see the log")
        self._schedule(region.name, result, failed=False)
        return result

    def _region_failed(self, region: RegionRow, error: DriverError) -> None:
        """Tell the due assemblies of a region why nothing happens, and back them off."""
        record_region_failure(
            self.ops, region.name, error, settings=self.settings, rng=self.rng, clock=self.clock
        )

    def run_pass(self, *, wait: bool = True) -> list[RegionResult]:
        """Start a pass on every region that is due; with `wait`, return their results."""
        now = self.clock()
        started: list[Future[RegionResult]] = []
        for region in self.due_regions(now):
            with self._lock:
                running = self._running.get(region.name)
                if running is not None and not running.done():
                    continue
                future = self._pool.submit(self.reconcile_region, region)
                self._running[region.name] = future
            started.append(future)
        if not wait:
            return []
        return [future.result() for future in started]

    def run_forever(self, stop: threading.Event) -> None:
        """Run passes until `stop` is set; then finish the passes in flight."""
        self.plugins.hook.vertice_reconciler_started(holder=self.holder)
        try:
            while not stop.is_set():
                try:
                    self.run_pass(wait=False)
                except Exception:  # the database may be briefly unavailable
                    log.exception("a pass could not start; retrying")
                stop.wait(self.settings.idle_wait)
        finally:
            self.close()
            self.plugins.hook.vertice_reconciler_stopped(holder=self.holder)

    def close(self) -> None:
        """Wait for passes in flight, stop the pools, close the drivers."""
        self._pool.shutdown(wait=True)
        self.calls.shutdown()
        self.drivers.close()
