"""Disks: block storage of their own (issue 14, day 2), owned by a project.

A disk is declared with `DiskInput` (`POST /v3/disks`): its name, region and
size, and optionally the assembly instance it is attached to. What it should be
(its size, its attachment, whether it should exist) is desired state the API
writes and may change (`DiskChange`, `PATCH /v3/disks/{id}`); the disk controller
(`vertice_core.disks`) makes the cloud match it, level-based, and writes its
`phase`:

PENDING (declared, not made yet) -> CREATING (the cloud makes it) -> AVAILABLE
(made, attached to nothing) or ATTACHED (plugged into its instance); FAILED when
the cloud failed it; DELETING once its deletion is asked for, until the cloud's
disk is detached and gone and the disk with it.
"""

from __future__ import annotations

import enum

import attrs

from vertice_core.model.types import Name, NonNegative, Positive

#: The largest disk, in GiB (16 TiB: EBS's gp3 limit, OpenStack's usual one).
MAX_DISK_GB = 16384


class DiskPhase(enum.StrEnum):
    """Where a disk stands."""

    PENDING = "PENDING"
    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    ATTACHED = "ATTACHED"
    FAILED = "FAILED"
    DELETING = "DELETING"


@attrs.frozen
class Attachment:
    """Which instance a disk is plugged into: an assembly (id or name, of the disk's
    project) and the ordinal of one of its instances."""

    assembly: Name
    instance: NonNegative = NonNegative(0)


@attrs.frozen
class DiskInput:
    """The body of `POST /v3/disks`."""

    #: Unique among the project's disks.
    name: Name
    #: The region whose cloud holds it (its driver must claim `disks`).
    region: Name
    #: Its size in GiB (1 to `MAX_DISK_GB`).
    size_gb: Positive
    #: The project that owns it (default: the caller's).
    project: Name | None = None
    #: Attached to this instance once both exist (None: attached to nothing).
    attach: Attachment | None = None


@attrs.frozen
class DiskChange:
    """The body of `PATCH /v3/disks/{id}`: what should change (absent: unchanged)."""

    #: Grow it to this many GiB (never less than it has).
    size_gb: Positive | None = None
    #: Attach it to this instance (moving it from the one it is attached to).
    attach: Attachment | None = None
    #: Detach it from its instance (and keep it).
    detach: bool = False
