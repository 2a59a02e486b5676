"""Snapshots on EC2: AMIs of instances, with the EBS snapshots of their volumes.

A snapshot is an AMI `CreateImage` makes of an instance without rebooting it
(crash-consistent, as a disk copy of a running machine is). The AMI is tagged with
the installation and the snapshot's name (`TAG_INSTALLATION`, `TAG_SNAPSHOT`) and
named after both (`ami_name`): EC2 refuses a second AMI of one name in an account,
which makes a snapshot idempotent by name on EC2's side too, and a lookup by the
tags makes it so where an endpoint does not refuse (moto). It is `pending` until
EC2 has copied the volumes, then `available`; a launch gives its id as `ImageId`.

Deleting one deregisters the AMI, then deletes the EBS snapshots EC2 made for it,
found by the description EC2 gives them ("Created by CreateImage(<instance>) for
<ami>"), so that a retry after a failure between the two still finds them.

Functions of the driver's EC2 client and installation id; the driver's verbs call
them holding a call slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, CloudImage, ImageState
from vertice_core.errors import TerminalError
from vertice_driver_aws.client import (
    IMAGE_GONE_CODES,
    SNAPSHOT_GONE_CODES,
    call,
    call_or_none,
    call_unless_absent,
)
from vertice_driver_aws.translate import ami_name, image_of

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        FilterTypeDef,
        ImageTypeDef,
        TagSpecificationTypeDef,
        TagTypeDef,
    )


def _filters(installation: str, name: str | None = None) -> list[FilterTypeDef]:
    filters: list[FilterTypeDef] = [{"Name": f"tag:{TAG_INSTALLATION}", "Values": [installation]}]
    if name is not None:
        filters.append({"Name": f"tag:{TAG_SNAPSHOT}", "Values": [name]})
    return filters


def is_ours(item: ImageTypeDef, installation: str) -> bool:
    """Whether an AMI carries the installation's tag (checked here too: an EC2-compatible
    endpoint may ignore filters)."""
    tags = {tag.get("Key"): tag.get("Value") for tag in item.get("Tags", [])}
    return tags.get(TAG_INSTALLATION) == installation


def named(client: EC2Client, installation: str, name: str) -> CloudImage | None:
    """The installation's snapshot called `name` that is not broken, if any."""
    reply = call(
        "describe_images",
        lambda: client.describe_images(Owners=["self"], Filters=_filters(installation, name)),
    )
    found = [image_of(i) for i in reply.get("Images", []) if is_ours(i, installation)]
    live = [i for i in found if i.name == name and i.state is not ImageState.ERROR]
    return live[0] if live else None


def make(client: EC2Client, installation: str, cloud_id: str, name: str) -> CloudImage:
    """The installation's snapshot `name`: the one there is, or a new AMI of the instance."""
    found = named(client, installation, name)
    if found is not None:
        return found
    label = ami_name(installation, name)
    tags: list[TagTypeDef] = [
        {"Key": TAG_INSTALLATION, "Value": installation},
        {"Key": TAG_SNAPSHOT, "Value": name},
    ]
    tagged: list[TagSpecificationTypeDef] = [{"ResourceType": "image", "Tags": tags}]
    try:
        reply = call(
            "create_image",
            lambda: client.create_image(
                InstanceId=cloud_id,
                Name=label,
                Description=f"vertice snapshot {name} of {cloud_id}",
                NoReboot=True,
                TagSpecifications=tagged,
            ),
        )
    except TerminalError as error:
        # InvalidAMIName.Duplicate: a call that raced this one made it (or an AMI of that
        # name is not this snapshot, which is refused as it stands).
        made = named(client, installation, name) if "Duplicate" in error.reason else None
        if made is None:
            raise
        return made
    return CloudImage(reply["ImageId"], name, label, ImageState.PENDING)


def listing(client: EC2Client, installation: str) -> list[CloudImage]:
    """The installation's snapshots, in one paginated `DescribeImages`."""
    paginator = client.get_paginator("describe_images")

    def pages() -> list[ImageTypeDef]:
        found = paginator.paginate(Owners=["self"], Filters=_filters(installation))
        return [i for page in found for i in page.get("Images", [])]

    images = [image_of(i) for i in call("describe_images", pages) if is_ours(i, installation)]
    return [i for i in images if i.name]


def delete(client: EC2Client, installation: str, image_id: str) -> None:
    """Deregister the installation's AMI `image_id` and delete its EBS snapshots; an AMI
    that is gone is deleted already, another installation's (or a stranger's) refused."""
    reply = call_or_none(
        "describe_images",
        lambda: client.describe_images(ImageIds=[image_id]),
        absent=IMAGE_GONE_CODES,
    )
    for item in [] if reply is None else reply.get("Images", []):
        if not is_ours(item, installation):
            raise TerminalError(
                f"aws: image {image_id} is not a snapshot of this installation",
                reason="NotOurs",
            )
        call_unless_absent(
            "deregister_image",
            lambda: client.deregister_image(ImageId=image_id),
            absent=IMAGE_GONE_CODES,
        )
    made_for: list[FilterTypeDef] = [
        {"Name": "description", "Values": [f"Created by CreateImage(*) for {image_id}*"]}
    ]
    leftover = call(
        "describe_snapshots",
        lambda: client.describe_snapshots(OwnerIds=["self"], Filters=made_for),
    )
    for snapshot in leftover.get("Snapshots", []):
        _delete_ebs_snapshot(client, snapshot.get("SnapshotId", ""))


def _delete_ebs_snapshot(client: EC2Client, snapshot_id: str) -> None:
    call_unless_absent(
        "delete_snapshot",
        lambda: client.delete_snapshot(SnapshotId=snapshot_id),
        absent=SNAPSHOT_GONE_CODES,
    )
