"""What the controllers of resources held in a region's cloud share: snapshots and disks.

Their targets are regions; a pass over a region (`RegionalController.run_target`)
reads the region's due rows, gets the region's driver from the assembly
controller's `RegionDrivers` (one driver per region in a process), lists the
region's resources once, decides each row with the controller's pure plan, makes
the cloud calls the plan asks for through the assembly controller's `CallPool`
(bounded in number and time, counted), turns each answer into what to write, and
writes every outcome in one transaction (`_write`, the controller's own). A call
that fails transiently leaves the row where it was, saying why, due again after the
runtime's backoff (`retry`); a listing that fails fails the whole pass, and the
runtime backs the region off and tells its due rows (`target_failed`). A region
deleted meanwhile gives each row the controller's `_region_gone` step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import pluggy

from vertice_core.errors import DriverError
from vertice_core.hooks import announce
from vertice_core.model.status import Event
from vertice_core.reconcile.status import Retry
from vertice_core.redact import public_error
from vertice_core.runtime import CallPool, Due, retry_delay
from vertice_core.store import Store
from vertice_core.store.repositories import EventRepository, ProjectRepository

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from vertice_core.driver import Driver
    from vertice_core.reconcile.drivers import RegionDrivers
    from vertice_core.reconcile.settings import ReconcilerSettings
    from vertice_core.store.tables import RegionRow


@attrs.frozen
class RegionPass:
    """What a pass over a region's resources did."""

    region: str
    busy: bool = False
    error: str | None = None
    #: Rows whose status or row was written, and cloud calls made.
    written: int = 0
    calls: int = 0


class Read(Protocol):
    """A due row as a pass read it."""

    @property
    def id(self) -> str: ...

    @property
    def project_id(self) -> str: ...

    def seen(self, now: float) -> Any:
        """What the plan decides on: the row as of `now`."""


class Step(Protocol):
    """A plan's step: the cloud call it asks for, if one (a `StrEnum` of the driver's verb)."""

    @property
    def call(self) -> Any: ...


R = TypeVar("R", bound=Read)
S = TypeVar("S", bound=Step)
#: What became of one row in a pass: a step to write, or the error to retry after.
Outcome = Any


