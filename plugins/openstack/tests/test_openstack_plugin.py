"""The plugin as installed: its entry point, its light module, and its settings through the API."""

from __future__ import annotations

import pytest

from vertice_testing.packaging import PluginPackaging


def region(**changes):
    return {
        "name": "os-x",
        "cloud_type": "openstack",
        "provider_region": "RegionOne",
        "settings": {
            "auth_url": "https://keystone.example.com:5000/v3",
            "project_name": "web",
            "images": {"1_virtualmachine_ubuntu": "ubuntu-24.04"},
        },
        "credentials": {"username": "vertice-bot", "password": "s3cr3t-passw0rd"},
        **changes,
    }


def settings(**changes):
    return {**region()["settings"], **changes}


@pytest.mark.parametrize(
    ("body", "path", "says"),
    [
        (region(settings={"colour": "red", "auth_url": "https://k:5000"}), "$.settings.colour",
         "unknown field"),
        (region(settings={"project_name": "web"}), "$.settings.auth_url", "required"),
        (region(settings=settings(auth_url="keystone:5000")), "$.settings.auth_url",
         "is not Keystone's URL"),
        (region(settings=settings(auth_url="https://bot:pw@keystone:5000")), "$.settings.auth_url",
         "must not hold a user or password"),
        (region(settings=settings(interface="private")), "$.settings.interface",
         "is not one of"),
        (region(settings=settings(reboot_type="gentle")), "$.settings.reboot_type",
         "is not one of"),
        (region(settings=settings(networks=["net1"])), "$.settings.networks",
         "is not a network id"),
        (region(settings=settings(page_size=0)), "$.settings.page_size", "between 1 and 1000"),
        (region(settings=settings(max_connections=0)), "$.settings.max_connections",
         "at least 1"),
        (region(settings=settings(images={"x": " padded "})), "$.settings.images",
         "is not an image name or id"),
        (region(settings=settings(project_id="0123")), "$.settings", "by name or by id"),
        (region(credentials={"username": "vertice-bot"}), "$.credentials.password",
         "required with username"),
        (region(credentials={"application_credential_secret": "zzz"}),
         "$.credentials.application_credential_id", "required with"),
        (region(credentials={}), "$.credentials", "give username and password"),
        (region(credentials={"username": "u", "password": "p", "application_credential_id": "a",
                             "application_credential_secret": "s"}), "$.credentials", "not both"),
    ],
)  # fmt: skip
def test_settings_are_validated_with_the_fields_path(admin, body, path, says):
    result = admin.post("/v3/regions", body)
    assert result.status_code == 422, result.json
    problems = result.json["problems"]
    assert any(p["path"] == path and says in p["message"] for p in problems), problems
    assert "s3cr3t-passw0rd" not in str(result.json)


def test_an_application_credential_region_needs_no_project(admin):
    body = region(
        settings={"auth_url": "https://keystone.example.com:5000"},
        credentials={"application_credential_id": "21b7", "application_credential_secret": "x"},
    )
    assert admin.post("/v3/regions", body).status_code == 201


class TestOpenStackPlugin(PluginPackaging):
    cloud_type = "openstack"
    distribution = "vertice-driver-openstack"
    driver_class = "OpenStackDriver"
    settings_class = "OpenStackSettings"
    sdk_modules = ("openstack", "keystoneauth1")

    @pytest.fixture
    def region_body(self):
        return region()

    @pytest.fixture
    def secrets(self):
        return ["s3cr3t-passw0rd", "vertice-bot"]
