"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import json
import subprocess
import sys

from vertice_core.registry import DriverRegistry


def test_the_entry_point_is_found_and_its_module_does_not_import_google():
    code = (
        "import sys\n"
        "from vertice_core.registry import DriverRegistry\n"
        "info = DriverRegistry().info('gce')\n"
        "assert info.settings.__name__ == 'GceSettings', info\n"
        "loaded = [m for m in sys.modules if m.startswith(('google.cloud', 'google.auth',"
        " 'google.api_core', 'google.oauth2'))]\n"
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
    (line,) = [row for row in listing.splitlines() if row.startswith("gce ")]
    assert "vertice-driver-gce" in line and " ok " in line and "idempotency_token" in line


def test_the_driver_class_loads_through_the_registry():
    cls = DriverRegistry().driver_class("gce")
    assert cls.__name__ == "GceDriver" and cls.info.cloud_type == "gce"


def region(service_account, **changes):
    return {
        "name": "gce-x",
        "cloud_type": "gce",
        "provider_region": "europe-west1-b",
        "settings": {"images": {"1_virtualmachine_ubuntu": "global/images/family/debian-12"}},
        "credentials": {"service_account_json": service_account.json},
        **changes,
    }


def test_settings_are_validated_with_the_fields_path(admin, service_account):
    result = admin.post("/v3/regions", region(service_account, settings={"colour": "red"}))
    assert result.status_code == 422
    assert "$.settings.colour" in str(result.json)

    bad_image = {"images": {"x": "ubuntu-latest"}}
    result = admin.post("/v3/regions", region(service_account, settings=bad_image))
    assert result.status_code == 422
    assert "'ubuntu-latest' (for image 'x') is not a Compute Engine image" in str(result.json)

    bad_type = {"machine_types": {"small": "Small Box"}}
    result = admin.post("/v3/regions", region(service_account, settings=bad_type))
    assert result.status_code == 422
    assert "is not a machine type" in str(result.json)

    result = admin.post("/v3/regions", region(service_account, settings={"project": "X!"}))
    assert result.status_code == 422
    assert "is not a Google Cloud project id" in str(result.json)


def test_a_key_that_is_no_service_account_key_is_refused(admin, service_account):
    for text, says in [
        ("not json", "is not a JSON document"),
        (
            json.dumps({"type": "authorized_user"}),
            "is not a service-account key (type service_account)",
        ),
        (
            json.dumps({"type": "service_account", "client_email": "a@b"}),
            "the key lacks private_key, token_uri",
        ),
    ]:
        body = region(service_account, credentials={"service_account_json": text})
        result = admin.post("/v3/regions", body)
        assert result.status_code == 422, text
        problems = result.json["problems"]
        assert problems == [
            {"path": "$.credentials", "message": f"service_account_json: {says}"}
        ], problems


def test_credentials_are_sealed_and_never_returned(admin, service_account):
    created = admin.post("/v3/regions", region(service_account))
    assert created.status_code == 201, created.json
    shown = admin.get("/v3/regions/gce-x")
    assert "PRIVATE KEY" not in shown.text and service_account.email not in shown.text
