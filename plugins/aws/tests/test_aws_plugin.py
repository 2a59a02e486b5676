"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import subprocess
import sys

from vertice_core.registry import DriverRegistry


def test_the_entry_point_is_found_and_its_module_does_not_import_boto3():
    code = (
        "import sys\n"
        "from vertice_core.registry import DriverRegistry\n"
        "info = DriverRegistry().info('aws')\n"
        "assert info.settings.__name__ == 'AwsSettings', info\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
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
    (line,) = [row for row in listing.splitlines() if row.startswith("aws ")]
    assert "vertice-driver-aws" in line and " ok " in line and "start_stop" in line


def test_the_driver_class_loads_through_the_registry():
    cls = DriverRegistry().driver_class("aws")
    assert cls.__name__ == "AwsDriver" and cls.info.cloud_type == "aws"


def region(**changes):
    return {
        "name": "aws-x",
        "cloud_type": "aws",
        "provider_region": "eu-west-1",
        "settings": {"images": {"1_virtualmachine_ubuntu": "ami-0abc"}},
        "credentials": {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"},
        **changes,
    }


def test_settings_are_validated_with_the_fields_path(admin):
    result = admin.post("/v3/regions", region(settings={"colour": "red"}))
    assert result.status_code == 422
    assert "$.settings.colour" in str(result.json)

    result = admin.post("/v3/regions", region(settings={"images": {"x": "not-an-ami"}}))
    assert result.status_code == 422
    assert "'not-an-ami' is not an AMI id" in str(result.json)

    result = admin.post("/v3/regions", region(credentials={"access_key_id": "AKIA"}))
    assert result.status_code == 422
    assert "$.credentials.secret_access_key" in str(result.json)


def test_credentials_are_sealed_and_never_returned(admin):
    created = admin.post("/v3/regions", region())
    assert created.status_code == 201, created.json
    shown = admin.get("/v3/regions/aws-x")
    assert "s3cr3t" not in shown.text and "AKIAEXAMPLE" not in shown.text
