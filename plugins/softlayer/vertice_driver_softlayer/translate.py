"""Between vertice's types and SoftLayer's documents: names, tags, guests, `createObject`.

Pure functions, no I/O. A guest of vertice is named after its instance key:
its hostname is the key (a digest of it when the key is no DNS label), its
domain is the installation's own subdomain `<installation id>.<domain>`. Both
are set by `createObject` itself, so a guest is recognisable from the moment it
is ordered; the tags (`vertice-installation:<id>`, `vertice-assembly:...`,
`vertice-key:...`, `vertice-project:...`), which SoftLayer sets in a second call
(`setTags`), add the assembly and project for people and for the reconciler.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    Instance,
    InstanceSpec,
)
from vertice_core.errors import TerminalError
from vertice_driver_softlayer import OS_CODE, TEMPLATE_GUID, SoftLayerFlavor, SoftLayerSettings
from vertice_driver_softlayer.states import lookup, state_of
from vertice_drivers.cloudinit import cloud_config

#: What a SoftLayer hostname may be: one DNS label (SoftLayer allows up to 63 characters).
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
#: Characters SoftLayer refuses in a tag ("Invalid tag names"): all but A-Z 0-9 space _ - . :
_NOT_IN_TAG = re.compile(r"[^A-Za-z0-9 _.:-]")

#: The object mask of every guest the driver reads.
GUEST_MASK = (
    "mask[id,hostname,domain,createDate,provisionDate,primaryIpAddress,"
    "primaryBackendIpAddress,powerState[keyName,name],status[keyName,name],"
    "activeTransaction[id,transactionStatus[name,friendlyName]],"
    "lastOperatingSystemReload[id],tagReferences[tag[name]]]"
)


def hostname_for(key: str) -> str:
    """The hostname of the key's guest: the key itself, or `v` and its digest."""
    if _LABEL.fullmatch(key):
        return key
    return "v" + hashlib.sha256(key.encode()).hexdigest()[:40]


def domain_for(installation_id: str, settings: SoftLayerSettings) -> str:
    """The domain of every guest of this installation: its own subdomain of `domain`."""
    return f"{installation_id}.{settings.domain}".lower()


def tag_value(value: str) -> str:
    """A tag value as `setTags` can carry it (what SoftLayer refuses becomes `_`)."""
    return _NOT_IN_TAG.sub("_", value)


def tag_list(tags: Mapping[str, str]) -> str:
    """The `setTags` argument for vertice's tags: `name:value` pairs, comma-separated."""
    return ",".join(tag_texts(tags))


def tag_texts(tags: Mapping[str, str]) -> list[str]:
    """vertice's tags as SoftLayer tag names: `name:value`, sorted."""
    return [f"{name}:{tag_value(value)}" for name, value in sorted(tags.items())]


def tag_names(guest: Mapping[str, Any]) -> list[str]:
    """The guest's tags as SoftLayer names them (`tagReferences[tag[name]]`), in order."""
    names = (str(lookup(ref, "tag", "name") or "") for ref in guest.get("tagReferences") or [])
    return [name for name in names if name]


def every_tag(guest: Mapping[str, Any]) -> dict[str, str]:
    """All the guest's tags as a mapping: `owner:ops` -> owner: ops, `web` -> web: ''."""
    tags: dict[str, str] = {}
    for text in tag_names(guest):
        name, _, value = text.partition(":")
        tags[name] = value
    return tags


def tags_of(guest: Mapping[str, Any]) -> dict[str, str]:
    """vertice's `name:value` tags of a guest document (`tagReferences[tag[name]]`)."""
    tags: dict[str, str] = {}
    for text in tag_names(guest):
        name, colon, value = text.partition(":")
        if colon and name.startswith("vertice-"):
            tags[name] = value
    return tags


def created_at(guest: Mapping[str, Any]) -> datetime | None:
    """When the guest was ordered (`createDate`, ISO 8601 with offset)."""
    text = lookup(guest, "createDate")
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def instance_of(guest: Mapping[str, Any], installation: str, domain: str) -> Instance | None:
    """vertice's view of a guest of `installation`, or None when it is not one of its guests.

    The tags name the key, assembly and installation; a guest ordered but not tagged yet
    (vertice stopped between `createObject` and `setTags`) is known by its hostname (the
    key) and domain, and its assembly by the key (`<assembly id>-<incarnation>`).
    """
    if str(guest.get("domain", "")).lower() != domain:
        return None
    tags = tags_of(guest)
    if tags.get(TAG_INSTALLATION, installation) != installation:
        return None
    hostname = str(guest.get("hostname", "")).lower()
    key = tags.get(TAG_KEY) or hostname
    if not key or hostname != hostname_for(key):
        return None
    tags.setdefault(TAG_INSTALLATION, installation)
    tags.setdefault(TAG_KEY, key)
    if TAG_ASSEMBLY not in tags and "-" in key:
        tags[TAG_ASSEMBLY] = key.rsplit("-", 1)[0]
    return guest_instance(guest, key, tags)


