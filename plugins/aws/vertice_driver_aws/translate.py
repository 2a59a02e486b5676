"""Between vertice's types and EC2's shapes: states, instances, images, launch arguments.

Pure functions, no I/O: what `run_instances` is asked for a spec (image and
instance type from the region settings, tags, cloud-init user data carrying
the launch credential), and what an EC2 instance or AMI document means to vertice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vertice_core.driver import (
    TAG_KEY,
    TAG_SNAPSHOT,
    CloudImage,
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
    if settings.security_group_ids:
        arguments["SecurityGroupIds"] = list(settings.security_group_ids)
    if settings.key_name:
        arguments["KeyName"] = settings.key_name
    return arguments
