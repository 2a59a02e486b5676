"""`snapshots.plan.decide`: what one snapshot needs next, as a table."""

from __future__ import annotations

import pytest

from vertice_core.driver import CloudImage, ImageState
from vertice_core.model.snapshot import SnapshotPhase
from vertice_core.snapshots.plan import IMAGE_FAILED, IMAGE_LOST, Call, Seen, Step, decide, listing

SN = "sn-0123456789abcdef"
GRACE = 30.0


def image(state: ImageState, image_id: str = "img-1", name: str = SN) -> CloudImage:
    return CloudImage(image_id, name, state=state)


PENDING, CREATING = SnapshotPhase.PENDING, SnapshotPhase.CREATING
AVAILABLE, FAILED = SnapshotPhase.AVAILABLE, SnapshotPhase.FAILED
UP, MAKING, BROKEN = ImageState.AVAILABLE, ImageState.PENDING, ImageState.ERROR

CASES = [
    # (phase, deleting, image id known, age, the listing, the step)
    (PENDING, False, "", 0, [], Step(call=Call.SNAPSHOT)),
    (PENDING, False, "", 0, [image(MAKING)],  # a pass died after its call: adopted
     Step(image_id="img-1", phase=CREATING, wait=True)),
    (PENDING, False, "", 0, [image(UP)], Step(image_id="img-1", phase=AVAILABLE)),
    (PENDING, False, "", 0, [image(UP, name="sn-ffffffffffffffff")], Step(call=Call.SNAPSHOT)),
    (CREATING, False, "img-1", 5, [image(MAKING)], Step(image_id="img-1", phase=CREATING,
                                                       wait=True)),
    (CREATING, False, "img-1", 5, [image(UP)], Step(image_id="img-1", phase=AVAILABLE)),
    (CREATING, False, "img-1", 5, [image(BROKEN)],
     Step(image_id="img-1", phase=FAILED, message=IMAGE_FAILED)),
    (CREATING, False, "img-1", 5, [], Step(wait=True)),  # listings may lag a new image
    (CREATING, False, "img-1", GRACE + 1, [], Step(phase=FAILED, message=IMAGE_LOST)),
    (CREATING, True, "img-1", 5, [image(MAKING)], Step(call=Call.DELETE, image_id="img-1")),
    (AVAILABLE, True, "img-1", 5, [], Step(call=Call.DELETE, image_id="img-1")),
    (PENDING, True, "", 5, [image(MAKING, image_id="img-9")],  # its id was never recorded
     Step(call=Call.DELETE, image_id="img-9")),
    (PENDING, True, "", 5, [], Step(remove=True)),  # nothing was made
    (FAILED, True, "", 5, [], Step(remove=True)),
    (AVAILABLE, False, "img-1", 5, [image(UP)], Step()),  # settled meanwhile
]  # fmt: skip


@pytest.mark.parametrize(("phase", "deleting", "image_id", "age", "images", "step"), CASES)
def test_decide(phase, deleting, image_id, age, images, step):
    seen = Seen(SN, phase, deleting, image_id, float(age))
    assert decide(seen, listing(images), GRACE) == step
