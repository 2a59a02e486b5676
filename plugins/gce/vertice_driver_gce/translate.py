"""Between vertice's types and Compute Engine's: states, names, labels, instances, a spec's insert.

Pure functions, no I/O: what `instances.insert` is asked for a spec (image
and machine type from the region settings, labels carrying vertice's tags,
metadata carrying the launch credential), and what a GCE instance means to
vertice.

GCE label values allow only lower-case letters, digits, `-` and `_`, at most
63 characters. A tag value that does not fit is stored as `vb32-` and its
lower-case base32 when that fits, else as `vh-` and a digest; the exact tags
also travel in the instance's metadata (`vertice-tags`), which is where a
digested value is read back from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from collections.abc import Mapping
from datetime import datetime

from google.cloud import compute_v1

from vertice_core.driver import TAG_KEY, Instance, InstanceSpec, SizeSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_gce import MACHINE_TYPE, GceSettings, is_image
from vertice_drivers.cloudinit import cloud_config

#: GCE instance statuses onto vertice's. GCE's TERMINATED is a *stopped* instance (it keeps
#: its disks and can be started); a deleted instance is simply not listed any more.
#: SUSPENDED keeps its memory and counts as stopped (`start` resumes it). Every transition
#: (and REPAIRING, which GCE resolves on its own) is pending: look again soon.
STATES: Mapping[str, InstanceState] = {
    "PENDING": InstanceState.PENDING,
    "PROVISIONING": InstanceState.PENDING,
    "STAGING": InstanceState.PENDING,
    "RUNNING": InstanceState.RUNNING,
    "PENDING_STOP": InstanceState.PENDING,
    "STOPPING": InstanceState.PENDING,
    "SUSPENDING": InstanceState.PENDING,
    "REPAIRING": InstanceState.PENDING,
    "DEPROVISIONING": InstanceState.PENDING,
    "STOPPED": InstanceState.STOPPED,
    "TERMINATED": InstanceState.STOPPED,
    "SUSPENDED": InstanceState.STOPPED,
}

#: The metadata item holding the exact tags (label values may be encoded).
TAGS_ITEM = "vertice-tags"
#: A valid instance name (RFC 1035, at most 63 characters).
NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_B32, _DIGEST = "vb32-", "vh-"
_LABEL_MAX = 63


def state_of(status: str) -> InstanceState:
    """vertice's state for a GCE instance status (`unknown` for one GCE may add later)."""
    return STATES.get(status, InstanceState.UNKNOWN)


def instance_name(key: str) -> str:
    """The instance name of a key: the key itself when GCE accepts it, else a digest."""
    if NAME.fullmatch(key):
        return key
    return "v-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def label_value(value: str) -> str:
    """A tag value as a GCE label value (itself, base32-encoded, or digested)."""
    if _LABEL_VALUE.fullmatch(value) and not value.startswith((_B32, _DIGEST)):
        return value
    encoded = base64.b32encode(value.encode()).decode().rstrip("=").lower()
    if len(_B32) + len(encoded) <= _LABEL_MAX:
        return _B32 + encoded
    return _DIGEST + hashlib.sha256(value.encode()).hexdigest()[:40]


def tag_value(label: str, exact: str | None = None) -> str:
    """The tag value a label value stands for (`exact`, from the metadata, for a digest)."""
    if label.startswith(_B32):
        encoded = label[len(_B32) :].upper()
        padded = encoded + "=" * (-len(encoded) % 8)
        try:
            return base64.b32decode(padded).decode()
        except ValueError:
            return label
    if label.startswith(_DIGEST) and exact is not None and label_value(exact) == label:
        return exact
    return label


def labels_of(tags: Mapping[str, str]) -> dict[str, str]:
    """The GCE labels of vertice's tags (their names are valid label keys already)."""
    return {key: label_value(value) for key, value in tags.items()}


def metadata_of(item: compute_v1.Instance) -> dict[str, str]:
    """An instance's metadata items as a mapping."""
    return {entry.key: entry.value for entry in item.metadata.items}


def tags_of(item: compute_v1.Instance) -> dict[str, str]:
    """vertice's tags of an instance: its labels, decoded (with the metadata's exact values)."""
    exact: dict[str, str] = {}
    text = metadata_of(item).get(TAGS_ITEM, "")
    if text:
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = {}
        if isinstance(loaded, dict):
            exact = {str(k): str(v) for k, v in loaded.items()}
    return {key: tag_value(value, exact.get(key)) for key, value in item.labels.items()}


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def instance_of(item: compute_v1.Instance) -> Instance:
    """vertice's view of one GCE instance document."""
    tags = tags_of(item)
    private = public = ""
    for nic in item.network_interfaces:
        private = private or nic.network_i_p
        for access in nic.access_configs:
            public = public or access.nat_i_p
    return Instance(
        key=tags.get(TAG_KEY, ""),
        cloud_id=item.name,
        state=state_of(item.status),
        public_ipv4=public,
        private_ipv4=private,
        tags=tags,
        created_at=_time(item.creation_timestamp),
        size=item.machine_type.rsplit("/", 1)[-1],
    )


