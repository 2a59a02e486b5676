"""End to end on the Azure peer: API -> store -> reconciler -> `azure` driver -> peer, and back.

The peer's VM documents follow the recorded VM GET reply of
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`
(interaction 14), its `statusOnly` instance views the recorded
`fixtures/azure_arm/..._test_node_1_InstanceView.json` (`PowerState/running`...),
its NICs the recorded `..._networkInterfaces_test_node_1_nic.json`, and every
verb answers 202 with the `Azure-AsyncOperation` and `Location` headers of the
recorded deallocate/start/restart/powerOff/delete interactions (17 to 28).

The lifecycle runs on both databases; the other scenarios on SQLite alone: they
exercise the driver and the peer, not the store, and the suite stays quick.
"""

from __future__ import annotations

import base64

import pytest

from azure_arm_peer.account import GROUP, LOCATION, NETWORK, SUBNET, by_hand
from vertice_core import builtins
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow
CREATE = "virtualMachines.createOrUpdate"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_an_assembly_lives_its_whole_life_on_azure(
    alice, azure_region, make_reconciler, converge, phases, azure, peer_vms, driver_calls
):
    azure_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="azure-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    (vm,) = peer_vms({"vertice-assembly": body["id"]})
    props = vm.doc["properties"]
    assert shown["cloud_id"] == vm.doc["name"] == shown["key"]  # named after the key
    (nic,) = azure.arm.nics.values()
    (ip,) = azure.arm.public_ips.values()
    private = nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
    assert shown["private_ipv4"] == private != ""
    assert shown["public_ipv4"] == ip["properties"]["ipAddress"] != ""
    assert props["hardwareProfile"]["vmSize"] == "Standard_A1"  # `small`, mapped
    assert props["storageProfile"]["imageReference"]["offer"] == "UbuntuServer"
    assert vm.doc["tags"]["vertice-key"] == shown["key"]
    assert vm.doc["tags"]["vertice-installation"].startswith("vti-")
    (key,) = props["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"]
    assert key == {"path": "/home/vertice/.ssh/authorized_keys", "keyData": TEST_PUBLIC_KEY}
    data = base64.b64decode(vm.secrets["customData"]).decode()
    assert data.startswith("#cloud-config") and TEST_PUBLIC_KEY in data
    assert azure.count("virtualMachines.createOrUpdate") == 1

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert azure.vm(GROUP, vm.doc["name"]).power == "deallocated"  # the default stop_mode

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert azure.vm(GROUP, vm.doc["name"]).power == "running"

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: azure.count("virtualMachines.restart") == 1)
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert azure.vm(GROUP, vm.doc["name"]).restarts == 1
    assert driver_calls(reconciler, "reboot") == 1

    assert alice.delete(uri).status_code == 202
    # A VM being deleted counts as terminated: the assembly is gone then, the VM soon after.
    converge(reconciler, lambda: phases() == {} and azure.vm(GROUP, vm.doc["name"]) is None)
    assert not azure.arm.nics and not azure.arm.public_ips  # deleted with the VM
    assert azure.count("virtualMachines.createOrUpdate") == 1
    assert driver_calls(reconciler, "create") == 1


@sqlite_only
def test_a_ghost_is_deleted_and_foreign_vms_are_never_touched(
    ctx, alice, azure_region, make_reconciler, converge, phases, azure
):
    azure_region()
    subnet = azure.arm.add_subnet(GROUP, NETWORK, SUBNET)
    installation = builtins.installation_id(ctx.store)
    with azure.lock:
        plant = azure.arm.plant
        plant(GROUP, "asm-gone-1", {
            "vertice-installation": installation, "vertice-assembly": "asm-gone",
            "vertice-key": "asm-gone-1", "vertice-project": "prj-x",
        }, LOCATION, subnet)  # fmt: skip
        plant(GROUP, "someones-pet", {"team": "web"}, LOCATION, subnet)
        plant(GROUP, "untagged", {}, LOCATION, subnet)
        plant(GROUP, "asm-theirs-1", {
            "vertice-installation": "vti-another-installation", "vertice-assembly": "asm-theirs",
            "vertice-key": "asm-theirs-1",
        }, LOCATION, subnet)  # fmt: skip

    uri = alice.declare("web", region="azure-test").headers["location"]
    reconciler = make_reconciler()
    converge(
        reconciler,
        lambda: phases() == {"RUNNING": 1} and azure.vm(GROUP, "asm-gone-1") is None,
    )
    for _ in range(3):
        reconciler.run_pass()
    for name in ("someones-pet", "untagged", "asm-theirs-1"):
        assert azure.vm(GROUP, name).power == "running", name
    assert azure.targets("virtualMachines.delete") == {"asm-gone-1"}
    for verb in ("start", "deallocate", "powerOff", "restart"):
        assert not azure.targets(f"virtualMachines.{verb}"), verb
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


