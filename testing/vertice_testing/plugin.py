"""The pytest plugin of vertice's test harness: fixtures for end-to-end tests.

Opt-in: a test suite loads it with `pytest_plugins = ["vertice_testing.plugin"]`
in its conftest.py (no `pytest11` entry point, so installing vertice-testing
changes no other pytest run). The core's tests, every driver plugin's tests and
a third party's driver tests share this one harness:

* databases: `db_url` is parametrized over SQLite and PostgreSQL, so a test
  that takes it runs on both; `empty_db_url` has no tables at all;
* the app: `ctx` (built-ins seeded), `client`, and API users `admin`, `alice`,
  `bob` (`vertice_testing.api.Api`);
* the reconciler: `make_reconciler(settings=FAST, holder=None, router=None,
  prometheus=None)`,
  `converge(reconciler, done, timeout)`, `phases()`, `fast_settings`;
* the simulated `local` region: `configure_sim(**settings)`, `sim_cloud`;
* the real server: `live_server`, a `vertice serve` (gunicorn and the
  reconciler) on a free port of 127.0.0.1 for a fresh installation
  (`vertice_testing.server.LiveServer`).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from cryptography.fernet import Fernet

from vertice_api.app import create_app
from vertice_api.context import AppContext
from vertice_core import builtins
from vertice_core.accounts import create_user
from vertice_core.billing.policy import PolicySettings
from vertice_core.config import BuildSettings, Config
from vertice_core.convert import make_converter
from vertice_core.crypto import SecretBox
from vertice_core.hooks import make_plugin_manager
from vertice_core.metrics import Metrics
from vertice_core.reconcile.loop import Reconciler
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.registry import DriverRegistry
from vertice_core.store import Store, migrate
from vertice_core.store.repositories import AssemblyRepository, RegionRepository
from vertice_testing.api import Api
from vertice_testing.databases import (
    ENGINES,
    create_postgres_database,
    drop_postgres_database,
    truncate,
)
from vertice_testing.server import LiveServer, running_server

#: Reconciler settings for tests: short periods, small pools.
FAST = ReconcilerSettings(
    resync=0.5,
    poll=0.05,
    idle_wait=0.02,
    grace=2.0,
    backoff_base=0.05,
    backoff_cap=0.5,
    workers=32,
    call_timeout=10,
    observe_timeout=10,
    lease_ttl=30,
    drain=0.5,
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database file to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "vertice.db"
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store.engine)
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test session (dropped at the end)."""
    url = create_postgres_database()
    store = Store(url)
    migrate.upgrade(store.engine)
    store.dispose()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database on each engine in turn."""
    if request.param == "sqlite":
        path = tmp_path / "vertice.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    truncate(url)
    return url


@pytest.fixture(params=ENGINES)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests), on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The store of the test's database."""
    store = Store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    """An installation whose home is the test's temporary folder."""
    return Config(
        home=tmp_path / "home", database_url=db_url, secret_key=Fernet.generate_key().decode()
    )


@pytest.fixture
def ctx(config: Config, store: Store) -> AppContext:
    """The API's collaborators, with the built-ins seeded."""
    converter = make_converter()
    builtins.seed(store, converter)
    metrics = Metrics()
    store.on_statement(metrics.count_statement)
    return AppContext(
        metrics=metrics,
        config=config,
        store=store,
        converter=converter,
        box=SecretBox(config.secret_key or ""),
        registry=DriverRegistry(),
        plugins=make_plugin_manager(load_entry_points=False),
    )


@pytest.fixture
def client(ctx: AppContext) -> falcon.testing.TestClient:
    """A test client of the app."""
    return falcon.testing.TestClient(create_app(ctx))


def _user(ctx: AppContext, client: falcon.testing.TestClient, name: str, admin: bool) -> Api:
    with ctx.store.write() as session:
        created = create_user(session, name, admin=admin)
    return Api(client, created.token, name)


