"""The snapshot controller: snapshots made and deleted in their regions' clouds, each once.

Its targets are the regions with snapshots in progress (PENDING, CREATING, or
whose deletion was asked for: the rows with a `due_at`). A pass over a region
(`run_target`) reads its due snapshots, gets the region's driver from the
assembly controller's `RegionDrivers` (one driver per region in a process),
lists the region's images once (`Driver.snapshots`), decides each snapshot with
the pure `snapshots.plan.decide`, makes the cloud calls it asks for through the
assembly controller's `CallPool` (bounded in number and time, counted), and
writes every outcome in one transaction with its event on the source assembly
(`SnapshotCreated`, `SnapshotFailed`, `SnapshotDeleted`), announced to the
plugins once committed.

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
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from vertice_core.driver import CloudImage, Driver
from vertice_core.errors import DriverError, TerminalError
from vertice_core.hooks import announce
from vertice_core.model.snapshot import SnapshotPhase
from vertice_core.model.status import Event, EventType
from vertice_core.reconcile.status import Retry
from vertice_core.redact import loggable, public_error
from vertice_core.runtime import CallPool, Due, retry_delay
from vertice_core.snapshots import plan
from vertice_core.store import Store
from vertice_core.store.repositories import EventRepository
from vertice_core.store.repositories.snapshots import SnapshotRepository

if TYPE_CHECKING:
    from vertice_core.reconcile.drivers import RegionDrivers
    from vertice_core.reconcile.settings import ReconcilerSettings
    from vertice_core.store.tables import SnapshotRow

log = logging.getLogger("vertice.snapshots")

#: The phases a snapshot rests in: nothing more to do (`due_at` NULL).
SETTLED = (SnapshotPhase.AVAILABLE, SnapshotPhase.FAILED)


@attrs.frozen
class SnapshotResult:
    """What a pass over a region's snapshots did."""

    region: str
    busy: bool = False
    error: str | None = None
    #: Snapshots whose status or row was written, and cloud calls made.
    written: int = 0
    calls: int = 0


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


#: What became of one snapshot in a pass: a step to write, or the error to retry after.
Outcome = plan.Step | DriverError