@sqlite_only
def test_what_happens_behind_vertices_back_is_undone(
    alice, azure_region, make_reconciler, converge, phases, azure
):
    azure_region(stop_mode="power_off")
    credential = {"kind": "root_password", "password": TEST_PASSWORD}
    uri = alice.declare("web", region="azure-test", credential=credential).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]
    name = first["cloud_id"]
    vm = azure.vm(GROUP, name)
    assert vm.secrets["adminPassword"] == TEST_PASSWORD  # it meets Azure's rules: used as is
    assert TEST_PASSWORD in base64.b64decode(vm.secrets["customData"]).decode()  # root's

    with azure.lock:  # someone deallocated it in the portal
        vm.power = "deallocated"
    converge(
        reconciler,
        lambda: azure.count("virtualMachines.start") == 1 and phases() == {"RUNNING": 1},
    )

    alice.replace(uri, "/desired_state", "stopped")  # stop_mode power_off: stopped, not deallocated
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert azure.vm(GROUP, name).power == "stopped"
    assert azure.count("virtualMachines.powerOff") >= 1
    assert azure.count("virtualMachines.deallocate") == 0
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})

    first_vm = azure.vm(GROUP, name).doc["properties"]["vmId"]
    with azure.lock:  # someone deleted it: Azure simply stops listing it
        azure.arm.vms.pop((GROUP.lower(), name.lower()))

    def replaced() -> bool:
        again = azure.vm(GROUP, name)
        return again is not None and again.doc["properties"]["vmId"] != first_vm

    converge(reconciler, lambda: replaced() and phases() == {"RUNNING": 1})
    (second,) = alice.get(uri).json["status"]["instances"]
    # The same key, so the same name: a new PUT made a new VM under it.
    assert second["key"] == first["key"] and second["cloud_id"] == name
    assert len(azure.arm.vms) == 1


@sqlite_only
def test_a_vm_made_by_hand_is_adopted_without_a_restart(
    admin, azure_region, make_reconciler, converge, azure, driver_calls
):
    """An administrator declares an assembly adopting a VM made behind vertice's back; the
    reconciler tags it once (a PATCH of its tags on its ETag: neither restarted nor
    replaced), keeps its own tags, and manages it from then on (a stop reaches it)."""
    azure_region()
    name = by_hand(azure, "legacy-db", team="billing")
    made = azure.vm(GROUP, name)
    before = (made.doc["properties"]["vmId"], made.boots)
    declared = admin.declare("legacy", region="azure-test", adopt={"cloud_id": name})
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(uri)["phase"] == "RUNNING")

    (shown,) = admin.status(uri)["instances"]
    vm = azure.vm(GROUP, name)
    assert shown["cloud_id"] == name
    assert shown["private_ipv4"] != ""
    tags = vm.doc["tags"]
    assert (tags["owner"], tags["team"]) == ("ops", "billing")  # its own tags stay
    assert tags["vertice-key"] == shown["key"]
    assert tags["vertice-assembly"] == declared.json["id"]
    assert tags["vertice-installation"].startswith("vti-")
    assert (vm.doc["properties"]["vmId"], vm.boots, vm.restarts, vm.power) == (
        *before,
        0,
        "running",
    )
    for _ in range(3):
        reconciler.run_pass()
    assert (driver_calls(reconciler, "adopt"), driver_calls(reconciler, "create")) == (1, 0)
    assert (azure.count("virtualMachines.update"), azure.count(CREATE)) == (1, 0)
    assert azure.count("virtualMachines.restart") == azure.count("virtualMachines.start") == 0
    assert len(azure.arm.vms) == 1

    admin.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: admin.status(uri)["phase"] == "STOPPED")
    assert azure.vm(GROUP, name).power == "deallocated"
