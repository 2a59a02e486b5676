"""Names, tags, guest documents, orders, the catalogue (translate.py, catalog.py): pure functions.

Guest documents are shaped like the recorded `v3__SoftLayer_Virtual_Guest_getObject.xml`;
the catalogue is read from the SDK's own `getCreateObjectOptions` fixture
(`SoftLayer.fixtures.SoftLayer_Virtual_Guest`), which the peer serves too.
"""

from __future__ import annotations

import pytest
from SoftLayer.fixtures import SoftLayer_Virtual_Guest as sdk_fixture

from vertice_core.convert import make_converter, structure
from vertice_core.driver import SizeSpec
from vertice_core.errors import InvalidInput, TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_softlayer import SoftLayerSettings
from vertice_driver_softlayer.catalog import flavors_of, images_of, preset_flavor
from vertice_driver_softlayer.translate import (
    create_template,
    domain_for,
    hostname_for,
    instance_of,
    tag_list,
    tags_of,
)
from vertice_drivers.testkit import default_spec

INSTALLATION = "vti-0123456789abcdef"
DOMAIN = f"{INSTALLATION}.vertice.internal"


def settings(**fields):
    return structure(make_converter(), fields, SoftLayerSettings)


def guest(hostname="asm-1f0c-1", domain=DOMAIN, tags=(), **more):
    return {
        "id": 2905761,
        "hostname": hostname,
        "domain": domain,
        "createDate": "2013-11-12T19:33:57+01:00",
        "provisionDate": "2013-11-12T19:39:03+01:00",
        "powerState": {"keyName": "RUNNING", "name": "Running"},
        "primaryIpAddress": "50.97.215.202",
        "primaryBackendIpAddress": "10.55.62.124",
        "tagReferences": [{"tag": {"name": t}} for t in tags],
        **more,
    }


def test_hostnames_are_keys_or_their_digest():
    assert hostname_for("asm-1f0c2b7d4e8a10aa-1") == "asm-1f0c2b7d4e8a10aa-1"
    odd = hostname_for("Key With Spaces/And-A-Very-Long-Tail-" + "x" * 60)
    assert odd.startswith("v") and len(odd) == 41 and odd.isalnum()
    assert domain_for(INSTALLATION, settings(domain="cloud.example.com")) == (
        f"{INSTALLATION}.cloud.example.com"
    )


def test_tags_are_name_value_pairs_softlayer_accepts():
    text = tag_list({"vertice-key": "asm-1-1", "vertice-project": "my project (x)"})
    assert text == "vertice-key:asm-1-1,vertice-project:my project _x_"
    assert tags_of(guest(tags=["vertice-key:asm-1-1", "env:prod", "plain"])) == {
        "vertice-key": "asm-1-1"
    }


def test_a_tagged_guest_of_this_installation():
    tags = [f"vertice-installation:{INSTALLATION}", "vertice-assembly:asm-1f0c",
            "vertice-key:asm-1f0c-1", "vertice-project:prj-1"]  # fmt: skip
    seen = instance_of(guest(tags=tags), INSTALLATION, DOMAIN)
    assert seen is not None
    assert (seen.key, seen.cloud_id, seen.state) == ("asm-1f0c-1", "2905761", InstanceState.RUNNING)
    assert (seen.public_ipv4, seen.private_ipv4) == ("50.97.215.202", "10.55.62.124")
    assert seen.assembly_id == "asm-1f0c" and seen.tags["vertice-project"] == "prj-1"
    assert seen.created_at is not None and seen.created_at.utcoffset() is not None


def test_an_untagged_guest_in_the_installations_domain_is_known_by_its_name():
    seen = instance_of(guest(), INSTALLATION, DOMAIN)
    assert seen is not None
    assert (seen.key, seen.assembly_id) == ("asm-1f0c-1", "asm-1f0c")
    assert seen.tags["vertice-installation"] == INSTALLATION


