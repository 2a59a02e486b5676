"""The pure translations: states, names, addresses, the VM body, as tables.

The documents read back are the recorded ones: the SDK's recorded VM GET with
`$expand=instanceView` (interaction 16 of
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`),
the recorded `fixtures/azure_arm/..._test_node_1_InstanceView.json` and
`..._networkInterfaces_test_node_1_nic.json`.
"""

from __future__ import annotations

import base64
import json

import attrs
import pytest

from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_azure import AzureSettings
from vertice_driver_azure.translate import (
    addresses_of,
    admin_password,
    image_reference,
    instance_of,
    nic_ids,
    power_state,
    provisioning_state,
    state_of,
    vm_body,
    vm_name,
    vm_size_for,
)
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec

P, R, S, T, E, U = (
    InstanceState.PENDING,
    InstanceState.RUNNING,
    InstanceState.STOPPED,
    InstanceState.TERMINATED,
    InstanceState.ERROR,
    InstanceState.UNKNOWN,
)
SETTINGS = AzureSettings(
    subscription_id="99999999-9999-9999-9999-999999999999",
    resource_group="rg",
    virtual_network="net",
    images={"1_virtualmachine_ubuntu": "Canonical:UbuntuServer:16.04.0-LTS:latest"},
    vm_sizes={"small": "Standard_A1"},
)
SUBNET = (
    "/subscriptions/9/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n/subnets/s"
)


# Every power state Azure documents, with a provisioning state that defers to it.
@pytest.mark.parametrize(
    ("provisioning", "power", "state"),
    [
        ("succeeded", "starting", P),
        ("succeeded", "running", R),
        ("succeeded", "stopping", P),
        ("succeeded", "stopped", S),
        ("succeeded", "deallocating", P),
        ("succeeded", "deallocated", S),
        ("succeeded", "unknown", U),
        ("updating", "running", R),  # the recorded instance view: updating + running
        ("updating", "starting", P),
        ("updating", "deallocated", S),
        ("updating", "", P),
        ("creating", "starting", P),
        ("creating", "running", P),  # not done provisioning yet
        ("creating", "", P),
        ("migrating", "running", P),
        ("deleting", "running", T),  # cannot be undone
        ("deleting", "", T),
        ("failed", "running", E),  # a broken VM: the reconciler replaces it
        ("failed", "deallocated", E),
        ("canceled", "stopped", E),
        ("succeeded", "", U),  # no instance view
        ("", "", U),
        ("succeeded", "hibernated", U),  # a power state vertice does not know
        ("Succeeded", "Running", R),  # the model spells them capitalised
    ],
)
def test_every_state_maps(provisioning, power, state):
    assert state_of(provisioning, power) is state


def test_states_come_from_the_recorded_instance_views(recorded):
    view = recorded("instance_view")["statuses"]
    assert (provisioning_state(view), power_state(view)) == ("updating", "running")
    vm = recorded("vm_expanded")
    instance = instance_of(vm, vm["properties"]["instanceView"]["statuses"])
    assert instance.state is R
    assert instance.cloud_id == "pyvmirvm122014cf"
    # The recorded list item has no instance view: its model state alone says nothing.
    (listed,) = recorded("list")["value"]
    assert instance_of(listed).state is U


def test_addresses_follow_the_nic_and_its_public_ip(recorded):
    nic = recorded("nic")
    nic_id = nic["id"].lower()
    config = nic["properties"]["ipConfigurations"][0]["properties"]
    assert addresses_of([nic_id], {nic_id: nic}, {}) == ("", "10.0.0.1")
    config["publicIPAddress"] = {"id": "/x/publicIPAddresses/ip"}
    ips = {"/x/publicipaddresses/ip": {"properties": {"ipAddress": "20.1.2.3"}}}
    assert addresses_of([nic_id], {nic_id: nic}, ips) == ("20.1.2.3", "10.0.0.1")
    vm = {"properties": {"networkProfile": {"networkInterfaces": [
        {"id": "/A/second"}, {"id": "/A/First", "properties": {"primary": True}},
    ]}}}  # fmt: skip
    assert nic_ids(vm) == ["/a/first", "/a/second"]


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("asm-3f9a1c2b7d4e8a10-1", "asm-3f9a1c2b7d4e8a10-1"),
        ("tk123-4", "tk123-4"),
        ("Upper_Case.key", None),
        ("x" * 64, None),
        ("-leading", None),
    ],
)
def test_vm_names_are_the_key_or_a_digest(key, name):
    got = vm_name(key)
    assert got == (name or got)
    assert len(got) <= 63 and got == got.lower() and got[0].isalnum() and got[-1].isalnum()
    if name is None:
        assert got.startswith("v-") and got == vm_name(key)  # stable


