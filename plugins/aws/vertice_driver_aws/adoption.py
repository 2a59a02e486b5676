"""Adoption on EC2: instances made by hand become an installation's by their tags.

An instance is unmanaged while it carries no `TAG_INSTALLATION` (or an empty one).
EC2's filters can ask for a tag's value but not for its absence, so `listing`
pages through the region's live instances and keeps those on this side: an
account shared with many installations is read in full, a page at a time.

`adopt` puts the installation's tags on the instance with `CreateTags`, which
changes nothing else: it is not stopped, its type, disks, addresses and the
tags it had (its `Name`, an operator's `owner`) stay. EC2 cannot tag on a
condition, so two installations adopting one instance at the same moment may
both tag it; the instance is read again afterwards, and the installation whose
tag did not stay is refused when that reading shows it (which narrows the
window, not closes it).

Functions of the driver's EC2 client; the driver's verbs call them holding a
call slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, Instance
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_aws.client import NOT_FOUND_CODES, call, call_or_none
from vertice_driver_aws.translate import LIVE_STATES, instance_of
from vertice_drivers.adopting import check_tags, refuse_managed

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, InstanceTypeDef, TagTypeDef

#: An instance id EC2 says is not one (a typo) names no instance either.
_NO_SUCH_INSTANCE = NOT_FOUND_CODES | {"InvalidInstanceID.Malformed"}


def is_unmanaged(item: Instance) -> bool:
    """Whether an observed instance belongs to no installation."""
    return not item.tags.get(TAG_INSTALLATION)


def listing(client: EC2Client, page_size: int) -> list[Instance]:
    """The region's live instances of no installation, `key` '', from one paginated
    `DescribeInstances` of every live instance."""
    paginator = client.get_paginator("describe_instances")
    live: list[FilterTypeDef] = [{"Name": "instance-state-name", "Values": list(LIVE_STATES)}]

    def pages() -> list[InstanceTypeDef]:
        found = paginator.paginate(Filters=live, PaginationConfig={"PageSize": page_size})
        return [
            item
            for page in found
            for reservation in page.get("Reservations", [])
            for item in reservation.get("Instances", [])
        ]

    instances = [instance_of(item) for item in call("describe_instances", pages)]
    # The state is checked again here: an EC2-compatible endpoint may ignore filters.
    return [
        attrs.evolve(i, key="")
        for i in instances
        if is_unmanaged(i) and i.state is not InstanceState.TERMINATED
    ]


def adopt(client: EC2Client, installation: str, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the live instance `cloud_id` the installation's by putting `tags` on it; see
    the module. An instance with these tags already is returned after one look."""
    check_tags("aws", installation, tags)
    found = _owned_by(installation, _live(client, cloud_id), tags)
    if all(found.tags.get(name) == value for name, value in tags.items()):
        return found
    tagging: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    call("create_tags", lambda: client.create_tags(Resources=[cloud_id], Tags=tagging))
    # Read again: another installation's tag that stayed means it adopted the instance
    # at the same moment; a reply without the tags yet is EC2's eventual consistency.
    again = _owned_by(installation, _live(client, cloud_id), tags)
    return attrs.evolve(again, key=tags[TAG_KEY], tags={**again.tags, **tags})


def _live(client: EC2Client, cloud_id: str) -> Instance:
    """The instance `cloud_id` as observed; TerminalError NotFound when it does not
    exist or is terminated (or shutting down, which ends terminated)."""
    reply = call_or_none(
        "describe_instances",
        lambda: client.describe_instances(InstanceIds=[cloud_id]),
        absent=_NO_SUCH_INSTANCE,
    )
    reservations = [] if reply is None else reply.get("Reservations", [])
    found = [item for r in reservations for item in r.get("Instances", [])]
    matching = [item for item in found if item.get("InstanceId") == cloud_id]
    if not matching or matching[0].get("State", {}).get("Name", "") not in LIVE_STATES:
        raise TerminalError(
            f"aws: instance {cloud_id} does not exist (any more)", reason="NotFound"
        )
    return instance_of(matching[0])


def _owned_by(installation: str, found: Instance, tags: Mapping[str, str]) -> Instance:
    """`found`, unless an installation manages it with tags other than `tags`: another
    installation, or this one under another key (TerminalError ManagedElsewhere)."""
    refuse_managed(f"aws: instance {found.cloud_id}", found.tags, installation, tags)
    return found
