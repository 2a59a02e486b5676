"""Between vertice's types and Nova's servers: names, metadata, addresses, images, flavors.

Pure functions, no I/O. A server of vertice is named after its instance key
and carries vertice's tags as Nova metadata (`vertice-installation`,
`vertice-assembly`, `vertice-key`, `vertice-project`): the listing is filtered
on the installation's metadata on vertice's side (Nova cannot filter on
metadata), and a lookup by key asks Nova for the servers whose name starts with
the assembly's id (Nova's `name` filter is a regular expression).

A server is read as a plain mapping of openstacksdk's attribute names (`id`,
`name`, `status`, `task_state`, `metadata`, `addresses`, `access_ipv4`,
`fault`, `flavor_name`, `image_id`, `created_at`): the driver makes one of each
`Server` (`server_fields`), the tests write them by hand.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_SNAPSHOT,
    CloudImage,
    ImageState,
    Instance,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.errors import TerminalError
from vertice_driver_openstack import OpenStackSettings, is_uuid
from vertice_driver_openstack.states import state_of
from vertice_drivers.cloudinit import cloud_config

#: What Nova allows in a metadata value (255 characters).
MAX_METADATA = 255
#: What the tail of a key after its assembly id is: `<incarnation>` (ordinal 0) or
#: `r<ordinal>i<incarnation>` (docs/writing-a-driver.md).
_TAIL = re.compile(r"(?:(?P<replica>r\d+)i)?(?P<incarnation>\d+)")
#: Characters that need no escaping in Nova's `name` regular expression.
_PLAIN = re.compile(r"[A-Za-z0-9_-]")


def server_name(key: str) -> str:
    """The name of the key's server: the key itself (`<assembly id>-<incarnation>`)."""
    return key


def name_pattern(prefix: str, *, whole: bool = False) -> str:
    """Nova's `name` filter (a regular expression searched in names) for names starting
    with `prefix` (or, `whole`, equal to it)."""
    escaped = "".join(c if _PLAIN.fullmatch(c) else f"\\{c}" for c in prefix)
    return f"^{escaped}$" if whole else f"^{escaped}"


def slot_of(key: str, assembly_id: str) -> str | None:
    """Which instance of its assembly a key is, incarnations aside (`""` for the first,
    `r2` for the third...), or None when the key is not one of the assembly's."""
    head = f"{assembly_id}-"
    if not key.startswith(head):
        return None
    tail = _TAIL.fullmatch(key[len(head) :])
    return None if tail is None else tail["replica"] or ""


def first_incarnation(key: str, assembly_id: str) -> bool:
    """Whether `key` is the first incarnation of its instance (no earlier server of the
    same instance can have broken before it)."""
    head = f"{assembly_id}-"
    tail = _TAIL.fullmatch(key[len(head) :]) if key.startswith(head) else None
    return tail is not None and tail["incarnation"] == "1"


def metadata_of(tags: Mapping[str, str]) -> dict[str, str]:
    """Nova metadata for vertice's tags (values cut to what Nova keeps)."""
    return {name: str(value)[:MAX_METADATA] for name, value in sorted(tags.items())}


def server_fields(server: Any) -> dict[str, Any]:
    """The mapping `instance_of` reads, from an openstacksdk `Server`."""
    flavor = getattr(server, "flavor", None)
    image = getattr(server, "image", None)
    flavor_name = ""
    if flavor is not None:
        flavor_name = str(
            getattr(flavor, "original_name", None)
            or getattr(flavor, "name", None)
            or getattr(flavor, "id", None)
            or ""
        )
    return {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "task_state": server.task_state,
        "metadata": dict(server.metadata or {}),
        "addresses": dict(server.addresses or {}),
        "access_ipv4": server.access_ipv4 or "",
        "fault": dict(server.fault) if server.fault else None,
        "flavor_name": flavor_name,
        "image_id": str(getattr(image, "id", None) or ""),
        "created_at": server.created_at,
    }


def is_ours(server: Mapping[str, Any], installation: str) -> bool:
    """Whether the server carries this installation's metadata (and a key)."""
    metadata = server.get("metadata") or {}
    return metadata.get(TAG_INSTALLATION) == installation and bool(metadata.get(TAG_KEY))