class SnapshotController:
    """Snapshots made real in their regions' clouds (see the module's docstring)."""

    name = "snapshots"

    def __init__(
        self,
        store: Store,
        *,
        drivers: RegionDrivers,
        calls: CallPool,
        plugins: pluggy.PluginManager,
        settings: ReconcilerSettings,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        #: The assembly controller's drivers and call pool: shared, closed by it.
        self.drivers = drivers
        self.calls = calls
        self.plugins = plugins
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not security

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        """The regions with snapshots in progress, and how many are due in each."""
        with self.store.read() as session:
            work = SnapshotRepository(session).work(now)
        counts = {region: count for region, count, _ in work if count}
        oldest = min((at for _, count, at in work if count and at is not None), default=None)
        return Due(targets=[region for region, _, _ in work], counts=counts, oldest=oldest)

    def run_target(self, target: str) -> SnapshotResult:
        """One pass over the region `target` (raises DriverError when its driver cannot be
        had or its images cannot be listed)."""
        now = self.clock()
        with self.store.read() as session:
            repository = SnapshotRepository(session)
            rows = [_Read.of(row) for row in repository.due_in(target, now)]
            region = repository.region(target)
        if not rows:
            return SnapshotResult(target)
        if region is None:  # the region was deleted: nothing can be made or deleted there
            gone = {row.id: _region_gone(row) for row in rows}
            return SnapshotResult(target, written=self._write(rows, gone, now))
        endpoint, cloud_type = region.endpoint, region.cloud_type
        driver = self.drivers.get(region)  # the assembly controller's, built on first use
        timeout = self.settings.call_timeout
        images = self.calls.run(cloud_type, "snapshots", driver.snapshots, timeout)
        listed = plan.listing(images)
        outcomes: dict[str, Outcome] = {
            row.id: plan.decide(row.seen(now), listed, self.settings.grace) for row in rows
        }
        calling = [row for row in rows if _call_of(outcomes[row.id]) is not None]
        results = self.calls.run_all(
            [(cloud_type, str(_call_of(outcomes[row.id])), _cloud_call(driver, row,
              outcomes[row.id])) for row in calling],
            timeout,
        )  # fmt: skip
        for row, result in zip(calling, results, strict=True):
            outcomes[row.id] = _after_call(row, outcomes[row.id], result, endpoint)
        written = self._write(rows, outcomes, self.clock())
        return SnapshotResult(target, written=written, calls=len(calling))

    def target_failed(self, target: str, error: DriverError) -> None:
        """Tell the region's due snapshots why nothing happens (in the error's public
        words), and back them off."""
        now = self.clock()
        with self.store.read() as session:
            repository = SnapshotRepository(session)
            rows = [_Read.of(row) for row in repository.due_in(target, now)]
            region = repository.region(target)
            endpoint = region.endpoint if region is not None else ""
        if not rows:
            return
        failed = _public(error, endpoint, prefix=f"region {target}: ")
        self._write(rows, dict.fromkeys((row.id for row in rows), failed), now)

    def error_result(self, target: str, message: str) -> SnapshotResult:
        """A failed pass over a region."""
        return SnapshotResult(target, error=message)

    def close(self) -> None:
        """Nothing of its own: the drivers and the call pool are the assembly controller's."""

    # -- writing --

    def _write(self, rows: Sequence[_Read], outcomes: Mapping[str, Outcome], now: float) -> int:
        """Write every outcome and its event in one transaction; announce the events once
        it committed. How many snapshots were written."""
        recorded: list[tuple[Event, str | None]] = []
        written = 0
        with self.store.write() as session:
            repository, events = SnapshotRepository(session), EventRepository(session)
            for row in rows:
                outcome = outcomes[row.id]
                if isinstance(outcome, DriverError):
                    written += self._retry(repository, row, outcome, now)
                    continue
                done, event = self._apply(repository, row, outcome, now)
                written += done
                if event is not None:
                    events.add(row.project_id, [event])
                    recorded.append((event, row.project_id))
            names = repository.project_names(p for _, p in recorded if p) if recorded else {}
        announce(self.plugins, [(attrs.evolve(e, project=names.get(p or "")), p)
                                for e, p in recorded])  # fmt: skip
        return written

    def _apply(
        self, repository: SnapshotRepository, row: _Read, step: plan.Step, now: float
    ) -> tuple[bool, Event | None]:
        """Write one step; the event of the change it made, if it made one."""
        if step.remove:
            if not repository.remove(row.id):
                return False, None
            return True, _event(row, "SnapshotDeleted", step.message)
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
            return changed, None
        if phase is SnapshotPhase.AVAILABLE:
            return True, _event(row, "SnapshotCreated", image_id)
        if phase is SnapshotPhase.FAILED:
            return True, _event(row, "SnapshotFailed", step.message)
        return True, None

    def _retry(
        self, repository: SnapshotRepository, row: _Read, error: DriverError, now: float
    ) -> bool:
        """Leave the snapshot where it is, saying why, due again after a backoff."""
        delay = retry_delay(row.attempts, base=self.settings.backoff_base,
                            cap=self.settings.backoff_cap, rng=self.rng, error=error)  # fmt: skip
        retry = Retry.after(delay, now)
        return repository.advance(
            row.id, row.phase.value, row.deleting, attempts=row.attempts + 1, due_at=retry.at,
            message=f"{error.message} {retry.text()}",
        )  # fmt: skip

    def _recheck(self, row: _Read, now: float) -> float:
        """Seconds before an image being made is looked at again: `poll` at first, then a
        quarter of its age (a slow cloud is asked less often), at most `resync`."""
        return min(self.settings.resync, max(self.settings.poll, (now - row.created_at) / 4))


def _call_of(outcome: Outcome) -> plan.Call | None:
    return outcome.call if isinstance(outcome, plan.Step) else None


def _cloud_call(driver: Driver, row: _Read, outcome: Outcome) -> Callable[[], Any]:
    """The driver call a step asks for."""
    assert isinstance(outcome, plan.Step)
    if outcome.call is plan.Call.SNAPSHOT:
        return lambda: driver.snapshot(row.instance_cloud_id, row.id)
    image_id = outcome.image_id
    return lambda: driver.delete_snapshot(image_id)


def _after_call(row: _Read, step: Outcome, result: Any, endpoint: str) -> Outcome:
    """What a cloud call's answer (or error) makes of the snapshot."""
    assert isinstance(step, plan.Step)
    if not isinstance(result, DriverError):
        if step.call is plan.Call.SNAPSHOT:
            assert isinstance(result, CloudImage)
            return plan.made(result)
        return plan.Step(remove=True)
    public = _public(result, endpoint)
    log.info("snapshot %s (%s): %s: %s", row.id, step.call, result.reason, loggable(result.message))
    if not isinstance(result, TerminalError):  # transient, or the driver unavailable: retry
        return public
    if step.call is plan.Call.SNAPSHOT:
        return plan.Step(phase=SnapshotPhase.FAILED, message=public.message)
    return plan.Step(remove=True, message=f"the cloud refused to delete image {step.image_id} "
                     f"({public.message}); it was left in the cloud")  # fmt: skip


def _region_gone(row: _Read) -> plan.Step:
    """The step of a snapshot whose region no longer exists."""
    why = f"region {row.region} no longer exists"
    if row.deleting:
        return plan.Step(remove=True, message=f"{why}; its image, if any, was left in the cloud")
    return plan.Step(phase=SnapshotPhase.FAILED, message=why)


def _public(error: DriverError, endpoint: str, prefix: str = "") -> DriverError:
    """A copy of `error` whose message is what users may read (`redact`), after `prefix`."""
    copy = public_error(error, endpoints=(endpoint,))
    if prefix:
        copy.message = prefix + copy.message
        copy.args = (copy.message,)
    return copy


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
