"""The reconciler's side of the assemblies table: due work, leases, status writes.

Written with SQLAlchemy Core and in batches: a pass over a region reads all of
its assemblies in one query, claims the ones that need work in a few
`UPDATE ... RETURNING` statements, and writes every outcome with one
executemany. Nothing is written for an assembly whose status did not change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

import attrs
from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from vertice_core.store.bulk import insert_rows, update_rows
from vertice_core.store.fastread import NOW, FastQuery
from vertice_core.store.leases import Leases, chunked
from vertice_core.store.repositories.placements import PlacementRepository
from vertice_core.store.repositories.routes import serving_by_assembly
from vertice_core.store.repositories.slots import InstanceSlot, SlotChanges, SlotRows
from vertice_core.store.repositories.spans import SpanRows
from vertice_core.store.tables import (
    AssemblyRow,
    EventRow,
    FlavorRow,
    InstanceRow,
    LeaseRow,
    PlanRow,
    ProjectRow,
    RegionRow,
    RouteRow,
    utcnow,
)

ASSEMBLIES = cast(Table, AssemblyRow.__table__)
EVENTS = cast(Table, EventRow.__table__)
LEASES = cast(Table, LeaseRow.__table__)
INSTANCES = cast(Table, InstanceRow.__table__)
_A = ASSEMBLIES.c
_I = INSTANCES.c
_R = cast(Table, RouteRow.__table__).c
_LEASES = Leases(LEASES, LEASES.c.assembly_id)
_REGIONS = cast(Table, RegionRow.__table__)

#: What the assembly controller reads at every idle wait, on the DBAPI cursor
#: (`fastread`): every column of every region (compared with the last look, so the
#: region rows are loaded only when one changed) and the earliest due time.
_REGION_MARK = FastQuery(select(_REGIONS).order_by(_REGIONS.c.name))
_OLDEST_DUE = FastQuery(select(func.min(_A.due_at).label("due_at")).where(_A.due_at <= NOW))


@attrs.frozen
class WorkItem:
    """The columns the planner needs about one assembly (no spec documents), and the
    rows of its instances in ordinal order."""

    id: str
    project_id: str
    #: The assembly's name (what the log says besides its id).
    name: str
    generation: int
    observed_generation: int
    desired_state: str
    restart_count: int
    restarts_done: int
    replicas: int
    phase: str
    attempts: int
    due_at: float | None
    status_digest: str
    ready: bool | None
    ready_since: float | None
    synced: bool | None
    synced_since: float | None
    replace_count: int
    #: Whether the assembly declares a probe.
    probed: bool = False
    #: Whether the assembly has a placement (instances in several regions).
    placed: bool = False
    #: Of an assembly built from source with no release yet: why it waits (see
    #: `AssemblyRow.build_wait`); None otherwise.
    build_wait: str | None = None
    #: The declared flavor: instances running another are resized to it (where the
    #: region's driver claims `resize`).
    flavor_name: str = ""
    #: How restarts and stops are carried out: `soft` or `hard`.
    restart_mode: str = "soft"
    stop_mode: str = "soft"
    slots: tuple[InstanceSlot, ...] = ()

    @classmethod
    def of(cls, row: Sequence[Any], slots: tuple[InstanceSlot, ...] = ()) -> WorkItem:
        """A work item from a row of the work columns and the assembly's instance rows."""
        return cls(*row, slots)  # type: ignore[call-arg]  # the row holds every other field


_FLAGS = {"probed": _A.probe.is_not(None), "placed": _A.placement.is_not(None)}
_WORK_COLUMNS = [
    _FLAGS[f.name].label(f.name) if f.name in _FLAGS else getattr(_A, f.name)
    for f in attrs.fields(WorkItem)
    if f.name != "slots"
]

#: Every assembly homed in a region, read on the cursor (`fastread`): a pass reads them
#: all, ten thousand rows where SQLAlchemy's `Row` objects cost more than the query.
_REGION_ROWS = FastQuery(select(*_WORK_COLUMNS).where(_A.region_name == bindparam("region")))


@attrs.frozen
class SpecRow:
    """What a create needs about one assembly, besides its plan and flavor."""

    id: str
    name: str
    project_id: str
    plan_name: str
    flavor_name: str
    spec: dict[str, Any]


@attrs.frozen
class StatusWrite:
    """One assembly's new status and bookkeeping, written at the end of a pass."""

    id: str
    #: The generation the pass planned with; becomes `observed_generation`.
    generation: int
    phase: str
    reason: str
    message: str
    status: dict[str, Any]
    status_digest: str
    attempts: int
    due_at: float | None
    restarts_done: int
    ready: bool
    ready_since: float
    synced: bool
    synced_since: float
    #: What changed in the assembly's instance rows (None: nothing).
    slots: SlotChanges | None = None