def guest_instance(guest: Mapping[str, Any], key: str, tags: Mapping[str, str]) -> Instance:
    """The guest as an `Instance` under `key` with `tags`."""
    return Instance(
        key=key,
        cloud_id=str(guest.get("id", "")),
        state=state_of(guest),
        public_ipv4=str(lookup(guest, "primaryIpAddress") or ""),
        private_ipv4=str(lookup(guest, "primaryBackendIpAddress") or ""),
        tags=dict(tags),
        created_at=created_at(guest),
    )


def untagged(guest: Mapping[str, Any]) -> bool:
    """Whether the guest still lacks vertice's tags (ordered, `setTags` not yet done)."""
    return TAG_KEY not in tags_of(guest)


def image_for(spec: InstanceSpec, settings: SoftLayerSettings) -> dict[str, Any]:
    """The image part of `createObject`: an OS reference code or an image template."""
    image = settings.images.get(spec.image) or spec.image
    if TEMPLATE_GUID.fullmatch(image):
        return {"blockDeviceTemplateGroup": {"globalIdentifier": image}}
    if OS_CODE.fullmatch(image):
        return {"operatingSystemReferenceCode": image}
    known = ", ".join(sorted(settings.images)) or "none"
    raise TerminalError(
        f"softlayer: no image is configured for image {spec.image!r} in this region "
        f"(mapped images: {known})",
        reason="ImageNotMapped",
    )


def size_for(spec: InstanceSpec, settings: SoftLayerSettings) -> dict[str, Any]:
    """The size part of `createObject`: the flavor's preset, or its CPUs, memory and disks."""
    flavor = settings.flavors.get(spec.size.name) or SoftLayerFlavor(
        cpus=spec.size.cpu, memory=spec.size.ram
    )
    if flavor.preset:
        size: dict[str, Any] = {"supplementalCreateObjectOptions": {"flavorKeyName": flavor.preset}}
    else:
        size = {"startCpus": flavor.cpus, "maxMemory": flavor.memory}
    if flavor.disks:
        devices = ["0", *(str(n) for n in range(2, len(flavor.disks) + 1))]  # 1 is swap
        size["blockDevices"] = [
            {"device": device, "diskImage": {"capacity": capacity}}
            for device, capacity in zip(devices, flavor.disks, strict=True)
        ]
    return size


def create_template(
    spec: InstanceSpec, settings: SoftLayerSettings, datacenter: str, domain: str
) -> dict[str, Any]:
    """The `SoftLayer_Virtual_Guest::createObject` template of one guest of `spec`."""
    template: dict[str, Any] = {
        "hostname": hostname_for(spec.key),
        "domain": domain,
        "datacenter": {"name": datacenter},
        "hourlyBillingFlag": settings.hourly,
        "localDiskFlag": settings.local_disk,
        **size_for(spec, settings),
        **image_for(spec, settings),
    }
    if settings.dedicated:
        template["dedicatedAccountHostOnlyFlag"] = True
    if settings.private_network_only:
        template["privateNetworkOnlyFlag"] = True
    if settings.public_vlan_id:
        template["primaryNetworkComponent"] = {"networkVlan": {"id": settings.public_vlan_id}}
    if settings.private_vlan_id:
        template["primaryBackendNetworkComponent"] = {
            "networkVlan": {"id": settings.private_vlan_id}
        }
    if settings.nic_speed:
        template["networkComponents"] = [{"maxSpeed": settings.nic_speed}]
    if settings.ssh_key_ids:
        template["sshKeys"] = [{"id": key_id} for key_id in settings.ssh_key_ids]
    if settings.post_install_script_uri:
        template["postInstallScriptUri"] = settings.post_install_script_uri
    data = cloud_config(spec)
    if data is not None:
        template["userData"] = [{"value": data}]
    return template


def user_data_of(guest: Mapping[str, Any]) -> str:
    """The user data a guest was ordered with (`userData[value]`), joined."""
    values: Iterable[Any] = guest.get("userData") or []
    return "\n".join(str(item.get("value", "")) for item in values if isinstance(item, Mapping))
