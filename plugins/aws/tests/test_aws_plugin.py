"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import pytest

from vertice_testing.packaging import PluginPackaging


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


class TestAwsPlugin(PluginPackaging):
    cloud_type = "aws"
    distribution = "vertice-driver-aws"
    driver_class = "AwsDriver"
    settings_class = "AwsSettings"
    sdk_modules = ("boto3", "botocore")

    @pytest.fixture
    def region_body(self):
        return region()

    @pytest.fixture
    def secrets(self):
        return ["s3cr3t", "AKIAEXAMPLE"]