class WorkRepository:
    """Queries and batched writes of the reconcile loop (SQLAlchemy Core, no ORM)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> Connection:
        # Core statements on the session's connection: the ORM's bulk machinery would
        # only add work to executemany of plain rows.
        return self.session.connection()

    def regions(self) -> Sequence[RegionRow]:
        """Every configured region."""
        return self.session.scalars(select(RegionRow).order_by(RegionRow.name)).all()

    def due_regions(self, now: float) -> dict[str, int]:
        """Regions with assemblies due by `now`, and how many."""
        rows = self._db.execute(
            select(_A.region_name, func.count()).where(_A.due_at <= now).group_by(_A.region_name)
        )
        counts = {str(region): int(count) for region, count in rows}
        for region, count in PlacementRepository(self.session).due_regions(now).items():
            counts[region] = counts.get(region, 0) + count
        return counts

    @staticmethod
    def due_mark(connection: Connection, now: float) -> tuple[list[Any], float | None]:
        """What the assembly controller polls between passes, in two statements on the
        DBAPI cursor: every region's columns (one record each, in name order; equal to
        the last look's when no region changed) and the earliest due time of any
        assembly due by `now` (queue lag), None when none is due."""
        regions = _REGION_MARK.all(connection)
        oldest = _OLDEST_DUE.first(connection, now=now)
        value = None if oldest is None else oldest.due_at
        return regions, float(value) if value is not None else None

    def region_items(self, region: str) -> list[WorkItem]:
        """Every assembly of `region`, as the planner sees it."""
        rows = self.region_rows(region)
        slots = self.slots([row[0] for row in rows])
        return [WorkItem.of(row, slots.get(row[0], ())) for row in rows]

    def region_rows(self, region: str) -> Sequence[tuple[Any, ...]]:
        """Every assembly of `region` (homed there, or placed there too) as plain tuples
        of `WorkItem`'s fields but `slots` (cheapest)."""
        home = _REGION_ROWS.tuples(self._db, region=region)
        placed = PlacementRepository(self.session).rows_in(region, _WORK_COLUMNS)
        return [*home, *placed] if placed else home

    def slots(self, ids: Sequence[str]) -> dict[str, tuple[InstanceSlot, ...]]:
        """The instance rows of these assemblies, by assembly id, in ordinal order."""
        return SlotRows(self._db).of(ids)

    def served(self, region: str) -> dict[str, frozenset[str]]:
        """The assemblies of `region` with a route in front of them (drained on the way
        out), each with the keys of the instances its routes were last known to serve."""
        rows = self._db.execute(
            select(_R.assembly_id, _R.status)
            .join(AssemblyRow, _A.id == _R.assembly_id)
            .where(_A.region_name == region)
        )
        return serving_by_assembly(rows.tuples())

    def items(self, ids: Sequence[str]) -> list[WorkItem]:
        """The assemblies with these ids and their instance rows, re-read (after a claim)."""
        found: list[WorkItem] = []
        for part in chunked(ids):
            slots = self.slots(part)
            rows = self._db.execute(select(*_WORK_COLUMNS).where(_A.id.in_(part)))
            found.extend(WorkItem.of(row, slots.get(row[0], ())) for row in rows)
        return found

    def claim(self, ids: Sequence[str], holder: str, now: float, ttl: float) -> set[str]:
        """Take the leases of `ids` that are free, expired or already ours; return those won."""
        return _LEASES.claim(self._db, ids, holder, now, ttl)

    def release(self, ids: Iterable[str], holder: str) -> None:
        """Give back leases this holder took."""
        _LEASES.release(self._db, ids, holder)

    def held(self, ids: Sequence[str], holder: str) -> set[str]:
        """The ids whose lease this holder still holds, locked until the transaction ends."""
        return _LEASES.held(self._db, ids, holder)

    def statuses(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored `status` documents of these assemblies."""
        found: dict[str, dict[str, Any]] = {}
        for part in chunked(ids):
            for assembly_id, document in self._db.execute(
                select(_A.id, _A.status).where(_A.id.in_(part))
            ):
                found[assembly_id] = document or {}
        return found

    def spec_rows(self, ids: Sequence[str]) -> dict[str, SpecRow]:
        """What creates need about these assemblies."""
        found: dict[str, SpecRow] = {}
        columns = (_A.id, _A.name, _A.project_id, _A.plan_name, _A.flavor_name, _A.spec)
        for part in chunked(ids):
            for row in self._db.execute(select(*columns).where(_A.id.in_(part))):
                found[row[0]] = SpecRow(*row)
        return found

    def plan_documents(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Plan documents by name."""
        rows = self._db.execute(
            select(PlanRow.name, PlanRow.document).where(PlanRow.name.in_(list(names)))
        )
        return {str(name): dict(document) for name, document in rows}

    def flavors(self, names: Iterable[str]) -> dict[str, FlavorRow]:
        """Flavor rows by name."""
        rows = self.session.scalars(select(FlavorRow).where(FlavorRow.name.in_(list(names))))
        return {row.name: row for row in rows}

    def assembly_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Assembly names by id (of those that still have a row)."""
        names: dict[str, str] = {}
        for part in chunked(list(ids)):
            rows = self._db.execute(select(_A.id, _A.name).where(_A.id.in_(part)))
            names.update({str(assembly_id): str(name) for assembly_id, name in rows})
        return names

    def project_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Project names by id."""
        rows = self._db.execute(
            select(ProjectRow.id, ProjectRow.name).where(ProjectRow.id.in_(list(ids)))
        )
        return {str(project_id): str(name) for project_id, name in rows}

    def mark_creating(self, markers: Sequence[tuple[str, InstanceSlot, bool]]) -> set[str]:
        """Write-ahead: record `(assembly id, slot with its create marker, whether its row
        exists)` before the creates are issued; a PENDING assembly becomes SCHEDULED.

        Returns the assemblies whose rows are gone (deleted with `orphan=true` since the
        pass read them): their markers are not written, and their creates must not be
        issued. The rows kept are share-locked until the transaction ends (PostgreSQL),
        so none can go between this check and the markers' insert."""
        if not markers:
            return set()
        ids = sorted({i for i, _, _ in markers})
        kept: set[str] = set()
        for part in chunked(ids):
            query = select(_A.id).where(_A.id.in_(part)).with_for_update(read=True)
            kept.update(self.session.scalars(query))
        gone = set(ids) - kept
        markers = [m for m in markers if m[0] in kept]
        SlotRows(self._db).write(
            [(i, s) for i, s, exists in markers if not exists],
            [(i, s) for i, s, exists in markers if exists],
            [],
        )
        for part in chunked(sorted(kept)):
            self._db.execute(
                update(ASSEMBLIES)
                .where(_A.id.in_(part), _A.phase == "PENDING")
                .values(phase="SCHEDULED")
            )
        return gone

    def write_slots(self, writes: Sequence[StatusWrite]) -> None:
        """Write the changes of the writes' instance rows, and the status history they
        make (`SlotChanges.spans`)."""
        changed = [(w.id, w.slots) for w in writes if w.slots is not None]
        if changed:
            SlotRows(self._db).write(
                [(i, s) for i, c in changed for s in c.inserts],
                [(i, s) for i, c in changed for s in c.updates],
                [(i, o) for i, c in changed for o in c.deletes],
            )
            spans = [(i, s) for i, c in changed for s in c.spans]
            if spans:
                SpanRows(self._db).record(spans)

    def write_status(self, writes: Sequence[StatusWrite], now: float) -> None:
        """Write every outcome of a pass in one statement (`vertice_core.store.bulk`).

        `observed_generation` becomes the generation the pass planned with. If the
        API changed the spec meanwhile (the generation moved on), the row stays
        due now instead of taking the pass's next due time.
        """
        if not writes:
            return
        self.write_slots(writes)
        update_rows(
            self._db,
            ASSEMBLIES,
            ("id",),
            [
                {
                    "id": w.id,
                    "phase": w.phase,
                    "reason": w.reason[:255],
                    "message": w.message,
                    "status": w.status,
                    "status_digest": w.status_digest,
                    "observed_generation": w.generation,
                    "attempts": w.attempts,
                    "due_at": w.due_at,
                    "restarts_done": w.restarts_done,
                    "ready": w.ready,
                    "ready_since": w.ready_since,
                    "synced": w.synced,
                    "synced_since": w.synced_since,
                }
                for w in writes
            ],
        )
        for part in chunked([w.id for w in writes]):
            self._db.execute(
                update(ASSEMBLIES)
                .where(_A.id.in_(part), _A.generation != _A.observed_generation)
                .values(due_at=now)
            )

    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append events (dicts of `EventRow` columns) in one statement."""
        if rows:
            now = utcnow()
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:  # one statement per set of columns (they are all alike today)
                shapes.setdefault(tuple(row), []).append({"time": now, **row})
            for same in shapes.values():
                insert_rows(self._db, EVENTS, same)

    def remove(self, ids: Sequence[str], now: float | None = None) -> None:
        """Delete assemblies whose cloud side is confirmed gone (their leases go with them);
        their status history is closed at `now` (default: the clock's time)."""
        SpanRows(self._db).close_all(ids, time.time() if now is None else now)
        for part in chunked(ids):
            self._db.execute(delete(LEASES).where(LEASES.c.assembly_id.in_(part)))
            self._db.execute(delete(INSTANCES).where(_I.assembly_id.in_(part)))
            self._db.execute(delete(ASSEMBLIES).where(_A.id.in_(part)))

    def existing(self, ids: Iterable[str]) -> set[str]:
        """Which of these assembly ids have a row (in any region)."""
        id_list = list(ids)
        found: set[str] = set()
        for part in chunked(id_list):
            found.update(self.session.scalars(select(_A.id).where(_A.id.in_(part))))
        return found
