"""The driver's own promises, beyond the contract: one listing per kind, PUT by name, no waiting.

The peer's listings are paged like the recorded
`fixtures/azure_arm/_subscriptions_99999999_providers_Microsoft_Compute_virtualMachines.json`
(`value` + `nextLink`), its VM documents follow the recorded VM GET/PUT replies of
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`,
and its verbs answer 202 with the recorded `Azure-AsyncOperation`/`Location` headers.
"""

from __future__ import annotations

import time

import attrs

from azure_arm_peer.account import GROUP, LOCATION, NETWORK, SUBNET
from vertice_core.model.status import InstanceState
from vertice_driver_azure.translate import vm_body
from vertice_drivers.testkit import TEST_PASSWORD, default_spec

CREATE = "virtualMachines.createOrUpdate"
PER_VM = ("virtualMachines.get", "virtualMachines.instanceView")


def spec(driver, key, **changes):
    return default_spec(driver.region.installation_id, key, **changes)


def test_observe_is_a_fixed_number_of_listings_whatever_the_number_of_vms(azure, make_driver):
    driver = make_driver()
    assert driver.observe() == []
    assert azure.count("virtualMachines.list") == 1
    assert azure.count("virtualMachines.listAll") == 0  # nothing of ours: no more calls

    for n in range(5):
        driver.create(spec(driver, f"asm-many{n}-1"))
    azure.calls.clear()
    found = driver.observe()
    assert sorted(i.key for i in found) == [f"asm-many{n}-1" for n in range(5)]
    # 5 VMs, pages of 2: every listing follows its nextLink; no call names a VM.
    assert azure.count("virtualMachines.list") == 3
    assert azure.count("virtualMachines.listAll") == 3
    assert azure.count("networkInterfaces.list") == 3
    assert azure.count("publicIPAddresses.list") == 3
    assert not any(azure.count(action) for action in PER_VM)

    azure.page_size = 100
    azure.calls.clear()
    driver.observe()
    assert [a for a, _, _, _ in azure.calls] == [
        "virtualMachines.list",
        "virtualMachines.listAll",
        "networkInterfaces.list",
        "publicIPAddresses.list",
    ]


def test_create_puts_once_by_name_and_never_waits(azure, make_driver):
    driver = make_driver()
    azure.arm.boot = 30.0  # a VM that takes its time
    started = time.monotonic()
    created = driver.create(spec(driver, "asm-slow-1"))
    assert time.monotonic() - started < 5.0
    assert created.state is InstanceState.PENDING and created.cloud_id == "asm-slow-1"
    assert azure.count("operations.get") == 0  # the operation is not polled
    again = driver.create(spec(driver, "asm-slow-1"))
    assert again.cloud_id == created.cloud_id
    assert azure.count(CREATE) == 1  # the second create found the VM and adopted it
    (vm,) = driver.observe()
    assert vm.state is InstanceState.PENDING  # ProvisioningState/creating

    for verb in (driver.stop, driver.start, driver.delete):  # each one 202 Accepted
        verb("asm-slow-1")
    assert azure.count("operations.get") == 0


def test_a_put_repeated_after_a_race_changes_nothing(azure, make_driver):
    # Two reconcilers racing on one key both PUT: the body is the same, ARM updates in place.
    driver = make_driver()
    weak = spec(driver, "asm-race-1", root_password="short")  # a derived admin password
    driver.create(weak)
    body_twice = driver.vms.begin_create_or_update(
        GROUP, "asm-race-1", _body(driver, weak), polling=False
    ).result()
    assert body_twice["name"] == "asm-race-1"
    assert len(azure.arm.vms) == 1


def _body(driver, a_spec):
    return vm_body(
        a_spec,
        driver.settings,
        location=driver.location,
        subnet_id=driver.subnet_id,
        secret=driver.region.credentials.client_secret,
    )


def test_stop_deallocates_or_powers_off(azure, make_driver):
    for mode, verb, power in (
        ("deallocate", "virtualMachines.deallocate", "deallocated"),
        ("power_off", "virtualMachines.powerOff", "stopped"),
    ):
        driver = make_driver(stop_mode=mode)
        key = f"asm-stop{mode.replace('_', '')}-1"
        driver.create(spec(driver, key))
        azure.arm.settle()
        time.sleep(azure.arm.boot)
        driver.stop(key)
        time.sleep(azure.arm.halt + 0.05)
        assert azure.count(verb) == 1
        assert azure.vm(GROUP, key).power == power
        (found,) = [i for i in driver.observe() if i.key == key]
        assert found.state is InstanceState.STOPPED


def test_only_tagged_vms_of_this_installation_are_observed(azure, make_driver):
    subnet = azure.arm.add_subnet(GROUP, NETWORK, SUBNET)
    driver = make_driver()
    mine = {"vertice-installation": driver.region.installation_id, "vertice-key": "asm-m-1"}
    with azure.lock:
        azure.arm.plant(GROUP, "asm-m-1", mine, LOCATION, subnet)
        azure.arm.plant(GROUP, "pet", {"team": "web"}, LOCATION, subnet)
        azure.arm.plant(GROUP, "nameless", {"vertice-installation": mine["vertice-installation"]},
                        LOCATION, subnet)  # fmt: skip
        azure.arm.plant("another-rg", "asm-m-2", {**mine, "vertice-key": "asm-m-2"},
                        LOCATION, subnet)  # fmt: skip
    (found,) = driver.observe()
    assert found.key == "asm-m-1" and found.state is InstanceState.RUNNING
    assert found.private_ipv4.startswith("10.0.")


def test_the_root_password_arrives_as_azure_and_cloud_init_take_it(azure, make_driver):
    driver = make_driver()
    driver.create(spec(driver, "asm-pw-1", root_password=TEST_PASSWORD))
    vm = azure.vm(GROUP, "asm-pw-1")
    assert vm.secrets["adminPassword"] == TEST_PASSWORD
    linux = vm.doc["properties"]["osProfile"]["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is False
    assert "adminPassword" not in vm.doc["properties"]["osProfile"]  # never returned


def test_a_private_region_gives_private_addresses_only(azure, make_driver):
    driver = make_driver(public_ip=False)
    driver.create(spec(driver, "asm-priv-1"))
    (found,) = driver.observe()
    assert found.public_ipv4 == "" and found.private_ipv4.startswith("10.0.")
    assert not azure.arm.public_ips
    assert azure.count("publicIPAddresses.list") == 0


def test_flavors_are_the_recorded_sizes_and_images_the_mapped_ones(azure, make_driver):
    driver = make_driver(vm_sizes={})
    names = [f.name for f in driver.flavors()]
    assert names == ["Standard_A0", "Standard_A1", "Standard_A2"]  # as recorded, all of them
    (small,) = [f for f in make_driver().flavors() if f.name == "Standard_A1"]
    assert (small.cpu, small.ram, small.disk) == (1, 1792, 1023)
    (image,) = make_driver().images()
    assert image.name == "1_virtualmachine_ubuntu" and image.id.startswith("Canonical:")
    assert attrs.asdict(image)["description"] == image.id
