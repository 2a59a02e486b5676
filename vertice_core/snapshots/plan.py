"""What one snapshot needs next, from what the pass read of it and the region's listing. Pure.

The region's images are listed once per pass (`Driver.snapshots`); each due
snapshot is then decided alone:

| the snapshot | the listing shows                       | the step                           |
|--------------|-----------------------------------------|------------------------------------|
| deleting     | its image (by id, else by name)         | `delete_snapshot`, then remove it  |
| deleting     | nothing, and no image id is known       | remove it (nothing was made)       |
| PENDING      | an image of its name (a crash's)        | adopt it (as below)                |
| PENDING      | nothing                                 | `snapshot` (idempotent by name)    |
| CREATING     | its image: pending, available or error  | wait, AVAILABLE or FAILED          |
| CREATING     | nothing, for longer than the grace      | FAILED: the cloud lost it          |

A snapshot's image is named after the snapshot's id (`Driver.snapshot(cloud_id,
name=id)`), so a pass that called `snapshot` and died before it wrote finds the
image by name and calls again, which makes none.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from vertice_core.driver import CloudImage, ImageState
from vertice_core.model.snapshot import SnapshotPhase

#: Why a snapshot failed when the cloud says its image failed.
IMAGE_FAILED = "the cloud could not make the image (its state is error)"
#: ...and when the cloud no longer lists the image it was making.
IMAGE_LOST = "the cloud lost the image: it is no longer listed"


class Call(enum.StrEnum):
    """A cloud call a step makes (the driver's verb)."""

    SNAPSHOT = "snapshot"
    DELETE = "delete_snapshot"


@attrs.frozen
class Seen:
    """What the pass read of one due snapshot."""

    id: str
    phase: SnapshotPhase
    deleting: bool
    image_id: str
    #: Seconds since its status was last written.
    age: float


@attrs.frozen
class Step:
    """What to do with one snapshot: a cloud call to make first (`call`), or the status to
    write (`phase` None: unchanged), or removing it (`remove`)."""

    call: Call | None = None
    #: The image: the one to delete (`Call.DELETE`), or the one found or made.
    image_id: str = ""
    phase: SnapshotPhase | None = None
    message: str = ""
    #: Look again later (the image is still being made).
    wait: bool = False
    remove: bool = False


def decide(seen: Seen, listed: Mapping[str, CloudImage], grace: float) -> Step:
    """The next step for `seen`, given the region's images by id and by name (`listed`:
    `listing(images)`); `grace` is how long a new image may be missing from listings."""
    found = listed.get(seen.image_id) if seen.image_id else None
    found = found or listed.get(seen.id)
    if seen.deleting:
        image_id = seen.image_id or (found.id if found is not None else "")
        return Step(call=Call.DELETE, image_id=image_id) if image_id else Step(remove=True)
    if seen.phase is SnapshotPhase.PENDING:
        return made(found) if found is not None else Step(call=Call.SNAPSHOT)
    if seen.phase is SnapshotPhase.CREATING:
        if found is not None:
            return made(found)
        if seen.age < grace:  # listings may lag behind a new image
            return Step(wait=True)
        return Step(phase=SnapshotPhase.FAILED, message=IMAGE_LOST)
    return Step()  # settled meanwhile: nothing to do


def made(image: CloudImage) -> Step:
    """The status an image the cloud returned or lists means."""
    if image.state is ImageState.AVAILABLE:
        return Step(image_id=image.id, phase=SnapshotPhase.AVAILABLE)
    if image.state is ImageState.ERROR:
        return Step(image_id=image.id, phase=SnapshotPhase.FAILED, message=IMAGE_FAILED)
    return Step(image_id=image.id, phase=SnapshotPhase.CREATING, wait=True)


def listing(images: list[CloudImage]) -> dict[str, CloudImage]:
    """The region's images by id and by name (a name is the snapshot's id)."""
    found = {image.name: image for image in images if image.name}
    found.update({image.id: image for image in images})
    return found