@pytest.mark.parametrize(
    "document",
    [
        guest(domain="example.com"),  # not in vertice's domain
        guest(domain="vertice.internal"),  # the parent domain is nobody's
        guest(tags=["vertice-installation:vti-other", "vertice-key:asm-1f0c-1"]),
        guest(tags=["vertice-key:asm-other-1"]),  # the hostname is not the tagged key's
    ],
)
def test_guests_that_are_not_this_installations(document):
    assert instance_of(document, INSTALLATION, DOMAIN) is None


def test_an_order_names_image_size_place_and_launch_data():
    spec = default_spec(INSTALLATION, "asm-1f0c-1", ssh_public_key="ssh-ed25519 AAAA x")
    mapped = settings(images={"1_virtualmachine_ubuntu": "UBUNTU_22_64"},
                      flavors={"small": {"preset": "B1_1X2X25"}})  # fmt: skip
    order = create_template(spec, mapped, "dal13", DOMAIN)
    assert order["hostname"] == "asm-1f0c-1" and order["domain"] == DOMAIN
    assert order["datacenter"] == {"name": "dal13"}
    assert order["operatingSystemReferenceCode"] == "UBUNTU_22_64"
    assert order["supplementalCreateObjectOptions"] == {"flavorKeyName": "B1_1X2X25"}
    assert "startCpus" not in order
    assert "ssh-ed25519 AAAA x" in order["userData"][0]["value"]

    xl = SizeSpec("xl", 8, 16384, 0)
    own = default_spec(INSTALLATION, "asm-1f0c-2", image="DEBIAN_12_64", size=xl)
    unmapped = create_template(own, mapped, "dal13", DOMAIN)
    assert unmapped["operatingSystemReferenceCode"] == "DEBIAN_12_64"  # a code itself
    assert (unmapped["startCpus"], unmapped["maxMemory"]) == (8, 16384)  # the flavor's own
    assert "userData" not in unmapped  # no credential, no metrics: no user data


def test_an_unmapped_image_is_terminal():
    with pytest.raises(TerminalError) as caught:
        create_template(default_spec(INSTALLATION, "k-1"), settings(), "dal13", DOMAIN)
    assert caught.value.reason == "ImageNotMapped"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"images": {"x": "ubuntu"}}, "reference code"),
        ({"flavors": {"small": {"preset": "B1_1X2X25", "cpus": 2}}}, "not both"),
        ({"flavors": {"small": {"cpus": 2}}}, "both cpus and memory"),
        ({"flavors": {"small": {"preset": "big"}}}, "preset"),
        ({"domain": "Not A Domain"}, "DNS domain"),
        ({"stop_mode": "gentle"}, "stop_mode"),
        ({"page_size": 0}, "between 1 and 1000"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_settings_are_checked(fields, says):
    with pytest.raises(InvalidInput, match=says):
        settings(**fields)


def test_the_catalogue_of_the_sdk_fixture():
    options = sdk_fixture.getCreateObjectOptions
    mapped = settings(
        flavors={"small": {"preset": "B1_1X2X25"}, "big": {"cpus": 8, "memory": 32768}},
        images={"1_virtualmachine_ubuntu": "UBUNTU_22_64"},
    )
    flavors = {f.name: f for f in flavors_of(options, mapped)}
    assert (flavors["small"].cpu, flavors["small"].ram, flavors["small"].disk) == (1, 2048, 25)
    assert (flavors["big"].cpu, flavors["big"].ram) == (8, 32768)
    assert "BL2_1X2X100" in flavors and "1x1024" not in flavors  # presets, no pairs
    images = images_of(options, [{"globalIdentifier": "G-1", "name": "golden"}], mapped)
    by_id = {i.id: i for i in images}
    assert by_id["UBUNTU_22_64"].name == "1_virtualmachine_ubuntu"
    assert by_id["CENTOS_6_64"].name == "CENTOS_6_64" and by_id["G-1"].name == "golden"
    assert preset_flavor("not a preset") is None
