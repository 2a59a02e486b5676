"""Disks on EC2 (`Capability.DISKS`): EBS volumes tagged with the installation and a name.

**Where.** An EBS volume lives in one availability zone and attaches to instances
of that zone only. Disks are made in the zone instances are launched in: the
subnet's when `subnet_id` is set (read once, `DescribeSubnets`), else
`availability_zone` (`run_arguments` places instances there too), else the
region's first available zone by name (`DescribeAvailabilityZones`), while EC2
may place an instance in any zone of the default VPC. An instance of another
zone is refused (TerminalError `ZoneMismatch`, as EC2 refuses it with
`InvalidVolume.ZoneMismatch`): set `subnet_id` or `availability_zone`.

**Made once.** `create_disk` looks for a volume with the installation's and the
name's tags (`TAG_INSTALLATION`, `TAG_DISK`) that is not being deleted, and makes
one only when there is none: `CreateVolume` of `volume_type` (gp3), tagged on
creation (with a `Name`), with a `ClientToken` made of installation and name, so
that EC2 answers a second call whose lookup missed the first volume (a listing
lagging behind it) with that volume (moto ignores the token and makes another).

**Listed.** `disks` is one paged `DescribeVolumes` filtered by both tags (the root
volume of a launched instance carries the installation's tag, not the disk's):
`creating` is CREATING, `available` AVAILABLE, `in-use` IN_USE once its attachment
is `attached` and BUSY while it is `attaching`, `detaching` or `busy`; `deleting`
is BUSY (the volume is still there, and listed no more once gone); `error` is
ERROR, and a state EC2 may add later BUSY (look again).

**Attached** as an EC2 device name from `/dev/sdf` to `/dev/sdp`, the first the
instance's block device mappings leave free (`/dev/xvdX` counts as `/dev/sdX`;
a Nitro instance shows it to its guest as an NVMe device). A volume attached
after launch has DeleteOnTermination false: terminating the instance detaches it
and leaves it `available`.

Every verb on one disk reads the volume first: a volume gone is NotFound (attach,
resize) or done already (detach, delete); one without both tags is NotOurs.
Functions of the driver; its verbs call them holding a call slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertice_core.driver import TAG_DISK, TAG_INSTALLATION, CloudDisk
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_aws.client import (
    VOLUME_GONE_CODES,
    call,
    call_or_none,
    call_unless_absent,
    client_token,
)
from vertice_driver_aws.translate import (
    DEVICES,
    LIVE_STATES,
    NAME_TAG,
    attachment_of,
    disk_of,
    free_device,
    is_our_disk,
    volume_tags,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        FilterTypeDef,
        InstanceTypeDef,
        TagSpecificationTypeDef,
        VolumeModificationTypeDef,
        VolumeTypeDef,
    )

    from vertice_driver_aws.driver import AwsDriver

#: The most volumes one `DescribeVolumes` page holds.
_PAGE_MAX = 500
#: A detach of a volume that is gone, or attached no more.
_DETACHED_CODES = frozenset({"InvalidAttachment.NotFound", *VOLUME_GONE_CODES})
#: No modification of the volume was ever asked for.
_UNMODIFIED_CODES = frozenset({"InvalidVolumeModification.NotFound"})
#: Modification states of a resize under way (`optimizing`: the size is the new one).
_MODIFYING = ("modifying", "optimizing")


def token(installation: str, name: str) -> str:
    """The `ClientToken` of the installation's disk `name` (the same for every call)."""
    return client_token(f"vertice-disk:{installation}:{name}")


# -- the verbs --


def _filters(driver: AwsDriver, name: str | None = None) -> list[FilterTypeDef]:
    disk: FilterTypeDef = (
        {"Name": "tag-key", "Values": [TAG_DISK]}
        if name is None
        else {"Name": f"tag:{TAG_DISK}", "Values": [name]}
    )
    return [{"Name": f"tag:{TAG_INSTALLATION}", "Values": [driver.region.installation_id]}, disk]


def listing(driver: AwsDriver) -> list[CloudDisk]:
    """The installation's disks, in one paged `DescribeVolumes`."""
    paginator = driver.client.get_paginator("describe_volumes")
    size = min(int(driver.settings.page_size), _PAGE_MAX)

    def pages() -> list[VolumeTypeDef]:
        found = paginator.paginate(Filters=_filters(driver), PaginationConfig={"PageSize": size})
        return [v for page in found for v in page.get("Volumes", [])]

    installation = driver.region.installation_id
    return [disk_of(v) for v in call("describe_volumes", pages) if is_our_disk(v, installation)]


def named(driver: AwsDriver, name: str) -> VolumeTypeDef | None:
    """The oldest volume of the installation's disk `name` that is not being deleted."""
    reply = call(
        "describe_volumes", lambda: driver.client.describe_volumes(Filters=_filters(driver, name))
    )
    installation = driver.region.installation_id
    found = sorted(
        (
            v
            for v in reply.get("Volumes", [])
            if is_our_disk(v, installation)
            and volume_tags(v).get(TAG_DISK) == name
            and v.get("State") != "deleting"
        ),
        key=lambda v: (
            v.get("State") == "error",
            v.get("CreateTime") is None,
            v.get("CreateTime"),
            v.get("VolumeId", ""),
        ),
    )
    return found[0] if found else None


