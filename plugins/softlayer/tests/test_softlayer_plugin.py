"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import pytest

from vertice_testing.packaging import PluginPackaging


def region(**changes):
    return {
        "name": "sl-x",
        "cloud_type": "softlayer",
        "provider_region": "dal13",
        "settings": {"images": {"1_virtualmachine_ubuntu": "UBUNTU_22_64"}},
        "credentials": {"username": "SL123456", "api_key": "s3cr3t-api-key"},
        **changes,
    }


def test_settings_are_validated_with_the_fields_path(admin):
    result = admin.post("/v3/regions", region(settings={"colour": "red"}))
    assert result.status_code == 422
    assert "$.settings.colour" in str(result.json)

    result = admin.post("/v3/regions", region(settings={"images": {"x": "ubuntu please"}}))
    assert result.status_code == 422
    assert "reference code" in str(result.json)

    result = admin.post("/v3/regions", region(credentials={"username": "SL123456"}))
    assert result.status_code == 422
    assert "$.credentials.api_key" in str(result.json)


class TestSoftLayerPlugin(PluginPackaging):
    cloud_type = "softlayer"
    distribution = "vertice-driver-softlayer"
    driver_class = "SoftLayerDriver"
    settings_class = "SoftLayerSettings"
    sdk_modules = ("SoftLayer",)

    @pytest.fixture
    def region_body(self):
        return region()

    @pytest.fixture
    def secrets(self):
        return ["s3cr3t-api-key", "SL123456"]
