"""The simulated cloud passes the driver contract (vertice_drivers.testkit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vertice_core.driver import RegionConfig
from vertice_drivers.sim import DRIVER, SimDriver, SimSettings
from vertice_drivers.testkit import DriverContract, default_spec, unique_key


def sim_driver(home: Path, installation: str = "vti-testkit", **settings) -> SimDriver:
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="local",
            cloud_type="sim",
            installation_id=installation,
            settings=SimSettings(**settings),
            home=home,
        )
    )


class TestSimContract(DriverContract):
    settle_timeout = 10.0
    settle_interval = 0.02

    @pytest.fixture
    def driver(self, tmp_path):
        return sim_driver(tmp_path, boot_time=0.05)

    @pytest.fixture
    def foreign_driver(self, tmp_path):
        return sim_driver(tmp_path, installation="vti-someone-else")

    @pytest.fixture
    def unreachable_driver(self, tmp_path):
        return sim_driver(tmp_path, transient_error_rate=1.0)

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: json.dumps(driver.launch_data(instance.cloud_id))

    @pytest.fixture
    def launched_image(self, driver):
        return lambda instance: driver.cloud.get("default", instance.cloud_id, 0)["image"]

    @pytest.fixture
    def boot_mark(self, driver):
        """When the instance last booted (or boots): moved by every boot."""
        return lambda instance: driver.cloud.get("default", instance.cloud_id, 0)["boot_at"]

    @pytest.fixture
    def make_unmanaged(self, driver):
        """An instance made in the sim's console: of no installation."""
        return driver.hand_made

    @pytest.fixture
    def suspend_mark(self, driver):
        """Whether the sim holds the instance suspended, not merely stopped."""
        return lambda instance: (
            driver.cloud.get("default", instance.cloud_id, 0)["state"] == "suspended"
        )


@pytest.mark.parametrize(("instances", "pages"), [(4, 2), (5, 3), (0, 1)])
def test_a_listing_asks_for_a_next_page_only_when_there_is_one(tmp_path, instances, pages):
    driver = sim_driver(tmp_path, page_size=2, audit=True)
    for i in range(instances):
        driver.create(default_spec("vti-testkit", unique_key(f"page{i}")))
    assert len(list(driver.observe())) == instances
    calls = [verb for verb, _ in driver.cloud.audited("default")]
    assert calls.count("observe") == pages


def test_the_sim_clouds_connections_have_a_small_page_cache(tmp_path):
    from vertice_drivers.simcloud import CACHE_KIB

    driver = sim_driver(tmp_path)
    db = driver.cloud.open()
    try:
        assert db.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
    finally:
        db.close()
    with driver.cloud._borrowed() as kept:  # the connections reads reuse
        assert kept.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
