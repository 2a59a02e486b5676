"""Snapshots: images of an instance's disk, resources of their own (issue 14, day 2).

A snapshot belongs to the project of the assembly it was made from, and outlives
that assembly. It is asked for with `SnapshotInput` (`POST /v3/assembly/{id}/snapshots`)
and made by the snapshot controller (`vertice_core.snapshots`), which moves its
`phase`: PENDING (asked for) -> CREATING (the cloud copies the disk) -> AVAILABLE
(launchable in its region) or FAILED; DELETING once its deletion is asked for, until
the cloud's image is gone and the snapshot with it.

A new assembly is restored from an AVAILABLE snapshot by naming it in its
declaration (`AssemblyDeclaration.snapshot`): its spec then keeps a
`RestoredSnapshot`, and its instances are launched from the snapshot's image.
"""

from __future__ import annotations

import enum

import attrs

from vertice_core.model.types import Name, NonNegative


class SnapshotPhase(enum.StrEnum):
    """Where a snapshot stands."""

    PENDING = "PENDING"
    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    FAILED = "FAILED"
    DELETING = "DELETING"


#: The phases the snapshot controller still has work in (besides a deletion).
IN_PROGRESS = (SnapshotPhase.PENDING, SnapshotPhase.CREATING)


@attrs.frozen
class SnapshotInput:
    """The body of `POST /v3/assembly/{id}/snapshots`."""

    #: Unique among the project's snapshots.
    name: Name
    #: Which instance of the assembly (its ordinal; 0: the first).
    instance: NonNegative = NonNegative(0)


@attrs.frozen
class RestoredSnapshot:
    """The snapshot an assembly was restored from, as its spec keeps it: the image its
    instances are launched from (`InstanceSpec.image_id`)."""

    id: str
    name: str
    image_id: str
