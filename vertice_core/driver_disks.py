"""The driver contract's disks (`Capability.DISKS`): block storage of its own.

A disk is made empty by `create_disk`, in the region and for the installation
that made it, and lives until `delete_disk`, whatever happens to the instances
it is plugged into: `attach_disk` plugs it into one instance (the instance sees a
new block device; partitioning and mounting it are the guest's business),
`detach_disk` unplugs it, `resize_disk` grows it (the guest grows its file
system). Deleting an instance leaves its disks, detached. `disks` lists what the
installation made, in one listing per pass, as `observe` lists instances: the
disk controller (`vertice_core.disks`) compares it with what each disk should be.

A mixin of `vertice_core.driver.Driver`: a driver that does not claim the
capability inherits verbs that refuse (TerminalError naming it).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from vertice_core.capability import Capability

if TYPE_CHECKING:
    from vertice_core.errors import TerminalError

#: Tag (label) a disk `create_disk` made carries, with `TAG_INSTALLATION`: its name.
TAG_DISK = "vertice-disk"


class DiskState(enum.StrEnum):
    """Where a disk stands in the cloud."""

    #: Being made: it cannot be attached yet.
    CREATING = "creating"
    #: Made and attached to nothing.
    AVAILABLE = "available"
    #: Attached to an instance (`CloudDisk.attached_to`).
    IN_USE = "in_use"
    #: Being attached, detached or resized: look again later.
    BUSY = "busy"
    #: The cloud failed it: it will never be usable.
    ERROR = "error"


@attrs.frozen
class CloudDisk:
    """One disk as the cloud reports it."""

    #: The cloud's id of the disk (what the other verbs take).
    id: str
    #: The name `create_disk` was given.
    name: str
    #: Its size in GiB (after a resize: the new size, once the cloud shows it).
    size_gb: int
    state: DiskState
    #: The cloud id of the instance it is attached to ('' when none).
    attached_to: str = ""
    #: The device it is attached as (`/dev/sdf`, `/dev/vdb`), where the cloud says.
    device: str = ""


class DiskVerbs:
    """The disk verbs of `Driver`; each refuses without `Capability.DISKS`."""

    def lacks(self, capability: Capability) -> TerminalError:
        raise NotImplementedError  # `Driver.lacks`

    def disks(self) -> list[CloudDisk]:
        """Every disk `create_disk` made for this installation in the region, all
        states, in one (paged) listing."""
        raise self.lacks(Capability.DISKS)

    def create_disk(self, name: str, size_gb: int) -> CloudDisk:
        """Make an empty disk of `size_gb` GiB called `name`, tagged with
        `TAG_INSTALLATION` and `TAG_DISK`, returned at once (usually `CREATING`).

        Idempotent by `name`: while a disk this installation made with that name
        exists, a second call returns it and makes none (a pass that died between the
        call and its record makes no second disk)."""
        raise self.lacks(Capability.DISKS)

    def attach_disk(self, disk_id: str, cloud_id: str) -> str:
        """Plug the disk into the instance `cloud_id` (running or stopped) and return
        the device it is attached as ('' where the cloud does not say).

        Idempotent: a disk attached to that instance already is a success. A disk
        attached to another instance is refused (TerminalError, reason `DiskInUse`), as
        is a disk or an instance that does not exist (reason `NotFound`). Where the
        attachment takes a while the call may return before it is done: `disks` shows
        the disk `BUSY`, then `IN_USE`."""
        raise self.lacks(Capability.DISKS)

    def detach_disk(self, disk_id: str) -> None:
        """Unplug the disk from whatever instance holds it. Idempotent: a disk attached
        to nothing, or gone, is a success."""
        raise self.lacks(Capability.DISKS)

    def resize_disk(self, disk_id: str, size_gb: int) -> None:
        """Grow the disk to `size_gb` GiB, attached or not. Idempotent: the size it has
        already is a success; a smaller one is refused (TerminalError, reason
        `CannotShrink`): no cloud shrinks a disk without losing data."""
        raise self.lacks(Capability.DISKS)

    def delete_disk(self, disk_id: str) -> None:
        """Delete a detached disk and its data. Idempotent: a disk already gone is a
        success. A disk attached to an instance is refused (TerminalError, reason
        `DiskInUse`), as is one this installation did not make (reason `NotOurs`)."""
        raise self.lacks(Capability.DISKS)