def test_images_and_sizes_are_mapped_or_refused():
    spec = default_spec("vti-x", "asm-a-1")
    assert image_reference(spec, SETTINGS) == {
        "publisher": "Canonical", "offer": "UbuntuServer", "sku": "16.04.0-LTS",
        "version": "latest",
    }  # fmt: skip
    image_id = "/subscriptions/9/resourceGroups/rg/providers/Microsoft.Compute/images/golden"
    assert image_reference(attrs.evolve(spec, image=image_id), SETTINGS) == {"id": image_id}
    with pytest.raises(TerminalError) as refused:
        image_reference(attrs.evolve(spec, image="2_application_java"), SETTINGS)
    assert refused.value.reason == "ImageNotMapped"
    assert vm_size_for(spec, SETTINGS) == "Standard_A1"
    sized = attrs.evolve(spec, size=attrs.evolve(spec.size, name="Standard_D2s_v5"))
    assert vm_size_for(sized, SETTINGS) == "Standard_D2s_v5"
    with pytest.raises(TerminalError) as refused:
        vm_size_for(attrs.evolve(spec, size=attrs.evolve(spec.size, name="huge")), SETTINGS)
    assert refused.value.reason == "FlavorNotMapped"


def test_the_vm_body_carries_tags_the_launch_credential_and_a_nic_made_with_it():
    spec = default_spec("vti-x", "asm-a-1", ssh_public_key=TEST_PUBLIC_KEY, metrics_port=9100)
    body = vm_body(spec, SETTINGS, location="eastus", subnet_id=SUBNET, secret="s")
    assert body["location"] == "eastus"
    assert body["tags"]["vertice-key"] == "asm-a-1"
    assert body["tags"]["vertice-installation"] == "vti-x"
    props = body["properties"]
    assert props["hardwareProfile"] == {"vmSize": "Standard_A1"}
    assert props["storageProfile"]["osDisk"]["deleteOption"] == "Delete"
    assert "diskSizeGB" not in props["storageProfile"]["osDisk"]  # 10 GB < the image's 30
    os_profile = props["osProfile"]
    assert os_profile["computerName"] == "asm-a-1" and "adminPassword" not in os_profile
    linux = os_profile["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is True
    assert linux["ssh"]["publicKeys"][0]["keyData"] == TEST_PUBLIC_KEY
    data = base64.b64decode(os_profile["customData"]).decode()
    assert data.startswith("#cloud-config") and TEST_PUBLIC_KEY in data
    assert "prometheus-node-exporter" in data and ":9100" in data
    network = props["networkProfile"]
    assert network["networkApiVersion"] == "2020-11-01"
    (nic,) = network["networkInterfaceConfigurations"]
    assert nic["properties"]["deleteOption"] == "Delete"
    (ip,) = nic["properties"]["ipConfigurations"]
    assert ip["properties"]["subnet"] == {"id": SUBNET}
    assert (
        ip["properties"]["publicIPAddressConfiguration"]["properties"]["deleteOption"] == "Delete"
    )
    private_only = attrs.evolve(SETTINGS, public_ip=False)
    body = vm_body(spec, private_only, location="eastus", subnet_id=SUBNET, secret="s")
    (nic,) = body["properties"]["networkProfile"]["networkInterfaceConfigurations"]
    assert (
        "publicIPAddressConfiguration" not in nic["properties"]["ipConfigurations"][0]["properties"]
    )
    json.dumps(body)  # plain JSON, as the SDK sends it


def test_passwords_meet_azures_rules_and_are_stable():
    spec = default_spec("vti-x", "asm-a-1", root_password=TEST_PASSWORD)
    assert admin_password(spec, "s") == TEST_PASSWORD  # 16 characters, 4 kinds
    weak = attrs.evolve(spec, root_password="password")  # too short for Azure
    derived = admin_password(weak, "s")
    assert derived == admin_password(weak, "s") != admin_password(weak, "t")
    assert 12 <= len(derived) <= 72
    kinds = [str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()]
    assert all(any(kind(c) for c in derived) for kind in kinds)
    body = vm_body(weak, SETTINGS, location="eastus", subnet_id=SUBNET, secret="s")
    os_profile = body["properties"]["osProfile"]
    assert os_profile["adminPassword"] == derived
    assert os_profile["linuxConfiguration"]["disablePasswordAuthentication"] is False
    assert (
        "password" in base64.b64decode(os_profile["customData"]).decode()
    )  # root's, by cloud-init
    bare = default_spec("vti-x", "asm-b-1")  # no credential: Azure still needs one
    assert vm_body(bare, SETTINGS, location="eastus", subnet_id=SUBNET, secret="s")["properties"][
        "osProfile"
    ]["adminPassword"]
