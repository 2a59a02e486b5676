"""Between vertice's types and EC2's shapes: states, instances, images, volumes, launch
arguments.

Pure functions, no I/O: what `run_instances` is asked for a spec (image and
instance type from the region settings, tags, cloud-init user data carrying
the launch credential), and what an EC2 instance, AMI or EBS volume document
means to vertice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vertice_core.driver import (
    TAG_DISK,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_SNAPSHOT,
    CloudDisk,
    CloudImage,
    DiskState,
    ImageState,
    Instance,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_aws import AwsSettings
from vertice_drivers.cloudinit import cloud_config

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import ImageTypeDef, InstanceTypeDef

#: EC2 instance states onto vertice's. `shutting-down` cannot be undone, so it counts as
#: terminated; `stopping` is a transition like `pending` (start would be refused meanwhile).
STATES: Mapping[str, InstanceState] = {
    "pending": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.PENDING,
    "stopped": InstanceState.STOPPED,
    "shutting-down": InstanceState.TERMINATED,
    "terminated": InstanceState.TERMINATED,
}

#: The EC2 states of an instance that still counts as the key's instance.
LIVE_STATES = ("pending", "running", "stopping", "stopped")

#: The tag EC2's console shows as an instance's name.
NAME_TAG = "Name"

#: AMI states onto vertice's image states (`transient` is EC2's own "on its way"; an AMI
#: `deregistered`, `failed`, `invalid`, `error` or `disabled` will not launch).
IMAGE_STATES: Mapping[str, ImageState] = {
    "pending": ImageState.PENDING,
    "transient": ImageState.PENDING,
    "available": ImageState.AVAILABLE,
}
#: What an AMI's name may hold (CreateImage: 3 to 128 of these characters).
_AMI_NAME = re.compile(r"[A-Za-z0-9()\[\] ./'@_-]{3,128}")
#: The tag of a stopped instance that `resize` starts again once its type is changed.
RESTART_TAG = "vertice-resize-restart"
#: The devices a disk is attached as, in order (EC2's advice for EBS volumes).
DEVICES = tuple(f"/dev/sd{letter}" for letter in "fghijklmnop")
#: EBS volume states onto vertice's disk states (`in-use`: see `disk_state_of`). A
#: volume `deleting` is still there: BUSY until it is listed no more.
DISK_STATES: Mapping[str, DiskState] = {
    "creating": DiskState.CREATING,
    "available": DiskState.AVAILABLE,
    "deleting": DiskState.BUSY,
    "error": DiskState.ERROR,
}
#: Attachment states of a volume (still) plugged into its instance.
_PLUGGED = ("attaching", "attached", "busy", "detaching")


def state_of(name: str) -> InstanceState:
    """vertice's state for an EC2 state name (`unknown` for a name EC2 may add later)."""
    return STATES.get(name, InstanceState.UNKNOWN)


def instance_of(item: InstanceTypeDef, fallback_tags: Mapping[str, str] | None = None) -> Instance:
    """vertice's view of one EC2 instance document."""
    tags = {tag["Key"]: tag["Value"] for tag in item.get("Tags", []) if "Key" in tag}
    if not tags and fallback_tags:
        tags = dict(fallback_tags)  # some endpoints omit tags from RunInstances' reply
    return Instance(
        key=tags.get(TAG_KEY, ""),
        cloud_id=item["InstanceId"],
        state=state_of(item.get("State", {}).get("Name", "")),
        public_ipv4=item.get("PublicIpAddress", ""),
        private_ipv4=item.get("PrivateIpAddress", ""),
        tags=tags,
        created_at=item.get("LaunchTime"),
        size=item.get("InstanceType", ""),
    )


def image_of(item: ImageTypeDef) -> CloudImage:
    """vertice's view of an AMI `snapshot` made: named by its snapshot name."""
    tags = {tag["Key"]: tag["Value"] for tag in item.get("Tags", []) if "Key" in tag}
    return CloudImage(
        id=item.get("ImageId", ""),
        name=tags.get(TAG_SNAPSHOT, ""),
        description=item.get("Name", ""),
        state=IMAGE_STATES.get(item.get("State", ""), ImageState.ERROR),
    )


def ami_name(installation: str, name: str) -> str:
    """The AMI name of the installation's snapshot `name`: unique in the account (EC2
    refuses a second AMI of that name), so two installations sharing one never collide."""
    wanted = f"vertice-{installation}-{name}"
    if _AMI_NAME.fullmatch(wanted):
        return wanted
    return f"vertice-{hashlib.sha256(f'{installation}/{name}'.encode()).hexdigest()[:40]}"


def image_for(spec: InstanceSpec, settings: AwsSettings) -> str:
    """The AMI of the spec's plan image (mapped in the settings, or an AMI id itself)."""
    mapped = settings.images.get(spec.image)
    if mapped:
        return mapped
    if spec.image.startswith("ami-"):
        return spec.image
    known = ", ".join(sorted(settings.images)) or "none"
    raise TerminalError(
        f"aws: no AMI is configured for image {spec.image!r} in this region "
        f"(mapped images: {known})",
        reason="ImageNotMapped",
    )


