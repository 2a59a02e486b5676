"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import pytest

from vertice_testing.packaging import PluginPackaging


def region(**changes):
    return {
        "name": "one-x",
        "cloud_type": "opennebula",
        "endpoint": "http://one.example:2633/RPC2",
        "settings": {"templates": {"1_virtualmachine_ubuntu": 7}, "network_id": 2},
        "credentials": {"user": "vertice", "password": "s3cr3t-pw"},
        **changes,
    }


def test_settings_are_validated_with_the_fields_path(admin):
    result = admin.post("/v3/regions", region(settings={"colour": "red"}))
    assert result.status_code == 422
    assert "$.settings.colour" in str(result.json)

    result = admin.post("/v3/regions", region(settings={"templates": {"x": -3}}))
    assert result.status_code == 422
    assert "templates: -3 must be at least 0" in str(result.json)

    result = admin.post("/v3/regions", region(settings={"page_size": 5}))
    assert result.status_code == 422
    assert "page_size" in str(result.json)

    result = admin.post("/v3/regions", region(credentials={"user": "vertice"}))
    assert result.status_code == 422
    assert "$.credentials.password" in str(result.json)


class TestOpenNebulaPlugin(PluginPackaging):
    cloud_type = "opennebula"
    distribution = "vertice-driver-opennebula"
    driver_class = "OpenNebulaDriver"
    settings_class = "OpenNebulaSettings"
    sdk_modules = ("pyone", "lxml")

    @pytest.fixture
    def region_body(self):
        return region()

    @pytest.fixture
    def secrets(self):
        return ["s3cr3t-pw"]
