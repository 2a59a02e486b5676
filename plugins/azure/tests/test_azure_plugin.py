"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import pytest

from azure_arm_peer.account import CLIENT, SECRET, SUBSCRIPTION, TENANT
from vertice_testing.packaging import PluginPackaging


def region(**changes):
    settings = {
        "subscription_id": SUBSCRIPTION,
        "resource_group": "vertice-rg",
        "virtual_network": "vertice-net",
        "images": {"1_virtualmachine_ubuntu": "Canonical:ubuntu-24_04-lts:server:latest"},
        "vm_sizes": {"small": "Standard_B1s"},
    }
    return {
        "name": "azure-x",
        "cloud_type": "azure",
        "provider_region": "westeurope",
        "settings": settings | changes.pop("settings", {}),
        "credentials": {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
        **changes,
    }


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"colour": "red"}, "$.settings.colour"),
        ({"subscription_id": "my-sub"}, "is not a subscription id (a GUID)"),
        ({"resource_group": "bad/group"}, "is not a resource group name"),
        (
            {"images": {"x": "ubuntu-latest"}},
            "'ubuntu-latest' (for image 'x') is not an Azure image",
        ),
        ({"vm_sizes": {"small": "B1s"}}, "is not a VM size such as 'Standard_B1s'"),
        ({"stop_mode": "hibernate"}, "is not one of deallocate, power_off"),
        ({"authority": "http://login.example"}, "is not an https:// host URL"),
        ({"location": "West Europe"}, "is not a location"),
    ],
)
def test_settings_are_validated_with_the_fields_path(admin, settings, says):
    result = admin.post("/v3/regions", region(settings=settings))
    assert result.status_code == 422, result.json
    assert says in str(result.json)


def test_a_region_needs_its_subscription_group_and_network(admin):
    body = region()
    del body["settings"]["virtual_network"]
    result = admin.post("/v3/regions", body)
    assert result.status_code == 422
    assert "virtual_network" in str(result.json)


def test_credentials_are_validated(admin):
    bad = region(credentials={"tenant_id": TENANT, "client_id": "me", "client_secret": SECRET})
    result = admin.post("/v3/regions", bad)
    assert result.status_code == 422 and "is not a client id" in str(result.json)


class TestAzurePlugin(PluginPackaging):
    cloud_type = "azure"
    distribution = "vertice-driver-azure"
    driver_class = "AzureDriver"
    settings_class = "AzureSettings"
    sdk_modules = ("azure", "msal")

    @pytest.fixture
    def region_body(self):
        return region()

    @pytest.fixture
    def secrets(self):
        return [SECRET, CLIENT, TENANT]
