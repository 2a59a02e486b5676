"""Building and running a reconciler process (`vertice reconcile`, and `vertice serve`'s child)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from vertice_core import builtins, memory
from vertice_core.config import Config
from vertice_core.convert import make_converter
from vertice_core.crypto import SecretBox, load_key
from vertice_core.hooks import make_plugin_manager
from vertice_core.metrics import Metrics, process_ended
from vertice_core.reconcile import identity
from vertice_core.reconcile.loop import Reconciler
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.registry import DriverRegistry
from vertice_core.routing.routers import build_router
from vertice_core.runtime import heap
from vertice_core.scaling.prometheus import Prometheus
from vertice_core.store import Store

log = logging.getLogger("vertice.reconcile")


def build(
    config: Config, *, settings: ReconcilerSettings | None = None, holder: str | None = None
) -> Reconciler:
    """A reconciler for the installation in `config`."""
    store = Store(config.database_url)
    metrics = Metrics()
    store.on_statement(metrics.count_statement)
    converter = make_converter()
    installation = builtins.installation_id(store)
    return Reconciler(
        store,
        registry=DriverRegistry(),
        converter=converter,
        box=SecretBox(load_key(config)),
        plugins=make_plugin_manager(config=config),
        installation_id=installation,
        home=config.home,
        settings=settings or ReconcilerSettings.from_env(),
        holder=holder,
        metrics=metrics,
        router=build_router(config, converter, installation),
        prometheus=Prometheus(config.prometheus_url) if config.prometheus_url else None,
        max_replicas=config.max_replicas,
        builds=config.builds,
        billing=config.billing,
    )


def run(config: Config, *, holder: str | None = None) -> None:
    """Run the loop until SIGTERM or SIGINT, then stop cleanly; `IdentityTaken` when another
    reconciler of this machine runs under the same identity (`reconcile.identity`)."""
    heap.limit_arenas()  # before any thread of the reconciler's starts
    reconciler = build(config, holder=holder)
    try:
        identity.hold(config.home, reconciler.holder)  # held until the process ends
    except identity.IdentityTaken:
        reconciler.store.dispose()
        raise
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the passes in flight", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    memory.forget_generated_sources()  # its code is loaded (`vertice_core.memory`)
    log.info("reconciler %s started", reconciler.holder)
    try:
        reconciler.run_forever(stop)
    finally:
        process_ended()  # its live gauges (queue depth and lag) leave the shared maximum
    reconciler.store.dispose()
    log.info("reconciler %s stopped", reconciler.holder)
