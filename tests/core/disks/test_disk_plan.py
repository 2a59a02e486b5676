"""The disk controller's decisions (`vertice_core.disks.plan.decide`), one row of its
table at a time: what it should be against what the listing shows."""

from __future__ import annotations

import pytest

from vertice_core.disks.plan import DISK_FAILED, DISK_LOST, Call, Seen, decide, listing
from vertice_core.driver import CloudDisk, DiskState
from vertice_core.model.disk import DiskPhase

GRACE = 30.0


def seen(**kw) -> Seen:
    values = {"id": "dk-1", "phase": DiskPhase.AVAILABLE, "deleting": False, "cloud_id": "vol-1",
              "size_gb": 2, "target": "", "waiting": "", "age": 0.0, **kw}  # fmt: skip
    return Seen(**values)


def disk(**kw) -> CloudDisk:
    values = {"id": "vol-1", "name": "dk-1", "size_gb": 2, "state": DiskState.AVAILABLE, **kw}
    return CloudDisk(**values)


@pytest.mark.parametrize(
    ("what", "listed", "call", "phase"),
    [
        (seen(deleting=True), [disk(attached_to="i-1", state=DiskState.IN_USE)], Call.DETACH, None),
        (seen(deleting=True), [disk()], Call.DELETE, None),
        (seen(deleting=True), [disk(state=DiskState.BUSY)], None, None),
        (seen(phase=DiskPhase.PENDING, cloud_id=""), [], Call.CREATE, None),
        (seen(phase=DiskPhase.CREATING), [], None, None),  # within the grace: wait
        (seen(phase=DiskPhase.CREATING, age=GRACE + 1), [], None, DiskPhase.FAILED),
        (seen(), [disk(state=DiskState.CREATING)], None, DiskPhase.CREATING),
        (seen(), [disk(state=DiskState.ERROR)], None, DiskPhase.FAILED),
        (seen(size_gb=3), [disk()], Call.RESIZE, None),
        (seen(target="i-2"), [disk(attached_to="i-1", state=DiskState.IN_USE)], Call.DETACH, None),
        (seen(), [disk(attached_to="i-1", state=DiskState.IN_USE)], Call.DETACH, None),
        (seen(target="i-1"), [disk()], Call.ATTACH, None),
        (seen(target="i-1"), [disk(attached_to="i-1", state=DiskState.IN_USE)], None,
         DiskPhase.ATTACHED),
        (seen(waiting="waiting for instance 0"), [disk()], None, DiskPhase.AVAILABLE),
        (seen(size_gb=1), [disk(size_gb=2)], None, DiskPhase.AVAILABLE),  # bigger: never shrunk
    ],
)  # fmt: skip
def test_each_disk_gets_the_step_its_table_row_says(what, listed, call, phase):
    step = decide(what, listing(listed), GRACE)
    assert (step.call, step.phase) == (call, phase)


def test_a_deleted_disk_the_cloud_no_longer_lists_is_removed():
    assert decide(seen(deleting=True), {}, GRACE).remove


def test_a_disk_found_by_its_name_is_the_one_a_dead_pass_made():
    """A pass that died after its create call: the disk is listed under the vertice id."""
    step = decide(seen(phase=DiskPhase.PENDING, cloud_id=""), listing([disk(id="vol-9")]), GRACE)
    assert (step.call, step.phase, step.seen.id if step.seen else "") == (
        None, DiskPhase.AVAILABLE, "vol-9")  # fmt: skip


def test_failures_say_why():
    lost = decide(seen(phase=DiskPhase.CREATING, age=GRACE + 1), {}, GRACE)
    broken = decide(seen(), listing([disk(state=DiskState.ERROR)]), GRACE)
    assert (lost.message, broken.message) == (DISK_LOST, DISK_FAILED)
    waiting = decide(seen(waiting="waiting for instance 1"), listing([disk()]), GRACE)
    assert waiting.message == "waiting for instance 1"
