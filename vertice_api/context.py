"""The collaborators every API resource is given: built once in `create_app`'s caller."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import cattrs
import pluggy

from vertice_core import hooks
from vertice_core.config import Config
from vertice_core.crypto import SecretBox
from vertice_core.metrics import Metrics
from vertice_core.model.status import Event
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.registry import DriverRegistry
from vertice_core.service import AssemblyService, ServiceContext
from vertice_core.service.builds import BuildService
from vertice_core.service.catalog import CatalogCache
from vertice_core.service.disks import DiskService
from vertice_core.service.routes import RouteService
from vertice_core.service.scalers import QueryCheck, ScalerService
from vertice_core.service.snapshots import SnapshotService
from vertice_core.service.webhooks import WebhookService
from vertice_core.store import Store


@attrs.frozen
class AppContext:
    """What the API needs: settings, the store, the converter, the secret box, drivers, hooks,
    and the service layer built from them."""

    config: Config
    store: Store
    converter: cattrs.Converter
    box: SecretBox
    registry: DriverRegistry
    plugins: pluggy.PluginManager
    metrics: Metrics = attrs.field(factory=Metrics)
    #: The reconciler's settings (grace, drain...): what a plan's preview is made with.
    reconciler: ReconcilerSettings = attrs.field(factory=ReconcilerSettings.from_env)
    #: Names of plans, regions and flavors, cached per worker (built from `store`).
    catalog: CatalogCache = attrs.field(init=False)
    #: What the service layer is built with (from the fields above).
    service: ServiceContext = attrs.field(init=False)
    #: The assemblies' operations.
    assemblies: AssemblyService = attrs.field(init=False)
    #: The routes' operations.
    routes: RouteService = attrs.field(init=False)
    #: The scalers' operations (their queries checked by the configured Prometheus).
    scalers: ScalerService = attrs.field(init=False)
    #: The snapshots' operations (the capabilities read from the drivers' metadata).
    snapshots: SnapshotService = attrs.field(init=False)
    #: The disks' operations (as the snapshots').
    disks: DiskService = attrs.field(init=False)
    #: The builds' operations.
    builds: BuildService = attrs.field(init=False, factory=BuildService)
    #: The push webhooks' operations.
    webhooks: WebhookService = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        catalog = CatalogCache(self.store)
        service = ServiceContext(
            config=self.config,
            converter=self.converter,
            box=self.box,
            plugins=self.plugins,
            catalog=catalog,
            capabilities=self._capabilities,
        )
        object.__setattr__(self, "catalog", catalog)
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "assemblies", AssemblyService(service))
        object.__setattr__(self, "routes", RouteService(service))
        object.__setattr__(self, "scalers", ScalerService(service, _query_check(self.config)))
        object.__setattr__(self, "webhooks", WebhookService(self.box))
        object.__setattr__(self, "snapshots", SnapshotService(service))
        object.__setattr__(self, "disks", DiskService(service))

    #: Seconds a token lookup is cached per worker (0: not cached): how long a revocation
    #: takes to count on another API server (`VERTICE_TOKEN_CACHE_SECONDS`).
    token_cache_seconds: float = 5.0

    def _capabilities(self, cloud_type: str) -> frozenset[str]:
        """What the driver of `cloud_type` claims, from its metadata (its SDK not loaded)."""
        return frozenset(c.value for c in self.registry.info(cloud_type).capabilities)

    def announce(self, recorded: Sequence[tuple[Event, str | None]]) -> None:
        """Hand the events a request stored (each with its project's id) to the plugins'
        event hook, after its transaction committed; a plugin's failure is only logged."""
        hooks.announce(self.plugins, recorded)


#: Seconds a declaration waits for Prometheus to check its query (then it is accepted).
DECLARE_TIMEOUT = 2.0


def _query_check(config: Config) -> QueryCheck | None:
    """Prometheus's check of a scaler's query, when one is configured."""
    if config.prometheus_url is None:
        return None
    from vertice_core.scaling.prometheus import Prometheus

    prometheus = Prometheus(config.prometheus_url, timeout=DECLARE_TIMEOUT)
    return prometheus.problem


def build_context(config: Config, *, load_plugins: bool = True) -> AppContext:
    """The context of an installation from its config (opens the database engine)."""
    from vertice_core.convert import make_converter
    from vertice_core.crypto import load_key
    from vertice_core.hooks import make_plugin_manager

    metrics = Metrics()
    store = Store(config.database_url)
    store.on_statement(metrics.count_statement)
    return AppContext(
        config=config,
        store=store,
        metrics=metrics,
        converter=make_converter(),
        box=SecretBox(load_key(config)),
        registry=DriverRegistry(),
        plugins=make_plugin_manager(load_entry_points=load_plugins, config=config),
        token_cache_seconds=config.token_cache_seconds,
    )
