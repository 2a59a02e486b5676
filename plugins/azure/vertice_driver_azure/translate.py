"""Between vertice's types and Azure's: states, names, tags, instances, a spec's VM body.

Pure functions on ARM's JSON (the wire shape the SDK's models wrap), no I/O:
what `virtualMachines.createOrUpdate` is asked for a spec (image and size
from the region settings, tags, an OS profile and custom data carrying the
launch credential, a NIC and public IP that Azure makes and deletes with the
VM), and what a VM document and its instance view mean to vertice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vertice_core.driver import TAG_KEY, Instance, InstanceSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_azure import VM_SIZE, AzureSettings, is_image
from vertice_drivers.cloudinit import cloud_config

#: Power states (`PowerState/<x>` in the instance view) onto vertice's. A deallocated VM is
#: stopped like a powered-off one: both keep their disks and can be started.
POWER_STATES: Mapping[str, InstanceState] = {
    "starting": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.PENDING,
    "stopped": InstanceState.STOPPED,
    "deallocating": InstanceState.PENDING,
    "deallocated": InstanceState.STOPPED,
    "unknown": InstanceState.UNKNOWN,
}
#: Provisioning states (`ProvisioningState/<x>`, or the model's `provisioningState`) that
#: decide on their own; the others (`succeeded`, `updating`) defer to the power state.
#: `deleting` cannot be undone; `failed` is a broken VM, which the reconciler replaces.
PROVISIONING_STATES: Mapping[str, InstanceState] = {
    "creating": InstanceState.PENDING,
    "migrating": InstanceState.PENDING,
    "deleting": InstanceState.TERMINATED,
    "failed": InstanceState.ERROR,
    "canceled": InstanceState.ERROR,
}
#: A VM name that is also a valid Linux host name (vertice keys are lower-case already).
NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
#: The network API version that lets Compute create (and delete) a VM's NIC and public IP.
NETWORK_API_VERSION = "2020-11-01"
#: The smallest OS disk (GB) of Azure's Linux marketplace images; smaller sizes are left out.
MIN_OS_DISK_GB = 30
#: Tag names vertice writes begin so. ARM's tag names are case-insensitive (a write of
#: `Vertice-Key` updates `vertice-key`), so a name spelt so in any case is read lower-case.
VERTICE_PREFIX = "vertice-"
_SPECIALS = "!@#$%^&*-_=+"


def power_state(statuses: Any) -> str:
    """The `PowerState/<x>` of an instance view's statuses, lower-case ('' when absent)."""
    return _status(statuses, "powerstate/")


def provisioning_state(statuses: Any) -> str:
    """The `ProvisioningState/<x>` of an instance view's statuses, lower-case ('' if absent)."""
    return _status(statuses, "provisioningstate/")


def _status(statuses: Any, prefix: str) -> str:
    for status in statuses or []:
        code = str((status or {}).get("code") or "").lower()
        if code.startswith(prefix):
            return code.removeprefix(prefix).split("/", 1)[0]
    return ""


def state_of(provisioning: str, power: str) -> InstanceState:
    """vertice's state for a VM's provisioning and power states (either may be '')."""
    decided = PROVISIONING_STATES.get(provisioning.lower())
    if decided is not None:
        return decided
    if power:
        return POWER_STATES.get(power.lower(), InstanceState.UNKNOWN)
    # No instance view yet: a VM being updated is in transition, anything else unknown.
    return InstanceState.PENDING if provisioning.lower() == "updating" else InstanceState.UNKNOWN


def vm_name(key: str) -> str:
    """The VM (and host) name of a key: the key itself when Azure accepts it, else a digest."""
    if NAME.fullmatch(key):
        return key
    return "v-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def nic_ids(vm: Mapping[str, Any]) -> list[str]:
    """The resource ids of a VM's network interfaces, primary first (lower-case)."""
    nics = ((vm.get("properties") or {}).get("networkProfile") or {}).get("networkInterfaces")
    refs = [n for n in nics or [] if n.get("id")]
    primary = [n for n in refs if (n.get("properties") or {}).get("primary")]
    return [str(n["id"]).lower() for n in primary + [n for n in refs if n not in primary]]


def addresses_of(
    nic_ids: list[str], nics: Mapping[str, Any], public_ips: Mapping[str, Any]
) -> tuple[str, str]:
    """The (public, private) IPv4 addresses of a VM from its NICs and their public IPs."""
    public = private = ""
    for nic_id in nic_ids:
        for config in (nics.get(nic_id) or {}).get("properties", {}).get("ipConfigurations", []):
            props = config.get("properties") or {}
            if props.get("privateIPAddressVersion", "IPv4") == "IPv4":
                private = private or str(props.get("privateIPAddress") or "")
            ref = str((props.get("publicIPAddress") or {}).get("id") or "").lower()
            found = (public_ips.get(ref) or {}).get("properties") or {}
            if found.get("publicIPAddressVersion", "IPv4") == "IPv4":
                public = public or str(found.get("ipAddress") or "")
    return public, private


def plain(item: Any) -> dict[str, Any]:
    """An SDK model as ARM's JSON (the models are mappings over the wire document)."""
    return dict(item.as_dict()) if hasattr(item, "as_dict") else dict(item or {})


def tags_of(vm: Mapping[str, Any]) -> dict[str, str]:
    """A VM document's tags, vertice's names lower-case however they are spelt there."""
    tags: dict[str, str] = {}
    for name, value in (vm.get("tags") or {}).items():
        text = str(name)
        tags[text.lower() if text.lower().startswith(VERTICE_PREFIX) else text] = str(value)
    return tags


