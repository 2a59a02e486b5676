"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import subprocess
import sys

from vertice_core.registry import DriverRegistry


def test_the_entry_point_is_found_and_its_module_does_not_import_pyone():
    code = (
        "import sys\n"
        "from vertice_core.registry import DriverRegistry\n"
        "info = DriverRegistry().info('opennebula')\n"
        "assert info.settings.__name__ == 'OpenNebulaSettings', info\n"
        "assert 'pyone' not in sys.modules and 'lxml' not in sys.modules\n"
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
    (line,) = [row for row in listing.splitlines() if row.startswith("opennebula ")]
    assert "vertice-driver-opennebula" in line and " ok " in line and "start_stop" in line
    assert "idempotency_token" not in line  # OpenNebula has none: the driver looks up by key


def test_the_driver_class_loads_through_the_registry():
    cls = DriverRegistry().driver_class("opennebula")
    assert cls.__name__ == "OpenNebulaDriver" and cls.info.cloud_type == "opennebula"


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


def test_credentials_are_sealed_and_never_returned(admin):
    created = admin.post("/v3/regions", region())
    assert created.status_code == 201, created.json
    shown = admin.get("/v3/regions/one-x")
    assert "s3cr3t-pw" not in shown.text
