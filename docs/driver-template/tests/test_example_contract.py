"""The example driver passes vertice's driver contract (a few lines, as every driver's)."""

from __future__ import annotations

import pytest
from vertice_driver_example import DRIVER, ExampleCredentials, ExampleSettings
from vertice_driver_example.backend import ACCOUNTS, Cloud

from vertice_core.driver import RegionConfig
from vertice_drivers.testkit import DriverContract


def make(installation: str = "vti-example", api_key: str = "k", account: str = "test"):
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="example-1",
            cloud_type="example",
            installation_id=installation,
            settings=ExampleSettings(account=account, page_size=2),
            credentials=ExampleCredentials(api_key=api_key),
        )
    )


class TestExampleContract(DriverContract):
    settle_timeout = 5.0
    settle_interval = 0.01

    @pytest.fixture
    def driver(self):
        ACCOUNTS["test"] = Cloud(api_key="k")
        return make()

    @pytest.fixture
    def foreign_driver(self, driver):
        return make(installation="vti-someone-else")

    @pytest.fixture
    def unauthorized_driver(self, driver):
        return make(api_key="wrong")

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: driver.launch_data(instance.cloud_id)
