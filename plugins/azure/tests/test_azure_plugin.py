"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vertice_core.registry import DriverRegistry
from vertice_driver_azure.testing.account import CLIENT, SECRET, SUBSCRIPTION, TENANT


def test_the_entry_point_is_found_and_its_module_does_not_import_azure():
    code = (
        "import sys\n"
        "from vertice_core.registry import DriverRegistry\n"
        "info = DriverRegistry().info('azure')\n"
        "assert info.settings.__name__ == 'AzureSettings', info\n"
        "loaded = [m for m in sys.modules if m.startswith(('azure.', 'msal'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_vertice_drivers_lists_it_as_usable(tmp_path):
    listing = subprocess.run(
        [sys.executable, "-m", "vertice_api.cli", "drivers"],
        env={"VERTICE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (line,) = [row for row in listing.splitlines() if row.startswith("azure ")]
    assert "vertice-driver-azure" in line and " ok " in line and "start_stop" in line


def test_the_driver_class_loads_through_the_registry():
    cls = DriverRegistry().driver_class("azure")
    assert cls.__name__ == "AzureDriver" and cls.info.cloud_type == "azure"


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


def test_credentials_are_validated_sealed_and_never_returned(admin):
    bad = region(credentials={"tenant_id": TENANT, "client_id": "me", "client_secret": SECRET})
    result = admin.post("/v3/regions", bad)
    assert result.status_code == 422 and "is not a client id" in str(result.json)

    created = admin.post("/v3/regions", region())
    assert created.status_code == 201, created.json
    shown = admin.get("/v3/regions/azure-x")
    assert SECRET not in shown.text and CLIENT not in shown.text and TENANT not in shown.text