@pytest.fixture
def admin(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """An administrator."""
    return _user(ctx, client, "admin", True)


@pytest.fixture
def alice(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """A user."""
    return _user(ctx, client, "alice", False)


@pytest.fixture
def bob(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """Another user, who must never see alice's resources."""
    return _user(ctx, client, "bob", False)


@pytest.fixture
def fast_settings() -> ReconcilerSettings:
    """Reconciler settings for tests: short periods, small pools."""
    return FAST


@pytest.fixture
def make_reconciler(ctx: AppContext) -> Iterator[Callable[..., Reconciler]]:
    """Build reconcilers on the test's database (closed at the end)."""
    made: list[Reconciler] = []

    def make(
        settings: ReconcilerSettings = FAST,
        holder: str | None = None,
        router: Any = None,
        prometheus: Any = None,
        builds: BuildSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        billing: PolicySettings | None = None,
    ) -> Reconciler:
        reconciler = Reconciler(
            ctx.store,
            registry=ctx.registry,
            converter=ctx.converter,
            box=ctx.box,
            plugins=ctx.plugins,
            installation_id=builtins.installation_id(ctx.store),
            home=ctx.config.home,
            settings=settings,
            holder=holder,
            metrics=ctx.metrics,
            router=router,
            prometheus=prometheus,
            max_replicas=ctx.config.max_replicas,
            builds=builds or ctx.config.builds,
            clock=clock,
            billing=billing or ctx.config.billing,
        )
        made.append(reconciler)
        return reconciler

    yield make
    for reconciler in made:
        reconciler.close()


def converge_passes(reconciler: Reconciler, done: Callable[[], bool], timeout: float = 60.0) -> int:
    """Run passes until `done()`; return how many passes it took (fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    passes = 0
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not converged after {passes} passes ({timeout}s)")
        reconciler.run_pass()
        passes += 1
        time.sleep(reconciler.settings.idle_wait)
    return passes


@pytest.fixture
def converge() -> Callable[..., int]:
    """`converge(reconciler, done, timeout)`: run passes until `done()` holds."""
    return converge_passes


def settle_snapshot(
    reconciler: Reconciler, api: Api, uri: str, phase: str | None, timeout: float = 30.0
) -> dict[str, Any]:
    """Run snapshot passes until the snapshot at `uri` is in `phase` (None: gone, a 404);
    its document (empty when gone). Fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = api.get(uri)
        if phase is None and found.status_code == 404:
            return {}
        if found.status_code == 200 and found.json["phase"] == phase:
            document: dict[str, Any] = found.json
            return document
        assert time.monotonic() < deadline, found.json
        reconciler.run_snapshot_pass()
        time.sleep(0.02)


@pytest.fixture
def settle() -> Callable[..., dict[str, Any]]:
    """`settle(reconciler, api, uri, phase)`: snapshot passes until the snapshot at `uri`
    is in `phase` (None: gone)."""
    return settle_snapshot


@pytest.fixture
def synced() -> Callable[[Api, str], dict[str, Any]]:
    """`synced(api, uri)`: the assembly's `Synced` condition (empty before the first pass)."""
    return lambda api, uri: api.condition(uri, "Synced")


@pytest.fixture
def phases(ctx: AppContext) -> Callable[[], dict[str, int]]:
    """`phases()`: how many assemblies are in each phase (read from the store)."""

    def count() -> dict[str, int]:
        with ctx.store.read() as session:
            page = AssemblyRepository(session).page(None, limit=1_000_000)
            return dict(Counter(row.phase for row in page.rows))

    return count


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`vertice serve` for a fresh installation (SQLite under tmp_path), stopped at the end."""
    with running_server(tmp_path / "live") as server:
        yield server


@pytest.fixture
def configure_sim(ctx: AppContext) -> Callable[..., None]:
    """Set the `local` sim region's knobs (latency, faults...)."""

    def configure(**settings: Any) -> None:
        with ctx.store.write() as session:
            regions = RegionRepository(session)
            row = regions.get("local")
            assert row is not None
            regions.update(row, settings=settings)

    return configure


@pytest.fixture
def sim_cloud(ctx: AppContext) -> Any:
    """The `local` region's simulated cloud (its file under the test's home)."""
    from vertice_drivers.sim import cloud_at

    return cloud_at(ctx.config.home / "sim.db")
