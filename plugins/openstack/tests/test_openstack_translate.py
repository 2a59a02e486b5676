"""Between vertice's types and Nova's servers: pure functions, as tables."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import attrs
import pytest

from vertice_core.driver import SizeSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_openstack import OpenStackSettings
from vertice_driver_openstack.translate import (
    addresses_of,
    create_attrs,
    image_ref,
    instance_of,
    key_pair_name,
    name_pattern,
    newest_active,
    pick_flavor,
    slot_of,
)
from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INSTALLATION = "vti-x"
CIRROS = "1bea47ed-f6a9-463b-b423-14b9cca9ad27"


def settings(**changes):
    return OpenStackSettings(auth_url="https://keystone.example.com:5000", **changes)


def spec(key="asm-1-1", **changes):
    return default_spec(INSTALLATION, key, **changes)


def recorded_flavors():
    """The recorded flavors as the driver reads them (id, name, vcpus, ram, disk)."""
    items = json.loads((FIXTURES / "nova_v2.61_flavors-detail-resp.json").read_text())
    return [
        {k: f[k] for k in ("id", "name", "vcpus", "ram", "disk")} | {"is_disabled": False}
        for f in items["flavors"]
    ]


def recorded_server():
    """The recorded 2.100 server, as `server_fields` reads it."""
    doc = json.loads((FIXTURES / "nova_v2.100_server-get-resp.json").read_text())["server"]
    return {
        "id": doc["id"],
        "name": doc["name"],
        "status": doc["status"],
        "task_state": doc["OS-EXT-STS:task_state"],
        "metadata": doc["metadata"],
        "addresses": doc["addresses"],
        "access_ipv4": doc["accessIPv4"],
        "fault": None,
        "flavor_name": doc["flavor"]["original_name"],
        "image_id": doc["image"]["id"],
        "created_at": doc["created"],
    }


def test_a_recorded_server_without_our_metadata_is_not_ours():
    assert instance_of(recorded_server(), INSTALLATION) is None


def test_a_recorded_server_with_our_metadata_is_an_instance():
    server = recorded_server()
    server["metadata"] = {
        "vertice-installation": INSTALLATION,
        "vertice-key": "asm-9-2",
        "vertice-project": "prj-1",
        "other": "kept out",
    }
    instance = instance_of(server, INSTALLATION)
    assert instance is not None
    assert (instance.key, instance.cloud_id, instance.state) == (
        "asm-9-2", server["id"], InstanceState.RUNNING,
    )  # fmt: skip
    assert instance.assembly_id == "asm-9"  # from the key when the metadata lacks it
    assert "other" not in instance.tags
    # The recorded accessIPv4 (1.2.3.4) is the public address; 192.168.1.30 the private one.
    assert (instance.public_ipv4, instance.private_ipv4) == ("1.2.3.4", "192.168.1.30")
    assert instance.created_at is not None and instance.created_at.year == 2013


def test_another_installations_server_is_not_ours():
    server = recorded_server()
    server["metadata"] = {"vertice-installation": "vti-other", "vertice-key": "asm-1-1"}
    assert instance_of(server, INSTALLATION) is None
    server["metadata"] = {"vertice-installation": INSTALLATION}  # no key: not one of ours
    assert instance_of(server, INSTALLATION) is None


@pytest.mark.parametrize(
    ("addresses", "access", "expected"),
    [
        ({}, "", ("", "")),
        ({"private": [{"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"}]}, "",
         ("", "10.0.0.5")),
        ({"private": [{"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
                      {"addr": "203.0.113.9", "version": 4, "OS-EXT-IPS:type": "floating"}]},
         "", ("203.0.113.9", "10.0.0.5")),
        ({"public": [{"addr": "2001:db8::5", "version": 6, "OS-EXT-IPS:type": "fixed"},
                     {"addr": "8.8.4.4", "version": 4, "OS-EXT-IPS:type": "fixed"}]}, "",
         ("8.8.4.4", "8.8.4.4")),  # a provider network: its address is public, and the only one
        ({"private": [{"addr": "10.0.0.5", "version": 4}]}, "198.51.100.7",
         ("198.51.100.7", "10.0.0.5")),
    ],
)  # fmt: skip
def test_addresses(addresses, access, expected):
    assert addresses_of({"addresses": addresses, "access_ipv4": access}) == expected


@pytest.mark.parametrize(
    ("key", "assembly", "slot"),
    [
        ("asm-1-1", "asm-1", ""),
        ("asm-1-7", "asm-1", ""),
        ("asm-1-r2i3", "asm-1", "r2"),
        ("asm-1-r10i1", "asm-1", "r10"),
        ("asm-2-1", "asm-1", None),
        ("asm-1-x", "asm-1", None),
        ("asm-1-1-1", "asm-1", None),
    ],
)
def test_slot_of(key, assembly, slot):
    assert slot_of(key, assembly) == slot


def test_name_patterns_escape_what_is_not_plain():
    assert name_pattern("asm-1f0c-") == "^asm-1f0c-"
    assert name_pattern("a.b*c", whole=True) == r"^a\.b\*c$"


def test_image_refs():
    assert image_ref(spec(), settings(images={"1_virtualmachine_ubuntu": CIRROS})) == ("id", CIRROS)
    assert image_ref(spec(), settings(images={"1_virtualmachine_ubuntu": "ubuntu"})) == (
        "name", "ubuntu",
    )  # fmt: skip
    assert image_ref(spec(image=CIRROS), settings()) == ("id", CIRROS)
    with pytest.raises(TerminalError) as caught:
        image_ref(spec(), settings(images={"other": "x"}))
    assert caught.value.reason == "ImageNotMapped" and "mapped images: other" in str(caught.value)


def test_the_newest_active_image_of_a_name():
    images = [
        {"id": "a", "name": "u", "status": "active", "created_at": "2024-01-01T00:00:00Z"},
        {"id": "b", "name": "u", "status": "active", "created_at": "2025-01-01T00:00:00Z"},
        {"id": "c", "name": "u", "status": "queued", "created_at": "2026-01-01T00:00:00Z"},
        {"id": "d", "name": "v", "status": "active", "created_at": "2027-01-01T00:00:00Z"},
    ]
    assert newest_active(images, "u") == "b"
    with pytest.raises(TerminalError, match="no active image named 'w'"):
        newest_active(images, "w")


@pytest.mark.parametrize(
    ("flavors", "size", "chosen"),
    [
        ({}, SizeSpec("small", 1, 1024, 10), "2"),  # the smallest that fits: m1.small
        ({}, SizeSpec("small", 1, 512, 1), "1"),  # m1.tiny (before m1.tiny.specs: its name)
        ({}, SizeSpec("m1.large", 1, 1, 1), "4"),  # named like the size
        ({}, SizeSpec("big", 4, 8192, 80), "4"),
        ({"small": "m1.medium"}, SizeSpec("small", 1, 1, 1), "3"),  # mapped by name
        ({"small": "5"}, SizeSpec("small", 1, 1, 1), "5"),  # mapped by id
    ],
)
def test_pick_flavor(flavors, size, chosen):
    assert pick_flavor(spec(size=size), settings(flavors=flavors), recorded_flavors()) == chosen


def test_a_flavor_that_is_not_offered_or_too_big_is_terminal():
    with pytest.raises(TerminalError) as mapped:
        pick_flavor(spec(), settings(flavors={"small": "m1.nope"}), recorded_flavors())
    assert mapped.value.reason == "FlavorNotFound" and "m1.nope" in str(mapped.value)
    with pytest.raises(TerminalError, match="no flavor of this region has 64 CPUs"):
        pick_flavor(spec(size=SizeSpec("huge", 64, 1, 1)), settings(), recorded_flavors())
    disabled = [{**f, "is_disabled": f["id"] == "2"} for f in recorded_flavors()]
    assert pick_flavor(spec(), settings(), disabled) == "7"  # m1.small.description


def test_key_pair_names_follow_the_key_not_its_comment():
    other_comment = TEST_PUBLIC_KEY.rsplit(" ", 1)[0] + " someone@else"
    assert key_pair_name(TEST_PUBLIC_KEY) == key_pair_name(other_comment)
    assert key_pair_name(TEST_PUBLIC_KEY).startswith("vertice-")
    assert len(key_pair_name(TEST_PUBLIC_KEY)) == len("vertice-") + 24


def test_create_attrs():
    made = create_attrs(
        spec(ssh_public_key=TEST_PUBLIC_KEY, root_password="pw-Secret1"),
        settings(
            networks=["3cb9bc59-5699-4588-a4b1-b87f96708bc6"],
            security_groups=["web"],
            availability_zone="az1",
        ),
        image_id=CIRROS,
        flavor_id="2",
        key_name="vertice-abc",
    )
    user_data = base64.b64decode(made.pop("user_data")).decode()
    assert user_data.startswith("#cloud-config")
    assert TEST_PUBLIC_KEY in user_data and "pw-Secret1" in user_data
    assert made == {
        "name": "asm-1-1",
        "image_id": CIRROS,
        "flavor_id": "2",
        "metadata": dict(spec().tags),
        "networks": [{"uuid": "3cb9bc59-5699-4588-a4b1-b87f96708bc6"}],
        "security_groups": [{"name": "web"}],
        "availability_zone": "az1",
        "key_name": "vertice-abc",
    }
    plain = create_attrs(spec(), settings(), image_id=CIRROS, flavor_id="2", key_name=None)
    assert plain["networks"] == "auto"
    assert not {"security_groups", "availability_zone", "key_name"} & set(plain)


def test_metadata_values_are_cut_to_what_nova_keeps():
    long = attrs.evolve(spec(), tags={**spec().tags, "vertice-project": "p" * 300})
    made = create_attrs(long, settings(), image_id=CIRROS, flavor_id="2", key_name=None)
    assert len(made["metadata"]["vertice-project"]) == 255
