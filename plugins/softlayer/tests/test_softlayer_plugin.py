"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import subprocess
import sys

from vertice_core.registry import DriverRegistry


def test_the_entry_point_is_found_and_its_module_does_not_import_softlayer():
    code = (
        "import sys\n"
        "from vertice_core.registry import DriverRegistry\n"
        "info = DriverRegistry().info('softlayer')\n"
        "assert info.settings.__name__ == 'SoftLayerSettings', info\n"
        "loaded = [m for m in sys.modules if m == 'SoftLayer' or m.startswith('SoftLayer.')]\n"
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
    (line,) = [row for row in listing.splitlines() if row.startswith("softlayer ")]
    assert "vertice-driver-softlayer" in line and " ok " in line and "start_stop" in line


def test_the_driver_class_loads_through_the_registry():
    cls = DriverRegistry().driver_class("softlayer")
    assert cls.__name__ == "SoftLayerDriver" and cls.info.cloud_type == "softlayer"


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


def test_credentials_are_sealed_and_never_returned(admin):
    created = admin.post("/v3/regions", region())
    assert created.status_code == 201, created.json
    shown = admin.get("/v3/regions/sl-x")
    assert "s3cr3t-api-key" not in shown.text and "SL123456" not in shown.text