def addresses_of(server: Mapping[str, Any]) -> tuple[str, str]:
    """(public IPv4, private IPv4) of a server.

    Private: its first fixed IPv4 address. Public: its first floating IPv4 address, else
    its `accessIPv4`, else a fixed IPv4 address that is globally routable (a provider
    network's), else none.
    """
    fixed: list[str] = []
    floating: list[str] = []
    for items in (server.get("addresses") or {}).values():
        for item in items or []:
            if int(item.get("version") or 4) != 4 or not item.get("addr"):
                continue
            kind = item.get("OS-EXT-IPS:type", "fixed")
            (floating if kind == "floating" else fixed).append(str(item["addr"]))
    routable = [a for a in fixed if _global(a)]
    public = floating[0] if floating else str(server.get("access_ipv4") or "")
    if not public and routable:
        public = routable[0]
    private = next((a for a in fixed if not _global(a)), fixed[0] if fixed else "")
    return public, private


def _global(address: str) -> bool:
    try:
        return ipaddress.IPv4Address(address).is_global
    except ValueError:
        return False


def created_at(server: Mapping[str, Any]) -> datetime | None:
    """When the server was created (`created`, ISO 8601 with `Z`)."""
    text = server.get("created_at")
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def instance_of(server: Mapping[str, Any], installation: str) -> Instance | None:
    """vertice's view of a server of `installation`, or None when it is not one of its own."""
    if not is_ours(server, installation):
        return None
    metadata = server.get("metadata") or {}
    tags = {k: str(v) for k, v in metadata.items() if k.startswith("vertice-")}
    key = tags[TAG_KEY]
    if TAG_ASSEMBLY not in tags and "-" in key:
        tags[TAG_ASSEMBLY] = key.rsplit("-", 1)[0]
    return _instance(server, key, tags)


def unmanaged_of(server: Mapping[str, Any]) -> Instance:
    """vertice's view of a server of no installation: `key` '', its whole metadata as
    its tags (an operator's `owner` included)."""
    metadata = server.get("metadata") or {}
    return _instance(server, "", {str(k): str(v) for k, v in metadata.items()})


def _instance(server: Mapping[str, Any], key: str, tags: dict[str, str]) -> Instance:
    """The `Instance` of a server, under `key` with `tags`."""
    public, private = addresses_of(server)
    return Instance(
        key=key,
        cloud_id=str(server.get("id", "")),
        state=state_of(server.get("status"), server.get("task_state")),
        public_ipv4=public,
        private_ipv4=private,
        tags=tags,
        created_at=created_at(server),
        size=str(server.get("flavor_name") or ""),
    )


# -- what a create sends --


def image_ref(spec: InstanceSpec, settings: OpenStackSettings) -> tuple[str, str]:
    """The image of the spec: ("id", a Glance id) or ("name", a name to look up in Glance)."""
    mapped = settings.images.get(spec.image)
    if mapped:
        return ("id", mapped) if is_uuid(mapped) else ("name", mapped)
    if is_uuid(spec.image):
        return "id", spec.image
    known = ", ".join(sorted(settings.images)) or "none"
    raise TerminalError(
        f"openstack: no image is configured for image {spec.image!r} in this region "
        f"(mapped images: {known})",
        reason="ImageNotMapped",
    )


def newest_active(images: Iterable[Mapping[str, Any]], name: str) -> str:
    """The id of the newest active image named `name` (Glance names need not be unique)."""
    found = [
        i for i in images if i.get("name") == name and (i.get("status") or "active") == "active"
    ]
    if not found:
        raise TerminalError(
            f"openstack: Glance has no active image named {name!r}", reason="ImageNotFound"
        )
    newest = max(found, key=lambda i: (str(i.get("created_at") or ""), str(i.get("id"))))
    return str(newest["id"])


def pick_flavor(
    spec: InstanceSpec, settings: OpenStackSettings, flavors: Iterable[Mapping[str, Any]]
) -> str:
    """The Nova flavor id for the spec's size (`flavor_for`)."""
    return flavor_for(spec.size, settings, flavors)


