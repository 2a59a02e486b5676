"""The peer's model of Resource Manager: VMs, their NICs and public IPs, and operations.

A VM moves through provisioning and power states with time, as Azure's do:
creating/starting -> succeeded/running (`boot` seconds); a stop
(`deallocate` or `powerOff`) goes through deallocating/stopping; a delete
through deleting, after which the VM, its NIC and its public IP are gone
(`halt` seconds). Every accepted PUT, POST and DELETE starts an operation
that is InProgress until the VM's transition ends, then Succeeded (or Failed
with an error, when a test says so).

Every VM document carries an `etag` (as VMs do from api-version 2024-03-01),
a new one with each change of its model (a PUT, a PATCH), not with a change of
power state. A PATCH (`update`) sets the tags the body gives, as a whole (the
peer applies nothing else of a PATCH body), and does not touch the VM's
states: the VM keeps running. With `If-Match` it is conditional on the ETag
(412 PreconditionFailed when the VM changed since). `etags = False` makes the
model an older Resource Manager's: no `etag` in documents, `If-Match` ignored.

Besides what `checks` refuses in a new VM, the model refuses a change of an
immutable property (409 PropertyChangeNotAllowed), a verb on a VM in the
wrong state (409 OperationNotAllowed) and a VM it does not know (404
ResourceNotFound).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import attrs

from azure_arm_peer.checks import Refused, check_quota, check_vm
from azure_arm_peer.documents import Recorded, statuses
from azure_arm_peer.network import Addresses, make_network, plant_body
from azure_arm_peer.operations import Operations, stamp

#: Marketplace images the recordings show (publisher, offer, sku); any version is known.
RECORDED_IMAGES = {("Canonical", "UbuntuServer", "16.04.0-LTS"), ("OpenLogic", "CentOS", "7.3")}
#: Properties a PUT of an existing VM may not change (ARM: PropertyChangeNotAllowed).
_IMMUTABLE = ("computerName", "adminUsername", "adminPassword", "customData")
_SECRET = ("adminPassword", "customData")

__all__ = ["ArmModel", "Refused", "Vm"]

#: A planned move: (seconds from now, provisioning state, power state or None: gone).
Step = tuple[float, str, str | None]


@attrs.define
class Vm:
    """One VM: its model document, states, what a GET never shows, and its planned moves."""

    group: str
    doc: dict[str, Any]
    provisioning: str
    power: str
    #: (monotonic time, provisioning, power); power None: the VM is gone then.
    plan: list[tuple[float, str, str | None]] = attrs.Factory(list)
    #: What ARM never returns: the osProfile's customData and adminPassword.
    secrets: dict[str, str] = attrs.Factory(dict)
    restarts: int = 0
    #: How many times the VM booted: created, started from stopped, restarted.
    boots: int = 0


class ArmModel:
    """Virtual machines of one subscription, in memory (the caller holds the peer's lock)."""

    def __init__(self, recorded: Recorded, subscription: str) -> None:
        self.recorded = recorded
        self.subscription = subscription
        self.boot = 0.3  # seconds from create/start to running
        self.halt = 0.2  # seconds from stop/delete to stopped/gone
        self.cores_quota: int | None = None
        self.vms: dict[tuple[str, str], Vm] = {}
        self.nics: dict[str, dict[str, Any]] = {}  # lower-case id -> document
        self.public_ips: dict[str, dict[str, Any]] = {}
        self.operations = Operations(recorded)
        self.subnets: set[str] = set()
        self.images = set(RECORDED_IMAGES)
        self.sizes = recorded.vm_sizes()
        self.locations = recorded.locations()
        self.addresses = Addresses()
        #: Whether VM documents carry an `etag` (and `If-Match` is honoured).
        self.etags = True

    def rid(self, group: str, provider: str, kind: str, name: str) -> str:
        """A resource id."""
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{group}/providers/{provider}/"
            f"{kind}/{name}"
        )

    def add_subnet(self, group: str, network: str, subnet: str) -> str:
        """Make a subnet exist; return its id."""
        path = f"{network}/subnets/{subnet}"
        ident = self.rid(group, "Microsoft.Network", "virtualNetworks", path)
        self.subnets.add(ident.lower())
        return ident

    # -- time --

    def settle(self) -> None:
        """Apply every planned move that is due."""
        now = time.monotonic()
        for ident, vm in list(self.vms.items()):
            while vm.plan and vm.plan[0][0] <= now:
                _, provisioning, power = vm.plan.pop(0)
                if power is None:
                    self._remove(ident)
                    break
                self._set(vm, provisioning, power)

    def _set(self, vm: Vm, provisioning: str, power: str) -> None:
        vm.provisioning, vm.power = provisioning, power
        vm.doc["properties"]["provisioningState"] = provisioning.capitalize()

    def _move(self, vm: Vm, state: tuple[str, str], steps: list[Step]) -> float:
        """Put the VM in `state` now and plan its next moves; return the last one's delay."""
        self._set(vm, *state)
        start = time.monotonic()
        vm.plan = [(start + after, provisioning, power) for after, provisioning, power in steps]
        return max((after for after, _, _ in steps), default=0.0)

    def _remove(self, ident: tuple[str, str]) -> None:
        vm = self.vms.pop(ident)
        for ref in vm.doc["properties"]["networkProfile"].get("networkInterfaces", []):
            nic = self.nics.pop(ref["id"].lower(), None) or {}
            for config in nic.get("properties", {}).get("ipConfigurations", []):
                public = config["properties"].get("publicIPAddress") or {}
                self.public_ips.pop(str(public.get("id", "")).lower(), None)

    # -- VMs --

    def find(self, group: str, name: str) -> Vm:
        """The VM `name` of `group` (ARM names are case-insensitive), or ResourceNotFound."""
        vm = self.vms.get((group.lower(), name.lower()))
        if vm is None:
            raise Refused(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Compute/virtualMachines/{name}' under resource group "
                f"'{group}' was not found. For more details please go to "
                "https://aka.ms/ARMResourceNotFoundFix",
            )
        return vm

    def instance_view(self, vm: Vm, template: str = "instance_view") -> dict[str, Any]:
        """The VM's instance view, shaped like the recorded one (`vm_expanded`: the GET's)."""
        view = self.recorded(template)
        if template == "vm_expanded":
            view = view["properties"]["instanceView"]
            view["computerName"] = vm.doc["properties"]["osProfile"]["computerName"]
        view["statuses"] = statuses(vm.provisioning, vm.power)
        return dict(view)

    def status_only(self, vm: Vm) -> dict[str, Any]:
        """A VM as `listAll(statusOnly=true)` gives it: its identity and run-time status only."""
        doc = vm.doc
        view = {
            "computerName": doc["properties"]["osProfile"]["computerName"],
            "statuses": statuses(vm.provisioning, vm.power),
        }
        keep = {k: doc[k] for k in ("name", "id", "type", "location")}
        return {**keep, "properties": {"vmId": doc["properties"]["vmId"], "instanceView": view}}

    def put(
        self, group: str, name: str, body: dict[str, Any], operation_error: str = ""
    ) -> tuple[int, Vm, str]:
        """createOrUpdate: 201 and a new VM, or 200 and the same VM; the operation's name."""
        existing = self.vms.get((group.lower(), name.lower()))
        if existing is not None:
            return 200, existing, self._update(existing, body)
        vm, duration = self._create(group, name, body, self.boot)
        error = None
        if operation_error:
            error = (operation_error, f"Allocation failed. ({operation_error})")
            self._move(vm, ("creating", "starting"), [(duration, "failed", "deallocated")])
        return 201, vm, self.operations.begin(vm.doc["location"], duration, error)

    def _update(self, vm: Vm, body: dict[str, Any]) -> str:
        if vm.provisioning == "deleting":
            message = f"The VM '{vm.doc['name']}' is marked for deletion."
            raise Refused(409, "OperationNotAllowed", message)
        wanted = body.get("properties", {}).get("osProfile", {})
        shown = {**vm.doc["properties"]["osProfile"], **vm.secrets}
        for prop in _IMMUTABLE:
            if prop in wanted and wanted[prop] != shown.get(prop):
                message = f"Changing property 'osProfile.{prop}' is not allowed."
                raise Refused(409, "PropertyChangeNotAllowed", message)
        vm.doc["tags"] = dict(body.get("tags") or {})
        self._changed(vm)
        return self.operations.begin(vm.doc["location"], 0.0)

    def patch(self, group: str, name: str, body: dict[str, Any], if_match: str = "") -> str:
        """update (PATCH): the tags the body gives replace the VM's, on its ETag when
        `if_match` names one; the VM's states do not move. The operation's name."""
        vm = self.find(group, name)
        if vm.provisioning == "deleting":
            message = f"The VM '{vm.doc['name']}' is marked for deletion."
            raise Refused(409, "OperationNotAllowed", message)
        current = str(vm.doc.get("etag", ""))
        stale = if_match not in ("", "*") and if_match.strip('"') != current.strip('"')
        if self.etags and stale:
            message = f"The specified precondition 'If-Match = {if_match}' failed."
            raise Refused(412, "PreconditionFailed", message)
        if "tags" in body:
            vm.doc["tags"] = {str(k): str(v) for k, v in (body["tags"] or {}).items()}
        self._changed(vm)
        return self.operations.begin(vm.doc["location"], 0.0)

    def _changed(self, vm: Vm) -> None:
        """A new version of the VM's model: a new (opaque) ETag, none when `etags` is off."""
        if self.etags:
            vm.doc["etag"] = f'"{uuid.uuid4()}"'
        else:
            vm.doc.pop("etag", None)

    def _create(self, group: str, name: str, body: dict[str, Any], boot: float) -> tuple[Vm, float]:
        props = body.get("properties") or {}
        location = str(body.get("location", "")).lower()
        check_vm(
            name,
            location,
            props,
            locations=self.locations,
            sizes=self.sizes,
            images=self.images,
            subnets=self.subnets,
        )
        size = props["hardwareProfile"]["vmSize"]
        if self.cores_quota is not None:
            used = [
                v.doc["properties"]["hardwareProfile"]["vmSize"]
                for v in self.vms.values()
                if v.provisioning != "deleting"
            ]
            check_quota(location, size, used, self.sizes, self.cores_quota)
        vm_id = self.rid(group, "Microsoft.Compute", "virtualMachines", name)
        network, nics, ips = make_network(
            self.recorded,
            lambda kind, n: self.rid(group, "Microsoft.Network", kind, n),
            self.addresses,
            vm_id=vm_id,
            location=location,
            profile=props["networkProfile"],
        )
        disk: dict[str, Any] = {"osType": "Linux", "caching": "ReadWrite", "diskSizeGB": 30}
        disk.update(props["storageProfile"]["osDisk"])
        disk_id = self.rid(group, "Microsoft.Compute", "disks", disk.get("name", name))
        disk["managedDisk"] = {**disk.get("managedDisk", {}), "id": disk_id}
        doc = self.recorded("vm")  # the recorded VM GET reply
        recorded_os = doc["properties"]["osProfile"]
        os_profile = {k: v for k, v in props["osProfile"].items() if k not in _SECRET}
        doc.update(name=name, id=vm_id, location=location, tags=dict(body.get("tags") or {}))
        doc["properties"] = {
            "vmId": str(uuid.uuid4()),
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": props["storageProfile"]["imageReference"],
                "osDisk": disk,
                "dataDisks": [],
            },
            "osProfile": {
                "secrets": recorded_os["secrets"],
                "allowExtensionOperations": recorded_os["allowExtensionOperations"],
                "requireGuestProvisionSignal": recorded_os["requireGuestProvisionSignal"],
                **os_profile,
            },
            "networkProfile": network,
            "provisioningState": "Creating",
            "timeCreated": stamp(),
        }
        secrets = {k: props["osProfile"][k] for k in _SECRET if k in props["osProfile"]}
        vm = Vm(group, doc, "creating", "starting", secrets=secrets, boots=1)
        self._changed(vm)
        self.vms[(group.lower(), name.lower())] = vm
        self.nics.update({nic["id"].lower(): nic for nic in nics})
        self.public_ips.update({ip["id"].lower(): ip for ip in ips})
        duration = self._move(vm, ("creating", "starting"), [(boot, "succeeded", "running")])
        self.settle()
        return vm, duration

    def act(self, group: str, name: str, verb: str) -> str | None:
        """start, powerOff, deallocate, restart, delete: the VM moves on; the operation's name.

        None for the delete of a VM that does not exist (ARM answers 204 No Content).
        """
        if verb == "delete" and (group.lower(), name.lower()) not in self.vms:
            return None
        vm = self.find(group, name)
        power = vm.power
        if vm.provisioning == "deleting" and verb != "delete":
            raise _not_allowed(verb, name, "the VM is marked for deletion")
        duration = 0.0
        steps: list[Step]
        if verb == "delete" and vm.provisioning != "deleting":
            duration = self._move(vm, ("deleting", power), [(self.halt, "deleting", None)])
        elif verb == "start" and power not in ("running", "starting"):
            vm.boots += 1
            steps = [(self.boot / 2, "succeeded", "running")]
            duration = self._move(vm, ("updating", "starting"), steps)
        elif verb == "deallocate" and power not in ("deallocated", "deallocating"):
            steps = [(self.halt, "succeeded", "deallocated")]
            duration = self._move(vm, ("updating", "deallocating"), steps)
        elif verb == "powerOff" and power not in ("stopped", "stopping"):
            if power in ("deallocated", "deallocating"):
                raise _not_allowed(verb, name, "the VM is deallocated")
            duration = self._move(
                vm, ("updating", "stopping"), [(self.halt, "succeeded", "stopped")]
            )
        elif verb == "restart":
            if power != "running":
                raise _not_allowed(verb, name, f"the VM is {power}")
            vm.restarts += 1
            vm.boots += 1
            steps = [(self.boot / 2, "succeeded", "running")]
            duration = self._move(vm, ("updating", "running"), steps)
        return self.operations.begin(vm.doc["location"], duration)

    def plant(self, group: str, name: str, tags: dict[str, str], location: str, subnet: str) -> Vm:
        """A VM made behind vertice's back, running at once."""
        vm, _ = self._create(group, name, plant_body(name, location, tags, subnet), 0.0)
        return vm


def _not_allowed(verb: str, name: str, why: str) -> Refused:
    message = f"Operation '{verb}' is not allowed on VM '{name}' since {why}."
    return Refused(409, "OperationNotAllowed", message)
