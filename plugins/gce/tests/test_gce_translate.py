"""The pure translations: GCE statuses, names, labels, recorded instances, a spec's insert body."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
import yaml
from google.cloud import compute_v1

from vertice_core.driver import SizeSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_gce import GceSettings
from vertice_driver_gce.translate import (
    NAME,
    instance_name,
    instance_of,
    instance_resource,
    label_value,
    labels_of,
    state_of,
    tag_value,
    tags_of,
)
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETTINGS = GceSettings(
    images={"1_virtualmachine_ubuntu": "projects/debian-cloud/global/images/family/debian-12"},
    machine_types={"small": "e2-small"},
)
ZONE = "us-central1-a"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("PROVISIONING", InstanceState.PENDING),
        ("STAGING", InstanceState.PENDING),
        ("PENDING", InstanceState.PENDING),
        ("RUNNING", InstanceState.RUNNING),
        ("PENDING_STOP", InstanceState.PENDING),
        ("STOPPING", InstanceState.PENDING),
        ("SUSPENDING", InstanceState.PENDING),
        ("REPAIRING", InstanceState.PENDING),
        ("DEPROVISIONING", InstanceState.PENDING),
        ("STOPPED", InstanceState.STOPPED),
        ("TERMINATED", InstanceState.STOPPED),  # GCE's TERMINATED is stopped, not deleted
        ("SUSPENDED", InstanceState.STOPPED),
        ("HIBERNATING_SOMEDAY", InstanceState.UNKNOWN),
    ],
)
def test_gce_statuses(status, state):
    assert state_of(status) is state


def test_every_status_the_sdk_knows_is_mapped():
    known = {s.name for s in compute_v1.Instance.Status} - {"UNDEFINED_STATUS"}
    assert all(state_of(s) is not InstanceState.UNKNOWN for s in known)


@pytest.mark.parametrize(
    "key", ["asm-0123456789abcdef-1", "tk123456789-1", "Asm_1", "9-lives", "a" * 80, "clé-1"]
)
def test_instance_names_are_valid_and_stable(key):
    name = instance_name(key)
    assert NAME.fullmatch(name) and len(name) <= 63
    assert instance_name(key) == name
    if NAME.fullmatch(key):
        assert name == key


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("vti-0123456789abcdef", "vti-0123456789abcdef"),
        ("prj-testkit", "prj-testkit"),
        ("", ""),
        ("Autumn Lake", None),  # upper case and a space: encoded
        ("vb32-looks-encoded", None),  # the prefix itself must round-trip
        ("x" * 70, None),  # too long even encoded: a digest, exact value in the metadata
    ],
)
def test_label_values_fit_gce_and_come_back(value, stored):
    label = label_value(value)
    assert len(label) <= 63 and all(c.islower() or c.isdigit() or c in "-_" for c in label)
    if stored is not None:
        assert label == stored
    assert tag_value(label, exact=value) == value


def test_an_instance_carries_its_exact_tags_back():
    spec = default_spec("vti-1", "asm-1-1", tags={"vertice-key": "asm-1-1", "note": "Q" * 70})
    body = instance_resource(spec, SETTINGS, ZONE)
    assert tags_of(body) == dict(spec.tags)
    assert body.labels == labels_of(spec.tags)


def test_the_insert_body_carries_image_type_labels_network_and_disk():
    spec = default_spec("vti-1", "asm-1-1", name="web", size=SizeSpec("small", 2, 2048, 20))
    body = instance_resource(
        spec, attrs.evolve(SETTINGS, subnetwork="regions/r/subnetworks/s"), ZONE
    )
    assert body.name == "asm-1-1"
    assert body.machine_type == "zones/us-central1-a/machineTypes/e2-small"
    (disk,) = body.disks
    assert disk.boot and disk.auto_delete
    assert disk.initialize_params.source_image == SETTINGS.images["1_virtualmachine_ubuntu"]
    assert disk.initialize_params.disk_size_gb == 20
    assert disk.initialize_params.disk_type == "zones/us-central1-a/diskTypes/pd-balanced"
    (nic,) = body.network_interfaces
    assert nic.network == "global/networks/default"
    assert nic.subnetwork == "regions/r/subnetworks/s"
    assert [a.type_ for a in nic.access_configs] == ["ONE_TO_ONE_NAT"]
    assert dict(body.labels) == dict(spec.tags)
    items = {i.key: i.value for i in body.metadata.items}
    assert set(items) == {"vertice-tags"}  # no launch credential asked for
    private = instance_resource(spec, attrs.evolve(SETTINGS, external_ip=False), ZONE)
    assert not private.network_interfaces[0].access_configs


def test_the_launch_credential_travels_as_metadata():
    spec = default_spec(
        "vti-1", "asm-1-1", ssh_public_key=TEST_PUBLIC_KEY, root_password=TEST_PASSWORD
    )
    items = {i.key: i.value for i in instance_resource(spec, SETTINGS, ZONE).metadata.items}
    assert items["ssh-keys"] == f"vertice:{TEST_PUBLIC_KEY}"  # GCE's guest agent
    config = yaml.safe_load(items["user-data"])  # cloud-init, where the image has it
    assert config["ssh_authorized_keys"] == [TEST_PUBLIC_KEY]
    assert config["chpasswd"]["users"][0]["password"] == TEST_PASSWORD
    assert (
        items["startup-script"].startswith("#!/bin/sh") and TEST_PASSWORD in items["startup-script"]
    )


def test_a_plan_asking_for_metrics_gets_node_exporter_through_user_data():
    spec = default_spec("vti-1", "asm-1-1", metrics_port=9100)
    items = {i.key: i.value for i in instance_resource(spec, SETTINGS, ZONE).metadata.items}
    config = yaml.safe_load(items["user-data"])  # vertice_drivers.cloudinit's document
    assert config["packages"] == ["prometheus-node-exporter"]
    assert ":9100" in config["write_files"][0]["content"]
    assert "ssh-keys" not in items and "startup-script" not in items


def test_image_paths_and_machine_type_names_are_taken_as_they_are():
    spec = default_spec(
        "vti-1", "asm-1-1", image="projects/cos-cloud/global/images/family/cos-stable",
        size=SizeSpec("n2-standard-4", 4, 16384, 0),
    )  # fmt: skip
    body = instance_resource(spec, GceSettings(), ZONE)
    assert body.disks[0].initialize_params.source_image == spec.image
    assert body.machine_type.endswith("/n2-standard-4")
    assert "disk_size_gb" not in body.disks[0].initialize_params  # the image's own size


@pytest.mark.parametrize(
    ("changes", "reason", "named"),
    [
        ({"image": "3_webserver_apache"}, "ImageNotMapped", "3_webserver_apache"),
        ({"size": SizeSpec("huge", 64, 1, 1)}, "FlavorNotMapped", "huge"),
    ],
)
def test_what_the_region_cannot_launch_is_terminal(changes, reason, named):
    spec = default_spec("vti-1", "asm-1-1", **changes)
    with pytest.raises(TerminalError) as caught:
        instance_resource(spec, SETTINGS, ZONE)
    assert caught.value.reason == reason
    assert named in caught.value.message


@pytest.mark.parametrize(
    ("fixture", "name", "state"),
    [
        ("zones_us-central1-a_instances_node-name.json", "node-name", InstanceState.RUNNING),
        ("zones_us_central1_a_instances_stopped_node.json", "stopped-node", InstanceState.STOPPED),
    ],
)
def test_recorded_instances_are_understood(fixture, name, state):
    item = compute_v1.Instance.from_json(
        (FIXTURES / fixture).read_text(), ignore_unknown_fields=True
    )
    instance = instance_of(item)
    assert (instance.cloud_id, instance.state) == (name, state)
    assert (instance.public_ipv4, instance.private_ipv4) == ("23.236.58.15", "10.240.72.75")
    assert instance.created_at == datetime(2013, 12, 13, 18, 45, 23, 351000, tzinfo=UTC)
    assert instance.key == "" and instance.tags == {}  # not vertice's