def flavor_for(
    size: SizeSpec, settings: OpenStackSettings, flavors: Iterable[Mapping[str, Any]]
) -> str:
    """The Nova flavor id for a size: the mapped one (by name or id), else the one named
    like the size, else the smallest enabled flavor that fits its CPUs, memory and disk."""
    offered = [f for f in flavors if not f.get("is_disabled")]
    mapped = settings.flavors.get(size.name)
    wanted = mapped or size.name
    for flavor in offered:
        if wanted in (str(flavor.get("id")), str(flavor.get("name"))):
            return str(flavor["id"])
    if mapped:
        raise TerminalError(
            f"openstack: flavor {mapped!r} (for flavor {size.name!r}) is not offered in "
            "this region",
            reason="FlavorNotFound",
        )
    fitting = [
        f
        for f in offered
        if int(f.get("vcpus") or 0) >= size.cpu
        and int(f.get("ram") or 0) >= size.ram
        and int(f.get("disk") or 0) >= size.disk
    ]
    if not fitting:
        raise TerminalError(
            f"openstack: no flavor of this region has {size.cpu} CPUs, {size.ram} MB of "
            f"memory and {size.disk} GB of disk (flavor {size.name!r}; map it in "
            "settings.flavors)",
            reason="FlavorNotFound",
        )
    best = min(
        fitting,
        key=lambda f: (int(f.get("vcpus") or 0), int(f.get("ram") or 0),
                       int(f.get("disk") or 0), str(f.get("name"))),
    )  # fmt: skip
    return str(best["id"])


def key_pair_name(public_key: str) -> str:
    """The Nova key pair of an SSH public key: named after a digest of the key itself, so
    the same key is imported once (Nova key pairs belong to the user)."""
    parts = public_key.split()
    material = " ".join(parts[:2]) if len(parts) >= 2 else public_key.strip()
    return "vertice-" + hashlib.sha256(material.encode()).hexdigest()[:24]


def user_data_of(spec: InstanceSpec) -> str | None:
    """The spec's cloud-init user data, base64 as Nova takes it (None: nothing to send)."""
    data = cloud_config(spec)
    return None if data is None else base64.b64encode(data.encode()).decode()


def create_attrs(
    spec: InstanceSpec,
    settings: OpenStackSettings,
    *,
    image_id: str,
    flavor_id: str,
    key_name: str | None,
) -> dict[str, Any]:
    """The attributes of `compute.create_server` (openstacksdk's names) for the spec."""
    attrs: dict[str, Any] = {
        "name": server_name(spec.key),
        "image_id": image_id,
        "flavor_id": flavor_id,
        "metadata": metadata_of(spec.tags),
        "networks": [{"uuid": n} for n in settings.networks] if settings.networks else "auto",
    }
    if settings.security_groups:
        attrs["security_groups"] = [{"name": name} for name in settings.security_groups]
    if settings.availability_zone:
        attrs["availability_zone"] = settings.availability_zone
    if key_name:
        attrs["key_name"] = key_name
    data = user_data_of(spec)
    if data is not None:
        attrs["user_data"] = data
    return attrs


def fault_created(fault: Mapping[str, Any] | None) -> datetime | None:
    """When a server's fault happened (`created`)."""
    text = (fault or {}).get("created")
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


# -- snapshots: Glance images a server's `createImage` made --

#: Glance's image statuses onto vertice's image states (`killed`: the upload failed;
#: `deactivated`: an administrator made it unlaunchable).
IMAGE_STATES: Mapping[str, ImageState] = {
    "queued": ImageState.PENDING,
    "saving": ImageState.PENDING,
    "uploading": ImageState.PENDING,
    "importing": ImageState.PENDING,
    "active": ImageState.AVAILABLE,
}


def image_fields(image: Any) -> dict[str, Any]:
    """The mapping `snapshot_of` reads, from an openstacksdk `Image` (Glance v2 shows
    properties as top-level keys; the SDK keeps those it does not know in `properties`)."""
    return {
        "id": str(image.id),
        "name": str(image.name or ""),
        "status": str(image.status or ""),
        "properties": {str(k): v for k, v in dict(image.properties or {}).items()},
    }


def snapshot_metadata(installation: str, name: str) -> dict[str, str]:
    """The createImage metadata (the image's properties) of an installation's snapshot."""
    return {TAG_INSTALLATION: installation, TAG_SNAPSHOT: name[:MAX_METADATA]}


def is_our_image(image: Mapping[str, Any], installation: str) -> bool:
    """Whether a Glance image is a snapshot of this installation."""
    properties = image.get("properties") or {}
    return properties.get(TAG_INSTALLATION) == installation and bool(properties.get(TAG_SNAPSHOT))


def snapshot_of(image: Mapping[str, Any]) -> CloudImage:
    """vertice's view of a snapshot image: its id, its snapshot name, its state."""
    properties = image.get("properties") or {}
    return CloudImage(
        id=str(image["id"]),
        name=str(properties.get(TAG_SNAPSHOT, "")),
        description=str(image.get("name") or ""),
        state=IMAGE_STATES.get(str(image.get("status") or ""), ImageState.ERROR),
    )
