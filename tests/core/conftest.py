"""Fixtures for reconciler tests: a reconciler on the test database and the sim region."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vertice_api.context import AppContext
from vertice_core import builtins
from vertice_core.reconcile.loop import Reconciler
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.store.repositories import RegionRepository

FAST = ReconcilerSettings(
    resync=0.5, poll=0.05, idle_wait=0.02, grace=2.0, backoff_base=0.05, backoff_cap=0.5,
    workers=32, call_timeout=10, observe_timeout=10, lease_ttl=30,
)  # fmt: skip


@pytest.fixture
def make_reconciler(ctx: AppContext) -> Iterator[Callable[..., Reconciler]]:
    """Build reconcilers on the test's database (closed at the end)."""
    made: list[Reconciler] = []

    def make(settings: ReconcilerSettings = FAST, holder: str | None = None) -> Reconciler:
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
        )
        made.append(reconciler)
        return reconciler

    yield make
    for reconciler in made:
        reconciler.close()


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


def _converge(reconciler: Reconciler, done: Callable[[], bool], timeout: float = 60.0) -> int:
    """Run passes until `done()`; return how many passes it took."""
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
    return _converge


@pytest.fixture
def phases(ctx: AppContext) -> Callable[[], dict[str, int]]:
    """`phases()`: how many assemblies are in each phase (read from the store)."""
    from collections import Counter

    from vertice_core.store.repositories import AssemblyRepository

    def count() -> dict[str, int]:
        with ctx.store.read() as session:
            page = AssemblyRepository(session).page(None, limit=100_000)
            return dict(Counter(row.phase for row in page.rows))

    return count


@pytest.fixture
def sim_cloud(ctx: AppContext) -> Any:
    """The `local` region's simulated cloud (its file under the test's home)."""
    from vertice_drivers.sim import cloud_at

    return cloud_at(ctx.config.home / "sim.db")


@pytest.fixture
def fast_settings() -> ReconcilerSettings:
    """Reconciler settings for tests: short periods, small pools."""
    return FAST