def instance_type_for(spec: InstanceSpec, settings: AwsSettings) -> str:
    """The EC2 instance type of the spec's flavor (mapped, or the flavor's own name)."""
    return instance_type_of(spec.size, settings)


def instance_type_of(size: SizeSpec, settings: AwsSettings) -> str:
    """The EC2 instance type of a flavor (mapped, or the flavor's own name)."""
    mapped = settings.instance_types.get(size.name)
    if mapped:
        return mapped
    if "." in size.name:
        return size.name
    known = ", ".join(sorted(settings.instance_types)) or "none"
    raise TerminalError(
        f"aws: no instance type is configured for flavor {size.name!r} in this region "
        f"(mapped flavors: {known})",
        reason="FlavorNotMapped",
    )


def tags_of(spec: InstanceSpec) -> dict[str, str]:
    """The tags an instance of `spec` carries: vertice's ids, its key, and a display name."""
    return {NAME_TAG: spec.name, **spec.tags, TAG_KEY: spec.key}


def run_arguments(spec: InstanceSpec, settings: AwsSettings, token: str) -> dict[str, Any]:
    """The keyword arguments of `run_instances` for one instance of `spec`."""
    tags = [{"Key": k, "Value": v} for k, v in sorted(tags_of(spec).items())]
    arguments: dict[str, Any] = {
        "ImageId": spec.image_id or image_for(spec, settings),
        "InstanceType": instance_type_for(spec, settings),
        "MinCount": 1,
        "MaxCount": 1,
        "ClientToken": token,
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags},
            {"ResourceType": "volume", "Tags": tags},
        ],
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    }
    data = cloud_config(spec)
    if data is not None:
        arguments["UserData"] = data
    if settings.subnet_id:
        arguments["SubnetId"] = settings.subnet_id
    elif settings.availability_zone:  # where the region's disks are (`vertice_driver_aws.disks`)
        arguments["Placement"] = {"AvailabilityZone": settings.availability_zone}
    if settings.security_group_ids:
        arguments["SecurityGroupIds"] = list(settings.security_group_ids)
    if settings.key_name:
        arguments["KeyName"] = settings.key_name
    return arguments


# -- EBS volumes (disks) --


def volume_tags(item: Mapping[str, Any]) -> dict[str, str]:
    """The tags of a volume (or any EC2 document with `Tags`)."""
    return {t["Key"]: t["Value"] for t in item.get("Tags", []) if "Key" in t and "Value" in t}


def is_our_disk(item: Mapping[str, Any], installation: str) -> bool:
    """Whether a volume is a disk of the installation: both tags (checked here too: an
    EC2-compatible endpoint may ignore filters; an instance's root volume has the
    installation's tag only)."""
    tags = volume_tags(item)
    return tags.get(TAG_INSTALLATION) == installation and bool(tags.get(TAG_DISK))


def attachment_of(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The volume's attachment to an instance, if it is (still) plugged into one."""
    return next((a for a in item.get("Attachments", []) if a.get("State") in _PLUGGED), None)


def disk_state_of(item: Mapping[str, Any]) -> DiskState:
    """vertice's state of an EBS volume: `in-use` is IN_USE once attached, BUSY while it is
    attaching, detaching or busy; a state EC2 may add later is BUSY (look again)."""
    state = str(item.get("State", ""))
    if state == "in-use":
        attachment = attachment_of(item)
        settled = attachment is not None and attachment.get("State") == "attached"
        return DiskState.IN_USE if settled else DiskState.BUSY
    return DISK_STATES.get(state, DiskState.BUSY)


def disk_of(item: Mapping[str, Any], name: str = "") -> CloudDisk:
    """vertice's view of an EBS volume (named by its `TAG_DISK`, else `name`)."""
    attachment = attachment_of(item) or {}
    return CloudDisk(
        id=str(item.get("VolumeId", "")),
        name=volume_tags(item).get(TAG_DISK, name),
        size_gb=int(item.get("Size", 0) or 0),
        state=disk_state_of(item),
        attached_to=str(attachment.get("InstanceId", "")),
        device=str(attachment.get("Device", "")),
    )


def free_device(instance: Mapping[str, Any]) -> str:
    """The first of `DEVICES` the instance's block devices leave free ('' when none)."""
    names = [b.get("DeviceName", "") for b in instance.get("BlockDeviceMappings", [])]
    taken = {_device_key(n) for n in [*names, instance.get("RootDeviceName", "")] if n}
    return next((d for d in DEVICES if _device_key(d) not in taken), "")


def _device_key(device: str) -> str:
    """`/dev/xvdf`, `/dev/sdf` and `/dev/sdf1` all name the device `sdf`."""
    name = device.removeprefix("/dev/")
    if name.startswith("xvd"):
        name = "sd" + name[3:]
    return name.rstrip("0123456789")
