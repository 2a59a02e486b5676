"""The scaler controller: one target, the installation's Prometheus; each pass decides every scaler.

A pass (`ScalerController.run_target`) reads every scaler with its assembly
(rows first), queries Prometheus once per scaler through the `CallPool` (bounded
in number and time), decides each with the pure `scaling.plan.decide`, and in
one transaction changes the replicas that must change **through the service
layer** (`AssemblyService.scale`, as `PATCH /replicas` does: the same checks,
admission hooks and generation bump, made from the generation the pass read, so
a change someone made meanwhile wins), records a `ScaledUp`/`ScaledDown` event
with the metric's value and the old and new counts, and writes the statuses
that changed.

No value (Prometheus unreachable or not configured, an empty or ambiguous
result, an invalid query) holds the replicas and says why in `ScalingActive`.
The recommendation history the windows need is persisted with the scaler, so a
restarted reconciler decides as the one before would have; it is written when
its recommendations change, or its newest entry is `PERSIST_EVERY` seconds old.

Passes need no leases: two reconcilers deciding the same scaler both scale from
the generation they read, and the second is refused (`StaleVersion`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.convert import format_time
from vertice_core.errors import DriverError, VerticeError
from vertice_core.metrics import Metrics
from vertice_core.model.scaler import Behaviour, TargetType
from vertice_core.model.status import Event, EventType
from vertice_core.runtime import CallPool, Due
from vertice_core.runtime.conditions import condition, conditions_of, status_digest
from vertice_core.scaling.plan import Condition, Decision, Reading, Recommendation, decide
from vertice_core.scaling.prometheus import Prometheus
from vertice_core.service.assemblies import AssemblyService
from vertice_core.service.caller import Caller
from vertice_core.service.context import ServiceContext
from vertice_core.store import Store
from vertice_core.store.repositories import EventRepository, ScalerRepository
from vertice_core.store.tables import AssemblyRow, ScalerRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("vertice.scalers")

#: The target a controller without a Prometheus reports (its scalers say none is configured).
NO_PROMETHEUS = "(no prometheus)"
#: Seconds after which an unchanged history is written again (its newest entry's time).
PERSIST_EVERY = 30.0


@attrs.frozen
class ScalerResult:
    """What a pass over the scalers did."""

    prometheus: str
    busy: bool = False
    error: str | None = None
    scaled: int = 0
    held: int = 0
    written: int = 0


@attrs.frozen
class _Verdict:
    """What a pass decided for one scaler (`decision` None: there was nothing to decide)."""

    row: ScalerRow
    current: int | None
    reading: Reading
    decision: Decision | None
    conditions: tuple[Condition, ...]


class ScalerController:
    """Scalers made to drive their assemblies' replicas (see the module's docstring)."""

    name = "scalers"

    def __init__(
        self,
        store: Store,
        *,
        prometheus: Prometheus | None,
        service: ServiceContext,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        call_timeout: float = 10.0,
        workers: int = 8,
    ) -> None:
        self.store = store
        self.prometheus = prometheus
        self.assemblies = AssemblyService(service)
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not security
        self.calls = CallPool(workers, metrics)
        self.call_timeout = call_timeout
        #: Per scaler, its recommendations as this process last decided them (the row's
        #: copy may be up to PERSIST_EVERY seconds older).
        self._history: dict[str, tuple[Recommendation, ...]] = {}

    @property
    def target_name(self) -> str:
        return self.prometheus.url if self.prometheus is not None else NO_PROMETHEUS

    # -- the runtime's contract --

    def due(self, now: float) -> Due:
        """The Prometheus, and how many scalers changed or are due (the resync does the rest)."""
        with self.store.connect() as connection:
            due = ScalerRepository.due(connection, now)
        counts = {self.target_name: int(due.due)} if due.due else {}
        oldest = float(due.oldest) if due.oldest is not None else None
        return Due(targets=[self.target_name], counts=counts, oldest=oldest)

    def run_target(self, target: str) -> ScalerResult:
        """One pass over every scaler (see the module's docstring)."""
        rows, assemblies = self._read()
        readings = self._query(rows)
        now = self.clock()
        verdicts = [self._verdict(row, assemblies.get(row.assembly_id), readings[row.id], now)
                    for row in rows]  # fmt: skip
        self._history = {r.id: self._history[r.id] for r in rows if r.id in self._history}
        scaled, written = self._write(verdicts, assemblies, now)
        held = sum(1 for v in verdicts if v.decision is None or v.reading.value is None)
        return ScalerResult(target, scaled=scaled, held=held, written=written)

    def target_failed(self, target: str, error: DriverError) -> None:
        """Nothing to record: a failed query is one scaler's `Reading`, not the target's."""

    def error_result(self, target: str, message: str) -> ScalerResult:
        return ScalerResult(target, error=message)

    def close(self) -> None:
        self.calls.shutdown()
        if self.prometheus is not None:
            self.prometheus.close()

    # -- reading and deciding --

    def _read(self) -> tuple[list[ScalerRow], dict[str, AssemblyRow]]:
        with self.store.read() as session:
            repo = ScalerRepository(session)
            rows = list(repo.all())
            assemblies = repo.assemblies(r.assembly_id for r in rows)
            session.expunge_all()
        return rows, assemblies

    def _query(self, rows: list[ScalerRow]) -> dict[str, Reading]:
        """Each scaler's value now (one query each, a few at a time)."""
        if self.prometheus is None:
            why = "no Prometheus is configured (VERTICE_PROMETHEUS_URL, see docs/autoscaling.md)"
            return {row.id: Reading(None, "NoPrometheus", why) for row in rows}
        read = self.prometheus.read
        calls = [("prometheus", "query", _reader(read, row.query)) for row in rows]
        results = self.calls.run_all(calls, self.call_timeout) if calls else []
        readings = {}
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, DriverError):
                why = f"Prometheus at {self.target_name} does not answer: {result.message}"
                readings[row.id] = Reading(None, "PrometheusUnreachable", why)
            else:
                readings[row.id] = result
        return readings

    def _verdict(
        self, row: ScalerRow, assembly: AssemblyRow | None, reading: Reading, now: float
    ) -> _Verdict:
        if assembly is None or assembly.desired_state == "deleted":
            why = "the assembly is gone" if assembly is None else "the assembly is being deleted"
            gone = (Condition("AbleToScale", False, "AssemblyGone", why),
                    Condition("ScalingActive", False, reading.reason, reading.message or why),
                    Condition("ScalingLimited", False, "DesiredWithinRange", why))  # fmt: skip
            return _Verdict(row, None, reading, None, gone)
        history = self._history.get(row.id)
        if history is None:
            history = tuple(Recommendation(float(at), int(n)) for at, n in row.history or [])
        decision = decide(_behaviour(row), assembly.replicas, reading, history, now,
                          row.last_scale_at)  # fmt: skip
        self._history[row.id] = decision.history
        return _Verdict(row, assembly.replicas, reading, decision, decision.conditions)

    # -- acting and writing --

    def _write(
        self, verdicts: list[_Verdict], assemblies: Mapping[str, AssemblyRow], now: float
    ) -> tuple[int, int]:
        """Scale, record events and write the statuses that changed (one transaction)."""
        scaled = written = 0
        with self.store.write() as session:
            repo, events = ScalerRepository(session), EventRepository(session)
            for verdict in verdicts:
                row, decision, conditions = verdict.row, verdict.decision, verdict.conditions
                last, replicas = row.last_scale_at, verdict.current
                if decision is not None and verdict.current is not None and \
                        decision.changed(verdict.current):  # fmt: skip
                    failure = self._scale(session, row, assemblies[row.assembly_id], decision)
                    if failure is None:
                        scaled, last, replicas = scaled + 1, now, decision.replicas
                        events.add(row.project_id, [_event(verdict, decision.replicas)])
                    else:
                        conditions = (Condition("AbleToScale", False, "FailedUpdateScale",
                                                failure), *conditions[1:])  # fmt: skip
                status = self._status(verdict, conditions, last, replicas)
                flip = _activity_event(row, status)
                if flip is not None:
                    events.add(row.project_id, [flip])
                values = self._changes(row, status, decision, last)
                if values:
                    written += repo.write_status(row.id, row.generation, **values)
        return scaled, written

    def _scale(
        self, session: Session, row: ScalerRow, assembly: AssemblyRow, d: Decision
    ) -> str | None:
        """Declare the new replicas as the scaler's project would; why not, if refused."""
        caller = Caller(user_id="", name=f"scaler {row.id}", admin=False,
                        project_ids=(row.project_id,))  # fmt: skip
        try:
            with session.begin_nested():
                self.assemblies.scale(session, caller, assembly.id, d.replicas,
                                      expected=[assembly.generation])  # fmt: skip
        except VerticeError as exc:
            log.info("scaler %s: not scaled: %s", row.id, exc.description)
            return f"the assembly could not be scaled: {exc.description}"
        return None

    def _status(
        self,
        v: _Verdict,
        conditions: tuple[Condition, ...],
        last: float | None,
        replicas: int | None,
    ) -> dict[str, Any]:
        """The status document: the value, the decision and the conditions (their transition
        times kept); `replicas` is what the assembly now declares."""
        before = conditions_of(v.row.status)
        return {
            "observed_generation": v.row.generation,
            "value": v.reading.value,
            "recommended": v.decision.recommended if v.decision is not None else None,
            "replicas": replicas,
            "last_scale_time": _time(last),
            "prometheus": self.target_name,
            "conditions": [condition(before.get(c.type), c.type, c.status, c.reason, c.message)
                           for c in conditions],
        }  # fmt: skip

    def _changes(
        self, row: ScalerRow, status: dict[str, Any], d: Decision | None, last: float | None
    ) -> dict[str, Any]:
        """The columns to write (none when nothing changed but the clock)."""
        values: dict[str, Any] = {}
        digest = status_digest(status)
        if digest != row.status_digest or row.observed_generation != row.generation:
            values.update(status=status, status_digest=digest)
        if last != row.last_scale_at:
            values["last_scale_at"] = last
        if d is not None and _stale(row.history or [], d.history):
            values["history"] = [[r.at, r.replicas] for r in d.history]
        if values:
            values.update(due_at=None, attempts=0)
        return values