def image_for(spec: InstanceSpec, settings: GceSettings) -> str:
    """The image of the spec's plan image (mapped in the settings, or an image path itself);
    the spec's `image_id` (a snapshot's image, `projects/P/global/images/N`) when it has one."""
    if spec.image_id:
        return spec.image_id
    mapped = settings.images.get(spec.image)
    if mapped:
        return mapped
    if is_image(spec.image):
        return spec.image
    known = ", ".join(sorted(settings.images)) or "none"
    raise TerminalError(
        f"gce: no image is configured for image {spec.image!r} in this region "
        f"(mapped images: {known})",
        reason="ImageNotMapped",
    )


def machine_type_for(spec: InstanceSpec, settings: GceSettings) -> str:
    """The machine type of the spec's flavor (mapped, or the flavor's own name)."""
    return machine_type_of(spec.size, settings)


def machine_type_of(size: SizeSpec, settings: GceSettings) -> str:
    """The machine type of a flavor (mapped, or the flavor's own name); FlavorNotMapped."""
    mapped = settings.machine_types.get(size.name)
    if mapped:
        return mapped
    if MACHINE_TYPE.fullmatch(size.name):
        return size.name
    known = ", ".join(sorted(settings.machine_types)) or "none"
    raise TerminalError(
        f"gce: no machine type is configured for flavor {size.name!r} in this region "
        f"(mapped flavors: {known})",
        reason="FlavorNotMapped",
    )


def startup_script(spec: InstanceSpec) -> str | None:
    """A startup script setting the root password once, for images without cloud-init."""
    if not spec.root_password:
        return None
    line = shlex.quote(f"root:{spec.root_password}")
    return (
        "#!/bin/sh\n"
        "# vertice: set the launch root password once (images without cloud-init)\n"
        "[ -e /var/lib/vertice/root-password-set ] && exit 0\n"
        f"printf '%s\\n' {line} | chpasswd && mkdir -p /var/lib/vertice"
        " && touch /var/lib/vertice/root-password-set\n"
    )


def metadata_items(spec: InstanceSpec, settings: GceSettings) -> dict[str, str]:
    """The metadata of an instance of `spec`: exact tags and the launch credential."""
    items = {TAGS_ITEM: json.dumps(dict(spec.tags), sort_keys=True)}
    if spec.ssh_public_key:
        items["ssh-keys"] = f"{settings.ssh_user}:{spec.ssh_public_key.strip()}"
    data = cloud_config(spec)
    if data is not None:
        items["user-data"] = data
    script = startup_script(spec)
    if script is not None:
        items["startup-script"] = script
    return items


def _network(settings: GceSettings) -> str:
    return settings.network if "/" in settings.network else f"global/networks/{settings.network}"


def instance_resource(spec: InstanceSpec, settings: GceSettings, zone: str) -> compute_v1.Instance:
    """The `Instance` body of `instances.insert` for `spec` in `zone`."""
    labels = labels_of(spec.tags)
    disk = compute_v1.AttachedDiskInitializeParams(
        source_image=image_for(spec, settings),
        disk_type=f"zones/{zone}/diskTypes/{settings.disk_type}",
        labels=labels,
    )
    if spec.size.disk > 0:
        disk.disk_size_gb = spec.size.disk
    nic = compute_v1.NetworkInterface(network=_network(settings))
    if settings.subnetwork:
        nic.subnetwork = settings.subnetwork
    if settings.external_ip:
        nic.access_configs = [compute_v1.AccessConfig(name="External NAT", type_="ONE_TO_ONE_NAT")]
    items = metadata_items(spec, settings)
    return compute_v1.Instance(
        name=instance_name(spec.key),
        description=f"vertice: {spec.name} ({spec.assembly_id})",
        machine_type=f"zones/{zone}/machineTypes/{machine_type_for(spec, settings)}",
        labels=labels,
        metadata=compute_v1.Metadata(
            items=[compute_v1.Items(key=k, value=v) for k, v in sorted(items.items())]
        ),
        disks=[compute_v1.AttachedDisk(boot=True, auto_delete=True, initialize_params=disk)],
        network_interfaces=[nic],
    )