def instance_of(
    vm: Mapping[str, Any], statuses: Any = None, addresses: tuple[str, str] = ("", "")
) -> Instance:
    """vertice's view of one VM document, with its instance view's statuses and addresses."""
    tags = tags_of(vm)
    props = vm.get("properties") or {}
    provisioning = provisioning_state(statuses) or str(props.get("provisioningState") or "")
    return Instance(
        key=tags.get(TAG_KEY, ""),
        cloud_id=str(vm.get("name") or ""),
        state=state_of(provisioning, power_state(statuses)),
        public_ipv4=addresses[0],
        private_ipv4=addresses[1],
        tags=tags,
        created_at=_time(props.get("timeCreated")),
    )


def image_reference(spec: InstanceSpec, settings: AzureSettings) -> dict[str, str]:
    """The `imageReference` of the spec's plan image (mapped, or a URN / image id itself)."""
    image = settings.images.get(spec.image) or (spec.image if is_image(spec.image) else "")
    if not image:
        known = ", ".join(sorted(settings.images)) or "none"
        raise TerminalError(
            f"azure: no image is configured for image {spec.image!r} in this region "
            f"(mapped images: {known})",
            reason="ImageNotMapped",
        )
    if image.startswith("/"):
        return {"id": image}
    publisher, offer, sku, version = image.split(":")
    return {"publisher": publisher, "offer": offer, "sku": sku, "version": version}


def vm_size_for(spec: InstanceSpec, settings: AzureSettings) -> str:
    """The VM size of the spec's flavor (mapped, or the flavor's own name)."""
    mapped = settings.vm_sizes.get(spec.size.name)
    if mapped:
        return mapped
    if VM_SIZE.fullmatch(spec.size.name):
        return spec.size.name
    known = ", ".join(sorted(settings.vm_sizes)) or "none"
    raise TerminalError(
        f"azure: no VM size is configured for flavor {spec.size.name!r} in this region "
        f"(mapped flavors: {known})",
        reason="FlavorNotMapped",
    )


def admin_password(spec: InstanceSpec, secret: str) -> str:
    """The administrator's password when no SSH key is given.

    The spec's root password when it meets Azure's rules (12 to 72 characters, three
    kinds of character); else one derived from the key and the client secret, so a
    repeated PUT sends the same one, and nobody knows it (root's arrives by cloud-init).
    """
    given = spec.root_password
    kinds = [any(c.islower() for c in given), any(c.isupper() for c in given)]
    kinds += [any(c.isdigit() for c in given), any(not c.isalnum() for c in given)]
    if 12 <= len(given) <= 72 and sum(kinds) >= 3:
        return given
    digest = hmac.new(secret.encode(), spec.key.encode(), hashlib.sha256).digest()
    text = base64.b64encode(digest).decode().rstrip("=")
    return f"Vt{text[:24]}7{_SPECIALS[digest[0] % len(_SPECIALS)]}"


def os_profile(spec: InstanceSpec, settings: AzureSettings, secret: str) -> dict[str, Any]:
    """The `osProfile`: host name, the administrator with the SSH key or a password, and
    cloud-init custom data (the SSH key and root password for root, node_exporter)."""
    admin = settings.admin_username
    linux: dict[str, Any] = {"provisionVMAgent": True}
    profile: dict[str, Any] = {"computerName": vm_name(spec.key), "adminUsername": admin}
    if spec.ssh_public_key:
        linux["disablePasswordAuthentication"] = not spec.root_password
        key = {"path": f"/home/{admin}/.ssh/authorized_keys", "keyData": spec.ssh_public_key}
        linux["ssh"] = {"publicKeys": [key]}
    if spec.root_password or not spec.ssh_public_key:
        linux["disablePasswordAuthentication"] = False
        profile["adminPassword"] = admin_password(spec, secret)
    profile["linuxConfiguration"] = linux
    data = cloud_config(spec)
    if data is not None:
        profile["customData"] = base64.b64encode(data.encode()).decode()
    return profile


def network_profile(name: str, subnet_id: str, settings: AzureSettings) -> dict[str, Any]:
    """A NIC (and public IP) that Azure creates with the VM and deletes with it."""
    ip_config: dict[str, Any] = {"primary": True, "subnet": {"id": subnet_id}}
    if settings.public_ip:
        ip_config["publicIPAddressConfiguration"] = {
            "name": f"{name}-ip",
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"deleteOption": "Delete", "publicIPAllocationMethod": "Static"},
        }
    nic = {
        "name": f"{name}-nic",
        "properties": {
            "primary": True,
            "deleteOption": "Delete",
            "ipConfigurations": [{"name": "ipconfig1", "properties": ip_config}],
        },
    }
    return {"networkApiVersion": NETWORK_API_VERSION, "networkInterfaceConfigurations": [nic]}


def vm_body(
    spec: InstanceSpec, settings: AzureSettings, *, location: str, subnet_id: str, secret: str
) -> dict[str, Any]:
    """The JSON body of `virtualMachines.createOrUpdate` for `spec`."""
    name = vm_name(spec.key)
    os_disk: dict[str, Any] = {
        "name": f"{name}-osdisk",
        "createOption": "FromImage",
        "deleteOption": "Delete",
        "managedDisk": {"storageAccountType": settings.os_disk_type},
    }
    if spec.size.disk >= MIN_OS_DISK_GB:
        os_disk["diskSizeGB"] = spec.size.disk
    return {
        "location": location,
        "tags": {**spec.tags, TAG_KEY: spec.key},
        "properties": {
            "hardwareProfile": {"vmSize": vm_size_for(spec, settings)},
            "storageProfile": {
                "imageReference": image_reference(spec, settings),
                "osDisk": os_disk,
            },
            "osProfile": os_profile(spec, settings, secret),
            "networkProfile": network_profile(name, subnet_id, settings),
        },
    }
