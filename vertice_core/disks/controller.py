"""The disk controller: disks made, attached, grown, detached and deleted in their clouds.

Its targets are the regions with disks due (`DiskRepository.work`: a `due_at`
that has come, or an instance that now runs under another cloud id than the one
its disk is attached to). A pass over a region (`vertice_core.regional`) reads its
due disks with the instance each should be attached to, lists the region's disks
once (`Driver.disks`), decides each disk with the pure `disks.plan.decide`, makes
the cloud calls it asks for, and writes every outcome in one transaction,
conditional on the disk's `generation` (a change asked for meanwhile makes the
write a no-op; the disk is due again at once), with events on the project (and
the disk's assembly): `DiskAttached`, `DiskDetached`, `DiskResized`, `DiskFailed`,
`DiskDeleted`.

A disk that matches what it should be rests: `due_at` NULL when attached to
nothing, the resync interval when attached (a hand-made detach is seen and undone).
A call that fails transiently leaves the disk where it was, its message saying why
and when the next try is, due after the runtime's backoff; a listing that fails
fails the pass (`target_failed` tells the region's due disks). A terminal error
fails the disk's creation (FAILED), or is the disk's message until it is changed
or the next resync asks again (an attachment the cloud refuses: another zone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.disks import plan
from vertice_core.driver import CloudDisk, Driver
from vertice_core.errors import DriverError, TerminalError
from vertice_core.model.disk import DiskPhase
from vertice_core.model.status import Event, EventType
from vertice_core.redact import loggable, public_error
from vertice_core.regional import Outcome, RegionalController, RegionPass
from vertice_core.store.repositories.disks import ATTACHABLE, DiskRepository

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from vertice_core.store.tables import DiskRow, InstanceRow, RegionRow

log = logging.getLogger("vertice.disks")


#: What a pass over a region's disks did.
DiskResult = RegionPass


@attrs.frozen
class _Read:
    """A due disk as the pass read it."""

    id: str
    project_id: str
    name: str
    region: str
    generation: int
    deleting: bool
    phase: DiskPhase
    size_gb: int
    assembly_id: str
    ordinal: int
    #: The cloud id of the instance it should be attached to ('' none or none yet).
    target: str
    #: Why it cannot be attached yet ('' when it should not be, or can).
    waiting: str
    cloud_id: str
    size_seen: int
    attached_to: str
    device: str
    held_by: str
    message: str
    attempts: int
    updated_at: float

    @classmethod
    def of(cls, row: DiskRow, instance: InstanceRow | None, assembly_region: str) -> _Read:
        target, waiting = _target(row, instance, assembly_region)
        return cls(
            id=row.id, project_id=row.project_id, name=row.name, region=row.region_name,
            generation=row.generation, deleting=row.deleting, phase=DiskPhase(row.phase),
            size_gb=row.size_gb, assembly_id=row.assembly_id, ordinal=row.ordinal,
            target=target, waiting=waiting, cloud_id=row.cloud_id, size_seen=row.size_seen,
            attached_to=row.attached_to, device=row.device, held_by=row.held_by,
            message=row.message,
            attempts=row.attempts, updated_at=row.updated_at.timestamp(),
        )  # fmt: skip

    def seen(self, now: float) -> plan.Seen:
        return plan.Seen(self.id, self.phase, self.deleting, self.cloud_id, self.size_gb,
                         self.target, self.waiting, now - self.updated_at)  # fmt: skip


def _target(row: DiskRow, instance: InstanceRow | None, assembly_region: str) -> tuple[str, str]:
    """The cloud id of the instance the disk should be attached to, or why there is none
    yet ('', '' when it should be attached to nothing)."""
    if not row.assembly_id or row.deleting:
        return "", ""
    which = f"instance {row.ordinal} of its assembly"
    if instance is None or not instance.cloud_id or instance.state not in ATTACHABLE:
        return "", f"waiting for {which} to run"
    region = instance.region_name or assembly_region
    if region != row.region_name:
        return "", f"{which} runs in region {region!r}, not in the disk's"
    return instance.cloud_id, ""


class DiskController(RegionalController[_Read, plan.Step]):
    """Disks made real in their regions' clouds (see the module's docstring)."""

    name = "disks"
    listing_verb = "disks"
    plan = plan

    def _work(self, connection: Connection, now: float) -> list[tuple[str, int, float | None]]:
        return DiskRepository.work(connection, now)

    def _read(self, target: str, now: float) -> tuple[list[_Read], RegionRow | None]:
        with self.store.read() as session:
            repository = DiskRepository(session)
            due = repository.due_in(target, now)
            found = repository.assemblies([disk.assembly_id for disk, _ in due])
            regions = {i: a.region_name for i, a in found.items()}
            rows = [_Read.of(d, i, regions.get(d.assembly_id, "")) for d, i in due]
            return rows, repository.region(target)

    def _cloud_call(self, driver: Driver, row: _Read, outcome: Outcome) -> Callable[[], Any]:
        """The driver call a step asks for."""
        assert isinstance(outcome, plan.Step)
        disk_id = outcome.seen.id if outcome.seen is not None else ""
        calls: dict[plan.Call | None, Callable[[], Any]] = {
            plan.Call.CREATE: lambda: driver.create_disk(row.id, row.size_gb),
            plan.Call.ATTACH: lambda: driver.attach_disk(disk_id, row.target),
            plan.Call.DETACH: lambda: driver.detach_disk(disk_id),
            plan.Call.RESIZE: lambda: driver.resize_disk(disk_id, row.size_gb),
            plan.Call.DELETE: lambda: driver.delete_disk(disk_id),
        }
        return calls[outcome.call]

    def _after_call(self, row: _Read, step: Outcome, result: Any, endpoint: str) -> Outcome:
        """What a cloud call's answer (or error) makes of the disk."""
        assert isinstance(step, plan.Step)
        if not isinstance(result, DriverError):
            if step.call is plan.Call.CREATE:
                assert isinstance(result, CloudDisk)
                return plan.Step(phase=DiskPhase.CREATING, seen=result, wait=True)
            if step.call is plan.Call.DELETE:
                return plan.Step(remove=True)
            return attrs.evolve(step, call=None, wait=True)  # the next listing shows it
        public = public_error(result, endpoints=(endpoint,))
        log.info("disk %s (%s): %s: %s", row.id, step.call, result.reason, loggable(result.message))
        if not isinstance(result, TerminalError):  # transient, or the driver unavailable: retry
            return public
        if step.call is plan.Call.CREATE:
            return plan.Step(phase=DiskPhase.FAILED, message=public.message)
        if step.call is plan.Call.DELETE and row.deleting:
            return plan.Step(remove=True, message=f"the cloud refused to delete disk "
                             f"{step.seen.id if step.seen else ''} ({public.message}); it was "
                             "left in the cloud")  # fmt: skip
        # Refused (an attachment across zones, a disk the cloud will not grow): it stays as
        # it is, saying why; asked again at the next resync, or at once when changed.
        return plan.Step(seen=step.seen, message=f"{step.call}: {public.message}")

    def _region_gone(self, row: _Read) -> plan.Step:
        """The step of a disk whose region no longer exists."""
        why = f"region {row.region} no longer exists"
        if row.deleting:
            return plan.Step(remove=True, message=f"{why}; the disk, if any, was left in the cloud")
        return plan.Step(phase=DiskPhase.FAILED, message=why)

    # -- writing --

    def _apply(
        self, session: Session, row: _Read, step: plan.Step, now: float
    ) -> tuple[bool, list[Event]]:
        """Write one step; the events of the changes it made."""
        repository = DiskRepository(session)
        if step.remove:
            if not repository.remove(row.id, row.generation):
                return False, []
            return True, [_event(row, "DiskDeleted", step.message)]
        seen = step.seen
        values: dict[str, Any] = {"phase": (step.phase or row.phase).value,
                                  "message": step.message, "attempts": 0}  # fmt: skip
        if seen is not None:
            values.update(cloud_id=seen.id, size_seen=seen.size_gb,
                          attached_to=seen.attached_to, device=seen.device)  # fmt: skip
            if seen.attached_to != row.attached_to:  # the assembly whose instance holds it
                values["held_by"] = row.assembly_id if seen.attached_to == row.target else ""
        values["due_at"] = self._next(row, step, now)
        mine = {k: getattr(row, k) for k in ("cloud_id", "size_seen", "attached_to", "device")}
        before = {"phase": row.phase.value, "message": row.message, **mine}
        touch = any(values.get(k, v) != v for k, v in before.items())
        if not repository.advance(row.id, row.generation, touch=touch, **values):
            return False, []
        return True, _events(row, values)

    def _next(self, row: _Read, step: plan.Step, now: float) -> float | None:
        """When the disk is looked at again: soon while the cloud works on it; every
        resync while attached (or waiting for its instance); never when it rests free."""
        if step.wait or step.call is not None or row.deleting:
            return now + self.settings.poll
        if step.phase is DiskPhase.FAILED or (step.phase is DiskPhase.AVAILABLE
                                               and not row.assembly_id):  # fmt: skip
            return None
        return now + self.settings.resync

    def _retry(self, session: Session, row: _Read, error: DriverError, now: float) -> bool:
        """Leave the disk where it is, saying why, due again after a backoff."""
        due, message = self.retry(row.attempts, error, now)
        return DiskRepository(session).advance(
            row.id, row.generation, attempts=row.attempts + 1, due_at=due, message=message
        )


