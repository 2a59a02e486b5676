"""What one disk needs next, from what the pass read of it and the region's listing. Pure.

The region's disks are listed once per pass (`Driver.disks`); each due disk is
then decided alone, level-based: what it should be (exist, its size, the
instance it is attached to) against what the listing shows, one step at a time.

| the disk should      | the listing shows                     | the step                       |
|----------------------|---------------------------------------|--------------------------------|
| be gone              | it, attached                          | `detach_disk`                  |
| be gone              | it, detached                          | `delete_disk`, then remove it  |
| be gone              | nothing                               | remove it                      |
| exist                | nothing, and it was never made        | `create_disk` (idempotent)     |
| exist                | nothing, longer than the grace        | FAILED: the cloud lost it      |
| exist                | it, creating or busy                  | wait                           |
| exist                | it, in error                          | FAILED                         |
| be bigger            | it, smaller                           | `resize_disk`                  |
| be elsewhere or free | it, attached to another instance      | `detach_disk`                  |
| be attached          | it, free, and the instance runs       | `attach_disk`                  |
| be attached          | it, free, no instance to attach to    | AVAILABLE, waiting (a message) |
| (anything else)      | it, as it should be                   | AVAILABLE or ATTACHED: settled |

A disk is made under its vertice id (`Driver.create_disk(name=id)`), so a pass
that died after the call finds it by name and makes none. After a call the disk
is looked at again (`wait`): the next listing says whether it took.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from vertice_core.driver import CloudDisk, DiskState
from vertice_core.model.disk import DiskPhase

#: Why a disk failed when the cloud says it is in error, or no longer lists it.
DISK_FAILED = "the cloud could not make the disk (its state is error)"
DISK_LOST = "the cloud lost the disk: it is no longer listed"


class Call(enum.StrEnum):
    """A cloud call a step makes (the driver's verb)."""

    CREATE = "create_disk"
    ATTACH = "attach_disk"
    DETACH = "detach_disk"
    RESIZE = "resize_disk"
    DELETE = "delete_disk"


@attrs.frozen
class Seen:
    """What the pass read of one due disk."""

    id: str
    phase: DiskPhase
    deleting: bool
    #: The cloud's id, once known.
    cloud_id: str
    size_gb: int
    #: The cloud id of the instance it should be attached to ('' none, or none yet).
    target: str
    #: Why it waits when it should be attached and `target` is '' ('': it should not).
    waiting: str
    #: Seconds since its status was last written.
    age: float


@attrs.frozen
class Step:
    """What to do with one disk: a cloud call (`call`), then what to write (`phase` None:
    unchanged; `seen` what the listing showed), or removing it (`remove`)."""

    call: Call | None = None
    phase: DiskPhase | None = None
    seen: CloudDisk | None = None
    message: str = ""
    #: Look again soon (the cloud works on it, or a call was made).
    wait: bool = False
    remove: bool = False


def decide(disk: Seen, listed: Mapping[str, CloudDisk], grace: float) -> Step:
    """The next step for `disk`, given the region's disks by id and by name (`listing`);
    `grace` is how long a new disk may be missing from listings."""
    found = (listed.get(disk.cloud_id) if disk.cloud_id else None) or listed.get(disk.id)
    if disk.deleting:
        return _removing(found)
    if found is None:
        if disk.phase is DiskPhase.PENDING and not disk.cloud_id:
            return Step(call=Call.CREATE)
        if disk.age < grace:  # listings may lag behind a new disk
            return Step(wait=True)
        return Step(phase=DiskPhase.FAILED, message=DISK_LOST)
    if found.state is DiskState.ERROR:
        return Step(phase=DiskPhase.FAILED, seen=found, message=DISK_FAILED)
    if found.state in (DiskState.CREATING, DiskState.BUSY):
        phase = DiskPhase.CREATING if found.state is DiskState.CREATING else None
        return Step(phase=phase, seen=found, wait=True)
    return _matching(disk, found)


def _removing(found: CloudDisk | None) -> Step:
    """The next step of a disk whose deletion was asked for."""
    if found is None:
        return Step(remove=True)
    if found.attached_to:
        return Step(call=Call.DETACH, seen=found)
    if found.state in (DiskState.CREATING, DiskState.BUSY):
        return Step(seen=found, wait=True)
    return Step(call=Call.DELETE, seen=found)


def _matching(disk: Seen, found: CloudDisk) -> Step:
    """The next step of a usable disk: made the size and attachment it should have."""
    if found.size_gb < disk.size_gb:
        return Step(call=Call.RESIZE, seen=found)
    if found.attached_to and found.attached_to != disk.target:
        return Step(call=Call.DETACH, seen=found)
    if not found.attached_to and disk.target:
        return Step(call=Call.ATTACH, seen=found)
    if found.attached_to:
        return Step(phase=DiskPhase.ATTACHED, seen=found)
    return Step(phase=DiskPhase.AVAILABLE, seen=found, message=disk.waiting)


def listing(disks: list[CloudDisk]) -> dict[str, CloudDisk]:
    """The region's disks by id and by name (a name is the disk's vertice id)."""
    found = {disk.name: disk for disk in disks if disk.name}
    found.update({disk.id: disk for disk in disks})
    return found
