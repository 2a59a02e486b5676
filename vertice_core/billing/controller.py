"""The meter: one target (`meter`) on the controller runtime; each pass meters the hours
that closed since the last, then applies the balance policy.

**Metering.** The hours from the watermark (`BillingRepository.watermark`) to the last
one that closed `settle` seconds ago are metered one at a time, at most `batch` per
pass (a meter that was down catches up over a few passes). Each hour is one
transaction: lock the watermark, read the spans that overlap the hour, replace the
hour's usage records with `meter.meter`'s lines, advance the watermark. A meter killed
in the middle of an hour leaves that hour as it was; the next pass meters it whole.
An hour metered again (`remeter`) gives the same records: they are computed from
the status history alone.

**The balance policy** (`policy`) is applied to every project after metering, when
the operator set a warning threshold or enforcement: standings that change are
recorded with an event each (announced to the plugins once committed); a project
that reaches `stopped` or `deleted` has its assemblies of priced flavors declared
stopped or deleted through the service layer (as `PATCH` and `DELETE` would), by a
caller named `balance policy`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs
import pluggy

from vertice_core.billing import policy
from vertice_core.billing.meter import HOUR, Span, hour_of, meter
from vertice_core.errors import DriverError, VerticeError
from vertice_core.hooks import announce
from vertice_core.model.status import Event, EventType
from vertice_core.runtime import Due
from vertice_core.service.assemblies import AssemblyService
from vertice_core.service.billing import ProjectBalance, balances_of, money
from vertice_core.service.caller import Caller
from vertice_core.service.context import ServiceContext
from vertice_core.store import Store
from vertice_core.store.repositories import EventRepository, ProjectRepository
from vertice_core.store.repositories.billing import BillingRepository, assemblies_of, price_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.store.tables import FlavorRow

log = logging.getLogger("vertice.billing")

TARGET = "meter"
#: Seconds between passes when nothing is due (the policy is looked at this often).
INTERVAL = 60.0
#: Seconds after an hour's end before it is metered: the passes running when it ended
#: have written their spans by then (a pass's writes carry the time it started).
SETTLE = 300.0
#: The most hours one pass meters.
BATCH = 24
#: The patch that stops an assembly.
STOP = {"op": "replace", "path": "/desired_state", "value": "stopped"}


@attrs.frozen
class MeterResult:
    """What a pass of the meter did."""

    target: str
    busy: bool = False
    error: str | None = None
    hours: int = 0
    standings: int = 0


class MeterController:
    """See the module's docstring."""

    name = "meter"

    def __init__(
        self,
        store: Store,
        *,
        service: ServiceContext,
        settings: policy.PolicySettings | None = None,
        plugins: pluggy.PluginManager | None = None,
        clock: Callable[[], float] = time.time,
        interval: float = INTERVAL,
        settle: float = SETTLE,
        batch: int = BATCH,
    ) -> None:
        self.store, self.clock = store, clock
        self.settings = settings or policy.PolicySettings()
        self.assemblies = AssemblyService(service)
        self.plugins = plugins if plugins is not None else service.plugins
        self.interval, self.settle, self.batch = interval, settle, batch
        self._next = 0.0

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        return Due(targets=[TARGET], counts={TARGET: 1} if now >= self._next else {})

    def run_target(self, target: str) -> MeterResult:
        """Meter the closed hours (a batch), then apply the balance policy."""
        now = self.clock()
        hours = self.meter_closed(now)
        behind = self._behind(now)
        self._next = now if behind else now + self.interval
        changed = self.apply_policy(now) if self._policy_on else 0
        return MeterResult(target, busy=behind, hours=hours, standings=changed)

    def target_failed(self, target: str, error: DriverError) -> None:
        """Nothing to record."""

    def error_result(self, target: str, message: str) -> MeterResult:
        return MeterResult(target, error=message)

    def close(self) -> None:
        """Nothing held."""

    # -- metering --

    def meter_closed(self, now: float) -> int:
        """Meter the hours that closed `settle` seconds before `now`, at most `batch`;
        how many were metered. The spans of the batch are read once; each hour is then
        written in its own transaction, from the watermark it finds there."""
        last = hour_of(now - self.settle)  # the first hour not closed yet
        with self.store.read() as session:
            repository = BillingRepository(session)
            first = self._start(repository, lock=False)
            if first is None or first >= last:
                return 0
            end = min(last, first + self.batch * HOUR)
            spans = repository.spans(first, end)
            flavors = repository.prices()
        done = 0
        for hour in range(first, end, HOUR):
            with self.store.write() as session:
                repository = BillingRepository(session)
                if self._start(repository, lock=True) != hour:
                    break  # another reconciler metered it meanwhile
                write_hour(repository, hour, spans, flavors)
                repository.set_watermark(hour + HOUR)
            done += 1
        return done

    def remeter(self, start: float, end: float) -> int:
        """Meter the hours of `[start, end)` again (see `remeter`)."""
        return remeter(self.store, start, end)

    def _start(self, repository: BillingRepository, *, lock: bool) -> int | None:
        """The first hour to meter: the watermark, else the hour the history begins."""
        until = repository.watermark(lock=lock)
        if until is not None:
            return until
        first = repository.first_span_start()
        return hour_of(first) if first is not None else None

    def _behind(self, now: float) -> bool:
        with self.store.read() as session:
            hour = self._start(BillingRepository(session), lock=False)
        return hour is not None and hour < hour_of(now - self.settle)

    # -- the balance policy --

    @property
    def _policy_on(self) -> bool:
        return self.settings.enforce or self.settings.warn_below is not None

    def apply_policy(self, now: float) -> int:
        """Record every project's standing that changed, act on it; how many changed."""
        recorded: list[tuple[Event, str | None]] = []
        with self.store.write() as session:
            repository = BillingRepository(session)
            repository.watermark(lock=True)  # one reconciler at a time: events once
            projects = [(p.id, p.name) for p in ProjectRepository(session).all()]
            for found in balances_of(repository, projects):
                before = policy.Standing(found.standing, found.exhausted_since)
                after = policy.standing(found.lowest / 1e6, before, now, self.settings)
                if after == before:
                    continue
                repository.put_standing(found.project_id, after.state, after.exhausted_since)
                if after.state != before.state:
                    self._act(session, found, after.state)
                    event = self._event(found, after.state)
                    EventRepository(session).add(found.project_id, [event])
                    recorded.append((event, found.project_id))
        announce(self.plugins, recorded)
        return len(recorded)

    def _act(self, session: Session, found: ProjectBalance, state: str) -> None:
        """Stop the project's running assemblies of priced flavors, or delete those priced
        running or stopped."""
        if state not in (policy.STOPPED, policy.DELETED):
            return
        caller = Caller(user_id="", name="balance policy", admin=True,
                        project_ids=(found.project_id,))  # fmt: skip
        flavors = BillingRepository(session).prices()
        for row in assemblies_of(session, [found.project_id]):
            price = price_of(flavors.get(row.flavor_name), row.region_name)
            if price is None:
                continue
            stop = state == policy.STOPPED
            if stop and (row.desired_state != "running" or price.running <= 0):
                continue
            if not stop and price.running <= 0 and price.stopped <= 0:
                continue
            try:
                with session.begin_nested():
                    if stop:
                        self.assemblies.patch(session, caller, row.id, [STOP])
                    else:
                        self.assemblies.delete(session, caller, row.id, force=True)
            except VerticeError as exc:
                log.warning("balance policy: assembly %s (%s) not %s: %s", row.name, row.id,
                            state, exc.description)  # fmt: skip

    def _event(self, found: ProjectBalance, state: str) -> Event:
        kind, reason = policy.EVENTS[state]
        low = min(found.currencies, key=lambda c: c.balance, default=None)
        shown = f"{money(found.lowest)} {low.currency if low else 'USD'}"
        return Event(
            time=datetime.now(UTC), type=EventType(kind), reason=reason,
            message=policy.message(state, found.project, shown, self.settings),
            project=found.project,
        )  # fmt: skip


def remeter(store: Store, start: float, end: float) -> int:
    """Meter the hours of `[start, end)` again, up to the watermark, and say how many: an
    operator's repair after a flavor's price was corrected (`vertice db remeter`). Each
    hour is its own transaction, as when it was first metered."""
    done = 0
    hour = hour_of(start)
    while hour < end:
        with store.write() as session:
            repository = BillingRepository(session)
            until = repository.watermark(lock=True)
            if until is None or hour >= until:
                return done
            spans = repository.spans(hour, hour + HOUR)
            write_hour(repository, hour, spans, repository.prices())
        hour += HOUR
        done += 1
    return done


def write_hour(
    repository: BillingRepository,
    hour: int,
    spans: Sequence[Span],
    flavors: Mapping[str, FlavorRow],
) -> None:
    """Replace the usage records of `hour` with what `spans` cost in it."""
    lines = meter(spans, hour, lambda flavor, region: price_of(flavors.get(flavor), region))
    repository.replace_hour(hour, lines)
    log.debug("metered the hour of %s: %d usage records", _iso(hour), len(lines))


def _iso(hour: int) -> str:
    return datetime.fromtimestamp(hour, UTC).isoformat()