def _events(row: _Read, values: Mapping[str, Any]) -> list[Event]:
    """The events of a written status: attached, detached, grown, failed. Each names the
    assembly whose instance the disk is (or was) attached to, else the one it should be."""
    news: list[Event] = []
    held = values.get("held_by", row.held_by)
    attached = values.get("attached_to", row.attached_to)
    if attached != row.attached_to:
        if row.attached_to:
            news.append(_event(row, "DiskDetached", row.attached_to, row.held_by))
        if attached:
            device = values.get("device") or "?"
            news.append(_event(row, "DiskAttached", f"{attached} as {device}", held))
    size = values.get("size_seen", row.size_seen)
    if row.size_seen and size > row.size_seen:
        news.append(_event(row, "DiskResized", f"{row.size_seen} to {size} GiB", held))
    if values["phase"] == DiskPhase.FAILED and row.phase is not DiskPhase.FAILED:
        news.append(_event(row, "DiskFailed", values["message"], held))
    return news


def _event(row: _Read, reason: str, detail: str, assembly_id: str | None = None) -> Event:
    """An event of the disk's project, and of the assembly `assembly_id` (default: the one
    it is attached to, else the one it should be attached to; none when neither)."""
    what = f"disk {row.name}"
    messages = {
        "DiskAttached": f"{what} attached to instance {detail}",
        "DiskDetached": f"{what} detached from instance {detail}",
        "DiskResized": f"{what} grown from {detail}",
        "DiskFailed": f"{what} failed: {detail}",
        "DiskDeleted": f"{what} deleted" + (f": {detail}" if detail else ""),
    }
    warning = reason == "DiskFailed" or (reason == "DiskDeleted" and bool(detail))
    assembly = assembly_id if assembly_id is not None else (row.held_by or row.assembly_id)
    return Event(
        time=datetime.now(UTC), type=EventType.WARNING if warning else EventType.NORMAL,
        reason=reason, message=messages[reason], assembly_id=assembly or row.assembly_id or None,
        region=row.region,
    )  # fmt: skip
