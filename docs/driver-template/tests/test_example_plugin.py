"""The driver as installed: its entry point, its light module, its wheel, its secrets."""

from __future__ import annotations

import pytest

from vertice_testing.packaging import PluginPackaging


class TestExamplePlugin(PluginPackaging):
    cloud_type = "example"
    distribution = "vertice-driver-example"
    driver_class = "ExampleDriver"
    settings_class = "ExampleSettings"
    # The stand-in for an SDK: loading the entry point must import neither.
    sdk_modules = ("vertice_driver_example.driver", "vertice_driver_example.backend")

    @pytest.fixture
    def region_body(self):
        return {
            "name": "example-1",
            "cloud_type": "example",
            "settings": {"account": "test"},
            "credentials": {"api_key": "s3cr3t-api-key"},
        }

    @pytest.fixture
    def secrets(self):
        return ["s3cr3t-api-key"]
