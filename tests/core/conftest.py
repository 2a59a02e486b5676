"""Fixtures of the core's tests that are about the simulated `local` region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vertice_api.context import AppContext
from vertice_core.store.repositories import RegionRepository


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
