"""The snapshot controller: snapshots made and deleted in their regions' clouds, each once.

Its targets are the regions with snapshots in progress (PENDING, CREATING, or
whose deletion was asked for: the rows with a `due_at`). A pass over a region
(`vertice_core.regional`) lists the region's images once (`Driver.snapshots`),
decides each due snapshot with the pure `snapshots.plan.decide`, makes the cloud
calls it asks for, and writes every outcome in one transaction with its event on
the source assembly (`SnapshotCreated`, `SnapshotFailed`, `SnapshotDeleted`),
announced to the plugins once committed.

A call that fails transiently (the cloud is down, throttling, a timeout) leaves
the snapshot where it was, with the error's public words in its message, and
due again after the runtime's backoff (`attempts`, `due_at`); a listing that
fails fails the whole pass, and the runtime backs the region off and tells its
due snapshots (`target_failed`). A terminal error fails the snapshot (a
deletion the cloud refuses forgets the snapshot, saying its image was left).

Every write is conditional on the phase the pass read (`SnapshotRepository.advance`):
a deletion asked for meanwhile, or another reconciler's pass that got there
first, turns it into a no-op, so each phase change, and its event, happens once.
`Driver.snapshot` is idempotent by name (the snapshot's id), so a pass that died
between the call and the write makes no second image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.driver import CloudImage, Driver
from vertice_core.errors import DriverError, TerminalError
from vertice_core.model.snapshot import SnapshotPhase
from vertice_core.model.status import Event, EventType
from vertice_core.redact import loggable, public_error
from vertice_core.regional import Outcome, RegionalController, RegionPass
from vertice_core.snapshots import plan
from vertice_core.store.repositories.snapshots import SnapshotRepository

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from vertice_core.store.tables import RegionRow, SnapshotRow

log = logging.getLogger("vertice.snapshots")

#: The phases a snapshot rests in: nothing more to do (`due_at` NULL).
SETTLED = (SnapshotPhase.AVAILABLE, SnapshotPhase.FAILED)
#: What a pass over a region's snapshots did.
SnapshotResult = RegionPass


@attrs.frozen
class _Read:
    """A due snapshot as the pass read it."""

    id: str
    project_id: str
    name: str
    assembly_id: str
    assembly_name: str
    ordinal: int
    instance_cloud_id: str
    region: str
    phase: SnapshotPhase
    deleting: bool
    image_id: str
    message: str
    attempts: int
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, row: SnapshotRow) -> _Read:
        return cls(
            id=row.id, project_id=row.project_id, name=row.name, assembly_id=row.assembly_id,
            assembly_name=row.assembly_name, ordinal=row.ordinal,
            instance_cloud_id=row.instance_cloud_id, region=row.region_name,
            phase=SnapshotPhase(row.phase), deleting=row.deleting, image_id=row.image_id,
            message=row.message, attempts=row.attempts, created_at=row.created_at.timestamp(),
            updated_at=row.updated_at.timestamp(),
        )  # fmt: skip

    def seen(self, now: float) -> plan.Seen:
        return plan.Seen(self.id, self.phase, self.deleting, self.image_id, now - self.updated_at)


class SnapshotController(RegionalController[_Read, plan.Step]):
    """Snapshots made real in their regions' clouds (see the module's docstring)."""

    name = "snapshots"
    listing_verb = "snapshots"
    plan = plan

    def _work(self, connection: Connection, now: float) -> list[tuple[str, int, float | None]]:
        return SnapshotRepository.work(connection, now)

    def _read(self, target: str, now: float) -> tuple[list[_Read], RegionRow | None]:
        with self.store.read() as session:
            repository = SnapshotRepository(session)
            rows = [_Read.of(row) for row in repository.due_in(target, now)]
            return rows, repository.region(target)

    def _cloud_call(self, driver: Driver, row: _Read, outcome: Outcome) -> Callable[[], Any]:
        """The driver call a step asks for."""
        assert isinstance(outcome, plan.Step)
        if outcome.call is plan.Call.SNAPSHOT:
            return lambda: driver.snapshot(row.instance_cloud_id, row.id)
        image_id = outcome.image_id
        return lambda: driver.delete_snapshot(image_id)

    def _after_call(self, row: _Read, step: Outcome, result: Any, endpoint: str) -> Outcome:
        """What a cloud call's answer (or error) makes of the snapshot."""
        assert isinstance(step, plan.Step)
        if not isinstance(result, DriverError):
            if step.call is plan.Call.SNAPSHOT:
                assert isinstance(result, CloudImage)
                return plan.made(result)
            return plan.Step(remove=True)
        public = public_error(result, endpoints=(endpoint,))
        log.info(
            "snapshot %s (%s): %s: %s", row.id, step.call, result.reason, loggable(result.message)
        )
        if not isinstance(result, TerminalError):  # transient, or the driver unavailable: retry
            return public
        if step.call is plan.Call.SNAPSHOT:
            return plan.Step(phase=SnapshotPhase.FAILED, message=public.message)
        return plan.Step(remove=True, message=f"the cloud refused to delete image {step.image_id} "
                         f"({public.message}); it was left in the cloud")  # fmt: skip

    def _region_gone(self, row: _Read) -> plan.Step:
        """The step of a snapshot whose region no longer exists."""
        why = f"region {row.region} no longer exists"
        if row.deleting:
            return plan.Step(
                remove=True, message=f"{why}; its image, if any, was left in the cloud"
            )
        return plan.Step(phase=SnapshotPhase.FAILED, message=why)

    # -- writing --

    def _apply(
        self, session: Session, row: _Read, step: plan.Step, now: float
    ) -> tuple[bool, list[Event]]:
        """Write one step; the event of the change it made, if it made one."""
        repository = SnapshotRepository(session)
        if step.remove:
            if not repository.remove(row.id):
                return False, []
            return True, [_event(row, "SnapshotDeleted", step.message)]
        phase = step.phase or row.phase
        image_id = step.image_id or row.image_id
        due = None if phase in SETTLED and not row.deleting else now + self._recheck(row, now)
        # An image still being made is looked at again without touching `updated_at`: it
        # says since when the status is what it is (the grace of a missing image).
        touch = (phase, image_id, step.message) != (row.phase, row.image_id, row.message)
        changed = repository.advance(
            row.id, row.phase.value, row.deleting, touch=touch, phase=phase.value,
            image_id=image_id, message=step.message, attempts=0, due_at=due,
        )  # fmt: skip
        if not changed or phase == row.phase:
            return changed, []
        if phase is SnapshotPhase.AVAILABLE:
            return True, [_event(row, "SnapshotCreated", image_id)]
        if phase is SnapshotPhase.FAILED:
            return True, [_event(row, "SnapshotFailed", step.message)]
        return True, []

    def _retry(self, session: Session, row: _Read, error: DriverError, now: float) -> bool:
        """Leave the snapshot where it is, saying why, due again after a backoff."""
        due, message = self.retry(row.attempts, error, now)
        attempts = row.attempts + 1
        return SnapshotRepository(session).advance(
            row.id, row.phase.value, row.deleting, attempts=attempts, due_at=due, message=message
        )

    def _recheck(self, row: _Read, now: float) -> float:
        """Seconds before an image being made is looked at again: `poll` at first, then a
        quarter of its age (a slow cloud is asked less often), at most `resync`."""
        return min(self.settings.resync, max(self.settings.poll, (now - row.created_at) / 4))


def _event(row: _Read, reason: str, detail: str) -> Event:
    """An event of the source assembly about one of its snapshots."""
    what = f"snapshot {row.name} of instance {row.ordinal}"
    if reason == "SnapshotCreated":
        kind, message = EventType.NORMAL, f"{what} is available (image {detail})"
    elif reason == "SnapshotFailed":
        kind, message = EventType.WARNING, f"{what} failed: {detail}"
    else:  # deleted: a warning when something was left behind (`detail` says what)
        kind = EventType.WARNING if detail else EventType.NORMAL
        message = f"{what} deleted" + (f": {detail}" if detail else "")
    return Event(
        time=datetime.now(UTC), type=kind, reason=reason, message=message,
        assembly_id=row.assembly_id, region=row.region, assembly=row.assembly_name,
    )  # fmt: skip
