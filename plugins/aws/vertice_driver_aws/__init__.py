"""The AWS EC2 driver of vertice (`cloud_type` `aws`): its region settings and entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports botocore. The driver
itself lives in `vertice_driver_aws.driver` and is imported only when a region
of type `aws` is reconciled.

A region of type `aws` names the AWS region in its `provider_region` (for
example `eu-west-1`) and may name an EC2-compatible endpoint in its
`endpoint`; its `settings` are an `AwsSettings` and its `credentials` an
`AwsCredentials` (sealed at rest, never returned by the API).

Disks (`Capability.DISKS`) are EBS volumes in one availability zone, the one
instances are launched in: the subnet's when `subnet_id` is set, else
`availability_zone` (instances are then placed there too), else the region's first
available zone, while EC2 places instances in any zone of the default VPC and an
instance elsewhere cannot take a disk (`vertice_driver_aws.disks`).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo
from vertice_core.model.types import NonNegativeFloat, Positive

__all__ = ["DRIVER", "AwsCredentials", "AwsSettings"]

_INSTANCE_TYPE = re.compile(r"[a-z0-9-]+\.[a-z0-9-]+")


def _prefixed(prefix: str, what: str) -> Any:
    """An attrs validator: every id in the value (a str, list or mapping) starts with `prefix`."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        ids = (
            value.values()
            if isinstance(value, dict)
            else [value]
            if isinstance(value, str)
            else value
        )
        for item in ids:
            if item and not item.startswith(prefix):
                raise ValueError(f"{attribute.name}: {item!r} is not {what} ({prefix}...)")

    return check


def _instance_types(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for flavor, instance_type in value.items():
        if not _INSTANCE_TYPE.fullmatch(instance_type):
            raise ValueError(
                f"{attribute.name}: {instance_type!r} (for flavor {flavor!r}) is not an EC2 "
                "instance type such as 't3.micro'"
            )


#: EBS volume types a disk may have (`""`: the endpoint's default, VolumeType left out).
#: io1 and io2 need provisioned IOPS, which vertice does not ask for.
VOLUME_TYPES = ("", "gp3", "gp2", "st1", "sc1", "standard")


def _zone(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value and instance.subnet_id:
        raise ValueError(
            f"{attribute.name}: set it or subnet_id, not both (a subnet lies in one zone, "
            "which instances and disks take)"
        )


def _page_size(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 5 <= value <= 1000:
        raise ValueError(f"{attribute.name}: must be between 5 and 1000 (EC2's MaxResults)")


@attrs.frozen
class AwsSettings:
    """How vertice launches in one AWS region (the region's `settings`)."""

    #: The AMI of each plan image (`"1_virtualmachine_ubuntu": "ami-..."`). A plan image
    #: that is itself an AMI id is used as is; any other unmapped image fails the assembly.
    images: dict[str, str] = attrs.field(factory=dict, validator=_prefixed("ami-", "an AMI id"))
    #: The EC2 instance type of each vertice flavor (`"small": "t3.micro"`). A flavor whose
    #: name is itself an instance type (`t3.micro`) is used as is.
    instance_types: dict[str, str] = attrs.field(factory=dict, validator=_instance_types)
    #: Launch into this subnet (its VPC's default security group applies unless
    #: `security_group_ids` says otherwise); empty: the default VPC's default subnet.
    subnet_id: str = attrs.field(default="", validator=_prefixed("subnet-", "a subnet id"))
    #: Without `subnet_id`: the availability zone (`eu-west-1a`) of every instance
    #: (`Placement`) and disk. Empty: EC2 places instances in any zone of the default
    #: VPC, and disks go to the region's first available zone (an instance in another
    #: zone cannot take one). With `subnet_id`, its zone is used: leave this empty.
    availability_zone: str = attrs.field(default="", validator=_zone)
    #: Security groups of every instance; empty: the VPC's default group.
    security_group_ids: list[str] = attrs.field(
        factory=list, validator=_prefixed("sg-", "a security group id")
    )
    #: An existing EC2 key pair to attach to every instance (the assembly's own SSH key
    #: always arrives through cloud-init); empty: none.
    key_name: str = ""
    #: Owners whose AMIs `images()` lists besides the mapped ones (`self`, an account id,
    #: `amazon`...). Listing `amazon` on real AWS returns tens of thousands of images.
    image_owners: list[str] = attrs.Factory(lambda: ["self"])
    #: Instances per `DescribeInstances` page (5 to 1000).
    page_size: Positive = attrs.field(default=Positive(1000), validator=_page_size)
    #: Seconds to wait for a connection to the endpoint.
    connect_timeout: NonNegativeFloat = NonNegativeFloat(5.0)
    #: Seconds to wait for an answer.
    read_timeout: NonNegativeFloat = NonNegativeFloat(30.0)
    #: Attempts botocore makes per call (throttling, 5xx) before vertice's own backoff.
    sdk_attempts: Positive = Positive(3)
    #: HTTP connections kept open to the endpoint, and the most calls in flight at once.
    max_connections: Positive = Positive(32)
    #: Seconds `resize` waits for a running instance to stop (EC2 changes the type of a
    #: stopped instance only) before it answers ResizeInProgress; the next call carries on.
    resize_wait: NonNegativeFloat = NonNegativeFloat(30.0)
    #: The EBS volume type of disks (`gp3`; `""`: the endpoint's default).
    volume_type: str = attrs.field(default="gp3", validator=attrs.validators.in_(VOLUME_TYPES))


@attrs.frozen
class AwsCredentials:
    """An IAM access key (the region's `credentials`; sealed at rest, never logged)."""

    access_key_id: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))
    secret_access_key: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))
    #: For temporary credentials (STS); empty for a long-lived key.
    session_token: str = attrs.field(default="", repr=False)


DRIVER = DriverInfo(
    cloud_type="aws",
    factory="vertice_driver_aws.driver:AwsDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
            Capability.RESIZE,
            Capability.SNAPSHOT,
            Capability.HARD_STOP,
            Capability.ADOPT,
            Capability.DISKS,
        }
    ),
    settings=AwsSettings,
    credentials=AwsCredentials,
    requires=("botocore",),
    description="Amazon EC2 (or an EC2-compatible endpoint) through botocore",
)
