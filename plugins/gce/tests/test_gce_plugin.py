"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import json

import pytest

from vertice_testing.packaging import PluginPackaging


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
    # A validator's problem names its field, not the whole settings object.
    assert result.json["problems"] == [
        {"path": "$.settings.project", "message": "'X!' is not a Google Cloud project id"}
    ]


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
        assert problems == [{"path": "$.credentials.service_account_json", "message": says}], (
            problems
        )


class TestGcePlugin(PluginPackaging):
    cloud_type = "gce"
    distribution = "vertice-driver-gce"
    driver_class = "GceDriver"
    settings_class = "GceSettings"
    sdk_modules = ("google.cloud", "google.auth", "google.api_core", "google.oauth2")
    capability = "idempotency_token"

    @pytest.fixture
    def region_body(self, service_account):
        return region(service_account)

    @pytest.fixture
    def secrets(self, service_account):
        return ["PRIVATE KEY", service_account.email]