def _behaviour(row: ScalerRow) -> Behaviour:
    return Behaviour(
        min=row.min_replicas, max=row.max_replicas, target=row.target,
        target_type=TargetType(row.target_type), tolerance=row.tolerance,
        scale_up_window=row.scale_up_window, scale_down_window=row.scale_down_window,
        cooldown=row.cooldown, max_step=row.max_step,
    )  # fmt: skip


def _stale(stored: list[Any], history: tuple[Recommendation, ...]) -> bool:
    """Whether the stored history lags what was decided: other recommendations, or old."""
    if [int(n) for _, n in stored] != [r.replicas for r in history]:
        return True
    return bool(history) and history[-1].at - float(stored[-1][0]) >= PERSIST_EVERY


def _event(v: _Verdict, new: int) -> Event:
    old, value = v.current, v.reading.value
    up = v.current is not None and new > v.current
    kind = f"{v.row.target_type} {v.row.target:g}"
    return Event(
        time=datetime.now(UTC), type=EventType.NORMAL, reason="ScaledUp" if up else "ScaledDown",
        message=f"scaler {v.row.id}: {old} -> {new} replicas (metric {value:g}, target {kind})",
        assembly_id=v.row.assembly_id,
    )  # fmt: skip


def _activity_event(row: ScalerRow, status: Mapping[str, Any]) -> Event | None:
    """An event when the scaler stops (or starts again) having a metric to act on."""
    was = conditions_of(row.status).get("ScalingActive")
    now = conditions_of(status)["ScalingActive"]
    if now["status"] == (was or {}).get("status", "True"):
        return None
    active = now["status"] == "True"
    return Event(
        time=datetime.now(UTC), type=EventType.NORMAL if active else EventType.WARNING,
        reason="ScalingActive" if active else "ScalingInactive",
        message=f"scaler {row.id}: {now['message']}", assembly_id=row.assembly_id,
    )  # fmt: skip


def _time(epoch: float | None) -> str | None:
    return format_time(datetime.fromtimestamp(epoch, UTC)) if epoch is not None else None


def _reader(read: Callable[[str], Reading], query: str) -> Callable[[], Reading]:
    return lambda: read(query)