def create(driver: AwsDriver, name: str, size_gb: int) -> CloudDisk:
    """The installation's disk `name`: the volume there is, or a new one."""
    found = named(driver, name)
    if found is not None:
        return disk_of(found, name)
    installation = driver.region.installation_id
    tagged: list[TagSpecificationTypeDef] = [
        {
            "ResourceType": "volume",
            "Tags": [
                {"Key": TAG_INSTALLATION, "Value": installation},
                {"Key": TAG_DISK, "Value": name},
                {"Key": NAME_TAG, "Value": name},
            ],
        }
    ]
    arguments: dict[str, Any] = {
        "AvailabilityZone": zone(driver),
        "Size": size_gb,
        "ClientToken": token(installation, name),
        "TagSpecifications": tagged,
    }
    if driver.settings.volume_type:
        arguments["VolumeType"] = driver.settings.volume_type
    reply = call("create_volume", lambda: driver.client.create_volume(**arguments))
    return disk_of(reply, name)


def zone(driver: AwsDriver) -> str:
    """The availability zone of the region's disks (looked up once per driver)."""
    if not driver.disk_zone:
        driver.disk_zone = _zone(driver)
    return driver.disk_zone


def _zone(driver: AwsDriver) -> str:
    settings = driver.settings
    if settings.subnet_id:
        subnet = settings.subnet_id
        reply = call("describe_subnets", lambda: driver.client.describe_subnets(SubnetIds=[subnet]))
        zones = [s.get("AvailabilityZone", "") for s in reply.get("Subnets", [])]
        if not zones or not zones[0]:
            raise TerminalError(f"aws: subnet {subnet} was not found", reason="SubnetNotFound")
        return zones[0]
    if settings.availability_zone:
        return settings.availability_zone
    available: list[FilterTypeDef] = [{"Name": "state", "Values": ["available"]}]
    reply_zones = call(
        "describe_availability_zones",
        lambda: driver.client.describe_availability_zones(Filters=available),
    )
    names = sorted(
        z.get("ZoneName", "")
        for z in reply_zones.get("AvailabilityZones", [])
        if z.get("ZoneName") and z.get("ZoneType", "availability-zone") == "availability-zone"
    )
    if not names:
        raise TransientError("aws: the region lists no available zone", reason="NoZone")
    return names[0]


def _volume(driver: AwsDriver, disk_id: str) -> VolumeTypeDef | None:
    """The installation's volume `disk_id` (None when it does not exist); a volume that is
    not one of its disks is refused."""
    reply = call_or_none(
        "describe_volumes",
        lambda: driver.client.describe_volumes(VolumeIds=[disk_id]),
        absent=VOLUME_GONE_CODES,
    )
    volumes = [] if reply is None else reply.get("Volumes", [])
    found = [v for v in volumes if v.get("VolumeId") == disk_id]
    if not found:
        return None
    if not is_our_disk(found[0], driver.region.installation_id):
        raise TerminalError(
            f"aws: volume {disk_id} is not a disk of this installation", reason="NotOurs"
        )
    return found[0]


def _existing(driver: AwsDriver, disk_id: str) -> VolumeTypeDef:
    volume = _volume(driver, disk_id)
    if volume is None:
        raise TerminalError(f"aws: volume {disk_id} does not exist", reason="NotFound")
    return volume


def _instance(driver: AwsDriver, cloud_id: str) -> InstanceTypeDef:
    """The live instance `cloud_id`; one EC2 does not know, or terminated, is NotFound."""
    reply = call_or_none(
        "describe_instances", lambda: driver.client.describe_instances(InstanceIds=[cloud_id])
    )
    reservations = [] if reply is None else reply.get("Reservations", [])
    found = [i for r in reservations for i in r.get("Instances", [])]
    if not found or found[0].get("State", {}).get("Name", "") not in LIVE_STATES:
        raise TerminalError(
            f"aws: instance {cloud_id} does not exist (any more)", reason="NotFound"
        )
    return found[0]


