"""The assembly controller: the runtime's first controller, whose targets are regions.

A pass over a region observes its cloud once and works on every assembly in it
(`RegionPass`). Scheduling, concurrency, target backoff and pass metrics are the
runtime's (`vertice_core.runtime`); `vertice_core.reconcile.loop.Reconciler` runs it
beside the other controllers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cattrs
import pluggy

from vertice_core.crypto import SecretBox
from vertice_core.errors import DriverError
from vertice_core.metrics import Metrics
from vertice_core.reconcile.drivers import RegionDrivers
from vertice_core.reconcile.failures import record_region_failure
from vertice_core.reconcile.region import RegionPass, RegionResult
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.reconcile.storeops import PassStore
from vertice_core.reconcile.watching import RegionWatchers
from vertice_core.redact import public_error
from vertice_core.registry import DriverRegistry
from vertice_core.runtime import CallPool, Due
from vertice_core.store import Store
from vertice_core.store.repositories.work import WorkRepository
from vertice_core.store.tables import RegionRow

log = logging.getLogger("vertice.reconcile")


class AssemblyController:
    """Makes assemblies real in their regions' clouds: the runtime's first controller."""

    name = "assemblies"

    def __init__(
        self,
        store: Store,
        *,
        registry: DriverRegistry,
        converter: cattrs.Converter,
        box: SecretBox,
        plugins: pluggy.PluginManager,
        installation_id: str,
        home: Path,
        settings: ReconcilerSettings,
        holder: str,
        clock: Callable[[], float],
        metrics: Metrics,
        rng: random.Random,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.rng = rng
        self.calls = CallPool(settings.workers, metrics)
        self.drivers = RegionDrivers(
            registry, converter, box, installation_id=installation_id, home=home
        )
        self.ops = PassStore(
            store,
            holder=holder,
            lease_ttl=settings.lease_ttl,
            installation_id=installation_id,
            converter=converter,
            box=box,
            plugins=plugins,
        )
        self._regions: dict[str, RegionRow] = {}
        #: The regions' columns when `_regions` was loaded (see `due`).
        self._region_mark: list[Any] | None = None
        #: Per region: assemblies found settled, and what was seen of them (see RegionPass).
        self._settled: dict[str, dict[str, Any]] = {}
        #: The watchers of the regions whose driver claims WATCH, kept in step with the
        #: regions at each `due` (set by `Reconciler`; None: no region is watched).
        self.watchers: RegionWatchers | None = None

    def due(self, now: float) -> Due:
        """Every region, and those with assemblies due.

        Polled at every idle wait, so the first read is two statements on the DBAPI
        cursor (`WorkRepository.due_mark`): the regions' columns, to load the region rows
        only when one changed, and the earliest due time (one search of the due_at
        index), to count per region (a scan) only when something is due.
        """
        with self.store.connect() as connection:
            mark, oldest = WorkRepository.due_mark(connection, now)
        changed = mark != self._region_mark
        counts: dict[str, int] = {}
        if changed or oldest is not None:
            with self.store.read() as session:
                work = WorkRepository(session)
                if changed:
                    self._load_regions(work.regions(), mark)
                if oldest is not None:
                    counts = work.due_regions(now)
        return Due(targets=list(self._regions), counts=counts, oldest=oldest)

    def _load_regions(self, regions: Sequence[RegionRow], mark: list[Any]) -> None:
        """Keep `regions` (read when their columns were `mark`) and watch those to watch."""
        self._region_mark = mark
        self._regions = {region.name: region for region in regions}
        if self.watchers is not None:
            try:
                self.watchers.sync(regions)
            except Exception:  # a watcher must never stop the passes
                log.exception("the regions' watchers could not be updated")

    def run_target(self, target: str) -> RegionResult:
        """One pass over the region `target` (raises DriverError when it cannot be observed)."""
        region = self._regions[target]
        result = RegionPass(
            region=region.name,
            cloud_type=region.cloud_type,
            driver=self.drivers.get(region),
            calls=self.calls,
            settings=self.settings,
            store_ops=self.ops,
            rng=self.rng,
            clock=self.clock,
            settled=self._settled.setdefault(region.name, {}),
            endpoint=region.endpoint,
        ).run()
        if result.ghosts:
            self.metrics.ghosts.labels(region.name).inc(result.ghosts)
        return result

    def target_failed(self, target: str, error: DriverError) -> None:
        """Tell the due assemblies of a region why nothing happens, and back them off: in
        the error's public words (the runtime logged its full message, once per region)."""
        public = public_error(error, endpoints=(self._regions[target].endpoint,))
        record_region_failure(
            self.ops, target, public, settings=self.settings, rng=self.rng, clock=self.clock
        )

    def error_result(self, target: str, message: str) -> RegionResult:
        """A failed pass over a region."""
        return RegionResult(target, error=message)

    def close(self) -> None:
        """Stop the call pool and close the drivers."""
        self.calls.shutdown()
        self.drivers.close()
