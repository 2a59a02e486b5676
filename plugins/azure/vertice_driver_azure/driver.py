"""The `azure` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images,
unmanaged and adopt.

One Compute and one Network client per region (location and resource group).
Every VM vertice creates is named from its key and tagged with the
installation's id, the assembly's id, the key and the project.

`observe` makes a fixed number of region-wide paged listings, never one call
per VM: Resource Manager cannot filter VMs by tag nor give their power state
in the resource group's listing (`$expand=instanceView` needs a `$filter`,
and the only filter it takes names a scale set), so it reads

1. `virtualMachines.list(resource_group)`: the models, with their tags
   (filtered by the installation tag here) and NIC references;
2. only when that found any of ours, `virtualMachines.listAll(statusOnly=true)`:
   the instance view (power and provisioning state) of every VM of the
   subscription in one listing, joined by resource id;
3. and `networkInterfaces.list` / `publicIPAddresses.list` of the resource
   group, for the private and public addresses.

A VM made by hand is adopted by tagging it (a PATCH of its tags, conditional
on its ETag; no restart): `vertice_driver_azure.adoption`.

Long-running operations are never waited on (`polling=False`): the initial
PUT, POST or DELETE is what the driver sends and checks; its outcome shows in
the next observation. So no poller thread outlives a call, and no 30-second
polling default slows the loop down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from azure.mgmt.compute.models import VirtualMachine
from requests.adapters import DEFAULT_POOLSIZE

from vertice_core.driver import (
    TAG_INSTALLATION,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
)
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_azure import AzureCredentials, AzureSettings, adoption
from vertice_driver_azure.client import (
    CREATE,
    call,
    call_unless_absent,
    location_of,
    make_clients,
    make_credential,
)
from vertice_driver_azure.translate import (
    addresses_of,
    instance_of,
    nic_ids,
    plain,
    vm_body,
    vm_name,
)
from vertice_drivers.slots import CallSlots, bounded


class AzureDriver(Driver):
    """The `azure` driver: virtual machines of one resource group and location, through ARM."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: AzureSettings = region.settings
        self.location = location_of(region)
        self.resource_group = self.settings.resource_group
        self.credential = make_credential(region)
        self.compute, self.network = make_clients(region, self.credential)
        self.vms = self.compute.virtual_machines
        # azure-core's requests pools keep requests' default size and cannot block.
        self.slots = CallSlots(DEFAULT_POOLSIZE)

    @property
    def subnet_id(self) -> str:
        """The resource id of the subnet every VM's NIC joins."""
        settings = self.settings
        group = settings.network_resource_group or settings.resource_group
        return (
            f"/subscriptions/{settings.subscription_id}/resourceGroups/{group}/providers/"
            f"Microsoft.Network/virtualNetworks/{settings.virtual_network}/subnets/"
            f"{settings.subnet}"
        )

    def _ours(self, instance: Instance) -> bool:
        # ARM cannot filter VMs by tag: the listing is filtered here.
        return bool(instance.key) and (
            instance.tags.get(TAG_INSTALLATION) == self.region.installation_id
        )

    @bounded
    def observe(self) -> list[Instance]:
        """Every VM of this installation in the resource group, with states and addresses."""
        return self.listed(self._ours)

    def listed(self, wanted: Callable[[Instance], bool]) -> list[Instance]:
        """The resource group's VMs `wanted` picks (from their models: name and tags), with
        states and addresses: the group's listing, then the status-only and network
        listings only when it picked any."""
        vms = call(
            "virtualMachines.list",
            lambda: [plain(vm) for vm in self.vms.list(self.resource_group)],
        )
        chosen = [vm for vm in vms if wanted(instance_of(vm))]
        if not chosen:
            return []
        statuses = self._statuses()
        nics, public_ips = self._network()
        return [
            instance_of(
                vm,
                statuses.get(str(vm.get("id", "")).lower()),
                addresses_of(nic_ids(vm), nics, public_ips),
            )
            for vm in chosen
        ]

    def _statuses(self) -> dict[str, Any]:
        """The instance view statuses of the subscription's VMs, by lower-case resource id."""

        def listing() -> dict[str, Any]:
            found: dict[str, Any] = {}
            for item in self.vms.list_all(status_only="true"):
                vm = plain(item)
                view = (vm.get("properties") or {}).get("instanceView") or {}
                found[str(vm.get("id", "")).lower()] = view.get("statuses") or []
            return found

        return call("virtualMachines.listAll", listing)

    def _network(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The resource group's NICs and public IPs, by lower-case resource id."""

        def by_id(items: Any) -> dict[str, Any]:
            return {str(d.get("id", "")).lower(): d for d in map(plain, items)}

        group = self.resource_group
        nics = call(
            "networkInterfaces.list", lambda: by_id(self.network.network_interfaces.list(group))
        )
        if not self.settings.public_ip:
            return nics, {}
        public_ips = call(
            "publicIPAddresses.list", lambda: by_id(self.network.public_ip_addresses.list(group))
        )
        return nics, public_ips

    @bounded
    def get(self, name: str) -> dict[str, Any] | None:
        """The VM document of `name` with its instance view (None when Azure has no such VM)."""
        found: list[dict[str, Any]] = []
        present = call_unless_absent(
            "virtualMachines.get",
            lambda: found.append(
                plain(self.vms.get(self.resource_group, name, expand="instanceView"))
            ),
        )
        return found[0] if present else None

    @bounded
    def create(self, spec: InstanceSpec) -> Instance:
        """PUT the VM named after `spec.key` (idempotent by name), or return the one there."""
        name = vm_name(spec.key)
        existing = self.get(name)
        if existing is not None:
            view = (existing.get("properties") or {}).get("instanceView") or {}
            found = instance_of(existing, view.get("statuses"))
            if not (self._ours(found) and found.key == spec.key):
                raise TerminalError(
                    f"azure: a VM named {name!r} already exists in resource group "
                    f"{self.resource_group} and is not vertice's VM of key {spec.key!r}",
                    reason="NameTaken",
                )
            return found
        credentials: AzureCredentials = self.region.credentials
        body = vm_body(
            spec,
            self.settings,
            location=self.location,
            subnet_id=self.subnet_id,
            secret=credentials.client_secret,
        )
        poller = call(
            CREATE,
            lambda: self.vms.begin_create_or_update(
                self.resource_group, name, VirtualMachine(body), polling=False
            ),
        )
        created = plain(poller.result())
        if not created.get("name"):
            return Instance(
                key=spec.key, cloud_id=name, state=InstanceState.PENDING, tags=dict(spec.tags)
            )
        return instance_of(created)

    def _act(self, action: str, begin: Callable[..., Any], name: str, **options: Any) -> None:
        """Send a VM verb (`begin_start`...); its long-running operation is not waited on."""
        call(action, lambda: begin(self.resource_group, name, polling=False, **options))

    @bounded
    def delete(self, cloud_id: str) -> None:
        """Delete the VM (its NIC, public IP and OS disk go with it); a missing VM is fine."""
        call_unless_absent(
            "virtualMachines.delete",
            lambda: self.vms.begin_delete(self.resource_group, cloud_id, polling=False),
        )

    @bounded
    def start(self, cloud_id: str) -> None:
        """Start a stopped or deallocated VM (Azure leaves a running one alone)."""
        self._act("virtualMachines.start", self.vms.begin_start, cloud_id)

    @bounded
    def stop(self, cloud_id: str) -> None:
        """Deallocate the VM (or power it off, per `stop_mode`); a stopped one is left alone."""
        if self.settings.stop_mode == "power_off":
            self._act(
                "virtualMachines.powerOff", self.vms.begin_power_off, cloud_id, skip_shutdown=False
            )
        else:
            self._act("virtualMachines.deallocate", self.vms.begin_deallocate, cloud_id)

    @bounded
    def reboot(self, cloud_id: str) -> None:
        """Restart the VM in place (same name, disks and addresses)."""
        self._act("virtualMachines.restart", self.vms.begin_restart, cloud_id)

    @bounded
    def unmanaged(self) -> list[Instance]:
        """The resource group's live VMs of no installation, `key` '' (observe's listings)."""
        return adoption.listing(self)

    @bounded
    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Tag the unmanaged VM `cloud_id` with `tags` (a PATCH of its tags on its ETag: it
        keeps running, and keeps its own tags); see `vertice_driver_azure.adoption`."""
        return adoption.adopt(self, cloud_id, tags)

    @bounded
    def flavors(self) -> list[CloudFlavor]:
        """The location's VM sizes the settings map flavors to (all of them when none is)."""
        wanted = set(self.settings.vm_sizes.values())
        sizes = call(
            "virtualMachineSizes.list",
            lambda: [plain(s) for s in self.compute.virtual_machine_sizes.list(self.location)],
        )
        flavors = [
            CloudFlavor(
                name=str(s.get("name", "")),
                cpu=int(s.get("numberOfCores") or 0),
                ram=int(s.get("memoryInMB") or 0),
                disk=int(s.get("osDiskSizeInMB") or 0) // 1024,
            )
            for s in sizes
            if not wanted or s.get("name") in wanted
        ]
        return sorted(flavors, key=lambda f: (f.cpu, f.ram, f.name))

    @bounded
    def images(self) -> list[CloudImage]:
        """The mapped images (named by their plan image), then the resource group's images."""
        images = {
            image: CloudImage(id=image, name=plan_image, description=image)
            for plan_image, image in sorted(self.settings.images.items())
        }
        custom = call(
            "images.listByResourceGroup",
            lambda: [
                plain(i) for i in self.compute.images.list_by_resource_group(self.resource_group)
            ],
        )
        for item in custom:
            ident = str(item.get("id", ""))
            images.setdefault(ident, CloudImage(id=ident, name=str(item.get("name", ident))))
        return list(images.values())

    def close(self) -> None:
        """Close the clients' and the credential's HTTP sessions."""
        self.compute.close()
        self.network.close()
        self.credential.close()