class RegionalController(Generic[R, S]):
    """The pass over a region's resources (see the module's docstring); a subclass gives
    its table's reads and writes, its listing and its plan."""

    name: str
    #: The driver's listing verb (`snapshots`, `disks`).
    listing_verb: str

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

    # -- what a subclass gives --

    def _work(self, connection: Connection, now: float) -> list[tuple[str, int, float | None]]:
        """Per region with work: its name, how many rows are due at `now`, the earliest due
        time among those (polled at every idle wait: read on the DBAPI cursor)."""
        raise NotImplementedError

    def _read(self, target: str, now: float) -> tuple[list[R], RegionRow | None]:
        """The region's due rows, and the region (None: deleted)."""
        raise NotImplementedError

    #: The controller's pure plan: a module with `listing(found)` (the region's listing
    #: as `decide` takes it) and `decide(seen, listed, grace)`.
    plan: Any

    def _decide(self, row: R, listed: Any, now: float) -> S:
        step: S = self.plan.decide(row.seen(now), listed, self.settings.grace)
        return step

    def _cloud_call(self, driver: Driver, row: R, step: S) -> Callable[[], Any]:
        raise NotImplementedError

    def _after_call(self, row: R, step: S, result: Any, endpoint: str) -> Outcome:
        """What a call's answer (or `DriverError`) makes of the row."""
        raise NotImplementedError

    def _region_gone(self, row: R) -> S:
        raise NotImplementedError

    def _apply(self, session: Session, row: R, step: S, now: float) -> tuple[bool, list[Event]]:
        """Write one step; whether it wrote, and the events of the changes it made."""
        raise NotImplementedError

    def _retry(self, session: Session, row: R, error: DriverError, now: float) -> bool:
        """Leave the row where it is, saying why, due again after a backoff (`retry`)."""
        raise NotImplementedError

    def _listing(self, found: Any) -> Any:
        """The region's listing as `_decide` takes it."""
        return self.plan.listing(found)

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        """The regions with work, and how many rows are due in each."""
        with self.store.connect() as connection:
            work = self._work(connection, now)
        counts = {region: count for region, count, _ in work if count}
        oldest = min((at for _, count, at in work if count and at is not None), default=None)
        return Due(targets=[region for region, _, _ in work], counts=counts, oldest=oldest)

    def run_target(self, target: str) -> RegionPass:
        """One pass over the region `target` (raises DriverError when its driver cannot be
        had or its resources cannot be listed)."""
        now = self.clock()
        rows, region = self._read(target, now)
        if not rows:
            return RegionPass(target)
        if region is None:  # the region was deleted: nothing can be made or deleted there
            gone = {row.id: self._region_gone(row) for row in rows}
            return RegionPass(target, written=self._write(rows, gone, now))
        endpoint, cloud_type = region.endpoint, region.cloud_type
        driver = self.drivers.get(region)  # the assembly controller's, built on first use
        timeout = self.settings.call_timeout
        lister = getattr(driver, self.listing_verb)
        listed = self._listing(self.calls.run(cloud_type, self.listing_verb, lister, timeout))
        steps = {row.id: self._decide(row, listed, now) for row in rows}
        calling = [row for row in rows if steps[row.id].call is not None]
        results = self.calls.run_all(
            [(cloud_type, str(steps[row.id].call), self._cloud_call(driver, row, steps[row.id]))
             for row in calling],
            timeout,
        )  # fmt: skip
        outcomes: dict[str, Outcome] = dict(steps)
        for row, result in zip(calling, results, strict=True):
            outcomes[row.id] = self._after_call(row, steps[row.id], result, endpoint)
        written = self._write(rows, outcomes, self.clock())
        return RegionPass(target, written=written, calls=len(calling))

    def target_failed(self, target: str, error: DriverError) -> None:
        """Tell the region's due rows why nothing happens (in the error's public words),
        and back them off."""
        now = self.clock()
        rows, region = self._read(target, now)
        if not rows:
            return
        endpoint = region.endpoint if region is not None else ""
        failed = public_error(error, endpoints=(endpoint,), prefix=f"region {target}: ")
        self._write(rows, dict.fromkeys((row.id for row in rows), failed), now)

    def error_result(self, target: str, message: str) -> RegionPass:
        """A failed pass over a region."""
        return RegionPass(target, error=message)

    def close(self) -> None:
        """Nothing of its own: the drivers and the call pool are the assembly controller's."""

    # -- writing --

    def _write(self, rows: Sequence[R], outcomes: Mapping[str, Outcome], now: float) -> int:
        """Write every outcome and its events (on the row's project) in one transaction;
        announce the events to the plugins once it committed. How many rows were written."""
        recorded: list[tuple[Event, str]] = []
        written = 0
        with self.store.write() as session:
            events = EventRepository(session)
            for row in rows:
                outcome = outcomes[row.id]
                if isinstance(outcome, DriverError):
                    written += self._retry(session, row, outcome, now)
                    continue
                done, news = self._apply(session, row, outcome, now)
                written += done
                if news:
                    events.add(row.project_id, news)
                    recorded += [(event, row.project_id) for event in news]
            found = ProjectRepository(session).by_ids(sorted({p for _, p in recorded}))
            names = {project.id: project.name for project in found}
        announce(self.plugins, [(attrs.evolve(e, project=names.get(p)), p) for e, p in recorded])
        return written

    def retry(self, attempts: int, error: DriverError, now: float) -> tuple[float, str]:
        """When a row whose call failed with `error` (after `attempts` earlier failures) is
        tried again, and its message saying so."""
        delay = retry_delay(attempts, base=self.settings.backoff_base,
                            cap=self.settings.backoff_cap, rng=self.rng, error=error)  # fmt: skip
        retry = Retry.after(delay, now)
        return retry.at, f"{error.message} {retry.text()}"
