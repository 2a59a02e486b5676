"""`Reconciler`, the process's loop: every controller on its own runtime.

The assembly controller (`assemblies`) runs in the loop's thread, the others
(routes, probes, scalers, builds, bindings, usage, snapshots, disks) in a thread
each. `Reconciler` ties them to the plugin hooks of a reconciler process, and
watches the regions whose driver claims `Capability.WATCH` (`watching`): a change
the cloud tells of pokes the region.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cattrs
import pluggy

from vertice_core.billing.controller import MeterController, MeterResult
from vertice_core.billing.policy import PolicySettings
from vertice_core.binding import BindingController, BindingResult
from vertice_core.building.controller import BuildController, BuildResult
from vertice_core.config import DEFAULT_MAX_REPLICAS, BuildSettings, Config
from vertice_core.crypto import SecretBox
from vertice_core.disks.controller import DiskController, DiskResult
from vertice_core.metrics import Metrics
from vertice_core.probing.controller import ProbeController, ProbeResult
from vertice_core.reconcile.assemblies import AssemblyController
from vertice_core.reconcile.region import RegionResult
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.reconcile.watching import RegionWatchers
from vertice_core.registry import DriverRegistry
from vertice_core.routing.controller import RouteController, RouteResult, RouterTarget
from vertice_core.runtime import Runtime, RuntimeSettings
from vertice_core.scaling.controller import ScalerController, ScalerResult
from vertice_core.scaling.prometheus import Prometheus
from vertice_core.service.catalog import CatalogCache
from vertice_core.service.context import ServiceContext
from vertice_core.snapshots.controller import SnapshotController, SnapshotResult
from vertice_core.store import Store

#: The most seconds between two evaluations of the scalers (HPA's sync period is 15 s).
SCALER_INTERVAL = 15.0
#: How many times less often than `idle_wait` the controllers whose work waits on a
#: person anyway (bindings, builds, usage, snapshots, disks) look for due work. Each look
#: is a database read: through the ORM, about 0.8 ms of CPU, and nine runtimes looking
#: every 0.25 s cost an idle reconciler 2.9 % of a core; on the DBAPI cursor
#: (`store.fastread`), 0.1-0.25 ms, and the whole reconciler about 1 %. Assemblies,
#: routes (a drain waits on them), probes and scalers keep `idle_wait`.
QUIET = 4

log = logging.getLogger("vertice.reconcile")


def default_identity() -> str:
    """A lease identity unique to this process: `host-pid-random`."""
    return f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**6):06x}"  # noqa: S311


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
        router: RouterTarget | None = None,
        prometheus: Prometheus | None = None,
        max_replicas: int = DEFAULT_MAX_REPLICAS,
        builds: BuildSettings | None = None,
        billing: PolicySettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or ReconcilerSettings()
        self.holder = holder or default_identity()
        self.plugins = plugins
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.rng = random.Random()  # noqa: S311 -- jitter, not security
        self.controller = AssemblyController(
            store,
            registry=registry,
            converter=converter,
            box=box,
            plugins=plugins,
            installation_id=installation_id,
            home=Path(home),
            settings=self.settings,
            holder=self.holder,
            clock=clock,
            metrics=self.metrics,
            rng=self.rng,
        )
        self.ops = self.controller.ops
        s = self.settings
        self.runtime: Runtime[RegionResult] = Runtime(
            self.controller,
            RuntimeSettings(
                resync=s.resync, jitter=s.jitter, poll=s.poll, idle_wait=s.idle_wait,
                backoff_base=s.backoff_base, backoff_cap=s.backoff_cap,
                target_workers=s.region_workers,
            ),
            metrics=self.metrics,
            rng=self.rng,
            clock=clock,
        )  # fmt: skip
        #: A thread per region whose driver claims WATCH: a change the cloud tells of makes
        #: the region due at once (`Runtime.poke`), instead of at its next resync.
        self.watchers = RegionWatchers(
            registry, self.controller.drivers.get, self.runtime.poke,
            backoff_base=s.backoff_base, backoff_cap=s.backoff_cap, rng=self.rng,
        )  # fmt: skip
        self.controller.watchers = self.watchers
        #: The route controller: the installation's reverse proxy (if one is configured)
        #: made to serve the routes, on its own runtime.
        self.routes = RouteController(
            store, target=router, converter=converter, box=box, metrics=self.metrics,
            clock=clock, rng=self.rng, call_timeout=s.call_timeout,
            backoff_base=s.backoff_base, backoff_cap=s.backoff_cap,
        )  # fmt: skip
        self.route_runtime: Runtime[RouteResult] = self._runtime_of(
            self.routes, self.metrics.route_passes
        )
        #: The scaler controller: assemblies' replicas driven by Prometheus queries, through
        #: the service layer (as `PATCH /replicas`), on its own runtime.
        service = ServiceContext(
            config=Config(home=Path(home), database_url=store.url, max_replicas=max_replicas,
                          billing=billing or PolicySettings()),
            converter=converter, box=box, plugins=plugins, catalog=CatalogCache(store),
        )  # fmt: skip
        self.scalers = ScalerController(
            store, prometheus=prometheus, service=service, metrics=self.metrics, clock=clock,
            rng=self.rng, call_timeout=s.call_timeout,
        )  # fmt: skip
        self.scaler_runtime: Runtime[ScalerResult] = self._runtime_of(
            self.scalers, self.metrics.scaler_passes, resync=min(s.resync, SCALER_INTERVAL)
        )
        #: The prober: the instances of assemblies with a probe, checked on their own runtime.
        self.probes = ProbeController(store, converter=converter, metrics=self.metrics,
                                      clock=clock)  # fmt: skip
        self.probe_runtime: Runtime[ProbeResult] = self._runtime_of(
            self.probes, self.metrics.probe_passes
        )
        #: The binding controller: consumers' bound values kept equal to their providers'.
        self.bindings = BindingController(store, converter=converter, box=box, clock=clock)
        self.binding_runtime: Runtime[BindingResult] = self._runtime_of(
            self.bindings, self.metrics.binding_passes, quiet=True
        )
        #: The build controller: queued builds of assemblies' sources, run in threads of
        #: their own, on its own runtime.
        self.builds = BuildController(
            store, settings=builds or BuildSettings(), box=box,
            region_config=self.controller.drivers.config_of, home=Path(home),
            holder=self.holder, metrics=self.metrics, clock=clock,
        )  # fmt: skip
        self.build_runtime: Runtime[BuildResult] = self._runtime_of(
            self.builds, self.metrics.build_passes, quiet=True
        )
        #: The meter: closed hours of the status history turned into usage records, and
        #: the balance policy applied (`vertice_core.billing`).
        self.meter = MeterController(store, service=service, settings=billing, clock=clock)
        self.meter_runtime: Runtime[MeterResult] = self._runtime_of(
            self.meter, self.metrics.meter_passes, quiet=True
        )
        #: The snapshot controller: snapshots made and deleted in their regions' clouds, with
        #: the assembly controller's drivers and call pool, on its own runtime (a region at
        #: a time per worker, as assemblies).
        self.snapshots = SnapshotController(
            store, drivers=self.controller.drivers, calls=self.controller.calls,
            plugins=plugins, settings=self.settings, clock=clock, rng=self.rng,
        )  # fmt: skip
        self.snapshot_runtime: Runtime[SnapshotResult] = self._region_runtime(
            self.snapshots, self.metrics.snapshot_passes, quiet=True
        )
        #: The disk controller: disks made, attached, grown, detached and deleted, as the
        #: snapshot controller does its work.
        self.disks = DiskController(
            store, drivers=self.controller.drivers, calls=self.controller.calls,
            plugins=plugins, settings=self.settings, clock=clock, rng=self.rng,
        )  # fmt: skip
        self.disk_runtime: Runtime[DiskResult] = self._region_runtime(
            self.disks, self.metrics.disk_passes, quiet=True
        )

    def _region_runtime(self, controller: Any, passes: Any, *, quiet: bool = False) -> Runtime[Any]:
        """The runtime of a controller whose targets are regions (snapshots, disks): a
        region at a time per worker, as assemblies (`quiet`: looking `QUIET` times less
        often for due work)."""
        s = self.settings
        return Runtime(
            controller,
            RuntimeSettings(
                resync=s.resync, jitter=s.jitter, poll=s.poll,
                idle_wait=s.idle_wait * (QUIET if quiet else 1),
                backoff_base=s.backoff_base, backoff_cap=s.backoff_cap,
                target_workers=s.region_workers,
            ),
            metrics=self.metrics, rng=self.rng, clock=self.clock, passes=passes,
        )  # fmt: skip

    def _runtime_of(
        self, controller: Any, passes: Any, resync: float | None = None, *, quiet: bool = False
    ) -> Runtime[Any]:
        """The runtime of a controller with one target (a proxy, the prober, Prometheus):
        the reconciler's settings, one pass at a time, its passes counted in `passes`
        (`quiet`: looking `QUIET` times less often for due work)."""
        s = self.settings
        return Runtime(
            controller,
            RuntimeSettings(
                resync=s.resync if resync is None else resync, jitter=s.jitter, poll=s.poll,
                idle_wait=s.idle_wait * (QUIET if quiet else 1), backoff_base=s.backoff_base,
                backoff_cap=s.backoff_cap,
                target_workers=1,
            ),
            metrics=self.metrics, rng=self.rng, clock=self.clock, passes=passes,
        )  # fmt: skip

    def run_pass(self, *, wait: bool = True) -> list[RegionResult]:
        """Start a pass on every region that is due; with `wait`, return their results."""
        return self.runtime.run_pass(wait=wait)

    def run_route_pass(self) -> list[RouteResult]:
        """A pass of the route controller, if it is due (tests and tools)."""
        return self.route_runtime.run_pass(wait=True)

    def run_probe_pass(self) -> list[ProbeResult]:
        """A pass of the prober, if it is due (tests and tools)."""
        return self.probe_runtime.run_pass(wait=True)

    def run_scaler_pass(self) -> list[ScalerResult]:
        """A pass of the scaler controller, if it is due (tests and tools)."""
        return self.scaler_runtime.run_pass(wait=True)

    def run_binding_pass(self) -> list[BindingResult]:
        """A pass of the binding controller, if it is due (tests and tools)."""
        return self.binding_runtime.run_pass(wait=True)

    def run_build_pass(self) -> list[BuildResult]:
        """A pass of the build controller, if it is due or busy (tests and tools)."""
        return self.build_runtime.run_pass(wait=True)

    def run_meter_pass(self) -> list[MeterResult]:
        """A pass of the meter, if it is due (tests and tools)."""
        return self.meter_runtime.run_pass(wait=True)

    def run_snapshot_pass(self) -> list[SnapshotResult]:
        """A pass of the snapshot controller over the regions that are due (tests and tools)."""
        return self.snapshot_runtime.run_pass(wait=True)

    def run_disk_pass(self) -> list[DiskResult]:
        """A pass of the disk controller over the regions that are due (tests and tools)."""
        return self.disk_runtime.run_pass(wait=True)

    def run_forever(self, stop: threading.Event) -> None:
        """Run passes of every controller until `stop` is set; then finish those in flight.
        The assembly controller runs in this thread, the others in a thread each."""
        self.plugins.hook.vertice_reconciler_started(holder=self.holder)
        runtimes = (
            ("routes", self.route_runtime),
            ("probes", self.probe_runtime),
            ("scalers", self.scaler_runtime),
            ("builds", self.build_runtime),
            ("bindings", self.binding_runtime),
            ("meter", self.meter_runtime),
            ("snapshots", self.snapshot_runtime),
            ("disks", self.disk_runtime),
        )
        others = [
            threading.Thread(target=runtime.run_forever, args=(stop,), name=f"vertice-{name}")
            for name, runtime in runtimes
        ]
        for thread in others:
            thread.start()
        try:
            self.runtime.run_forever(stop)
        finally:
            stop.set()
            for thread in others:
                thread.join()
            self.close()
            self.plugins.hook.vertice_reconciler_stopped(holder=self.holder)

    def close(self) -> None:
        """Stop the watchers, wait for passes in flight, stop the pools, close the drivers
        and the router."""
        self.watchers.close()
        # The snapshot and disk controllers' passes use the assembly controller's drivers and calls.
        self.snapshot_runtime.close()
        self.snapshots.close()
        self.disk_runtime.close()
        self.disks.close()
        self.runtime.close()
        self.controller.close()
        self.route_runtime.close()
        self.routes.close()
        self.probe_runtime.close()
        self.probes.close()
        self.scaler_runtime.close()
        self.scalers.close()
        self.build_runtime.close()
        self.builds.close()
        self.binding_runtime.close()
        self.bindings.close()
        self.meter_runtime.close()
        self.meter.close()