def attach(driver: AwsDriver, disk_id: str, cloud_id: str) -> str:
    """Attach the volume to the instance as its first free device, and return that."""
    volume = _existing(driver, disk_id)
    attachment = attachment_of(volume)
    if attachment is not None:
        holder, state = attachment.get("InstanceId", ""), attachment.get("State", "")
        if state == "detaching":
            raise TransientError(
                f"aws: volume {disk_id} is being detached from {holder}", reason="DiskBusy"
            )
        if holder == cloud_id:
            return str(attachment.get("Device", ""))
        raise TerminalError(f"aws: volume {disk_id} is attached to {holder}", reason="DiskInUse")
    if volume.get("State") == "creating":
        raise TransientError(f"aws: volume {disk_id} is still being made", reason="DiskNotReady")
    instance = _instance(driver, cloud_id)
    here = volume.get("AvailabilityZone", "")
    there = instance.get("Placement", {}).get("AvailabilityZone", "")
    if here and there and here != there:
        raise _zone_mismatch(disk_id, here, cloud_id, there)
    device = free_device(instance)
    if not device:
        raise TerminalError(
            f"aws: instance {cloud_id} has no free device for a disk ({DEVICES[0]} to "
            f"{DEVICES[-1]} are taken)",
            reason="NoDevice",
        )
    try:
        call(
            "attach_volume",
            lambda: driver.client.attach_volume(
                Device=device, InstanceId=cloud_id, VolumeId=disk_id
            ),
        )
    except TerminalError as error:
        raise _refused_attach(error, disk_id, here, cloud_id, there) from None
    return device


def _zone_mismatch(disk_id: str, here: str, cloud_id: str, there: str) -> TerminalError:
    return TerminalError(
        f"aws: volume {disk_id} is in zone {here or '?'} and instance {cloud_id} in zone "
        f"{there or '?'}: EC2 attaches a volume to an instance of its own zone only (set the "
        "region's subnet_id or availability_zone so that instances and disks share one)",
        reason="ZoneMismatch",
    )


def _refused_attach(
    error: TerminalError, disk_id: str, here: str, cloud_id: str, there: str
) -> TerminalError | TransientError:
    """What EC2's refusal of an AttachVolume means: a zone mismatch, or (transient) a device
    a racing attachment took, or a volume EC2 is still modifying."""
    if error.reason == "InvalidVolumeZoneMismatch":
        return _zone_mismatch(disk_id, here, cloud_id, there)
    if "already in use" in error.message:
        return TransientError(error.message, reason="DeviceInUse")
    if error.reason == "OperationNotPermitted" and "modification" in error.message:
        return TransientError(error.message, reason="DiskBusy")
    return error


def detach(driver: AwsDriver, disk_id: str) -> None:
    """Detach the volume from its instance; one gone, free or detaching already is done."""
    volume = _volume(driver, disk_id)
    attachment = None if volume is None else attachment_of(volume)
    if attachment is None or attachment.get("State") == "detaching":
        return
    # moto needs the instance (EC2 does not); both name the attachment we saw.
    instance_id = str(attachment.get("InstanceId", ""))
    device = str(attachment.get("Device", ""))
    call_unless_absent(
        "detach_volume",
        lambda: driver.client.detach_volume(
            VolumeId=disk_id, InstanceId=instance_id, Device=device
        ),
        absent=_DETACHED_CODES,
    )


def resize(driver: AwsDriver, disk_id: str, size_gb: int) -> None:
    """Grow the volume to `size_gb` GiB (`ModifyVolume`); the size it has, or a resize to
    it under way, is a success; a smaller size is refused."""
    volume = _existing(driver, disk_id)
    size = int(volume.get("Size", 0) or 0)
    if size_gb == size:
        return
    if size_gb < size:
        raise TerminalError(
            f"aws: volume {disk_id} has {size} GiB: EBS cannot shrink a volume (to {size_gb} GiB)",
            reason="CannotShrink",
        )
    under_way = _modification(driver, disk_id)
    if under_way is not None:
        if under_way.get("TargetSize") == size_gb:
            return
        raise TransientError(
            f"aws: volume {disk_id} is being modified (to {under_way.get('TargetSize')} GiB); "
            "EC2 takes one modification at a time",
            reason="ResizeInProgress",
        )
    call("modify_volume", lambda: driver.client.modify_volume(VolumeId=disk_id, Size=size_gb))


def _modification(driver: AwsDriver, disk_id: str) -> VolumeModificationTypeDef | None:
    """The volume's modification under way, if any."""
    reply = call_or_none(
        "describe_volumes_modifications",
        lambda: driver.client.describe_volumes_modifications(VolumeIds=[disk_id]),
        absent=_UNMODIFIED_CODES,
    )
    items = [] if reply is None else reply.get("VolumesModifications", [])
    return next(
        (
            m
            for m in items
            if m.get("VolumeId") == disk_id and m.get("ModificationState") in _MODIFYING
        ),
        None,
    )


def delete(driver: AwsDriver, disk_id: str) -> None:
    """Delete the detached volume; one gone (or being deleted) is done, one attached refused."""
    volume = _volume(driver, disk_id)
    if volume is None or volume.get("State") == "deleting":
        return
    attachment = attachment_of(volume)
    if attachment is not None:
        raise TerminalError(
            f"aws: volume {disk_id} is attached to {attachment.get('InstanceId', '')}: detach "
            "it first",
            reason="DiskInUse",
        )
    call_unless_absent(
        "delete_volume",
        lambda: driver.client.delete_volume(VolumeId=disk_id),
        absent=VOLUME_GONE_CODES,
    )
