"""The probes table: what the prober last found of each probed instance.

The prober reads the probed assemblies (those with a `probe`, meant to run)
with their status, writes a row per instance when what it found changes
(readiness, failures in a row, the instance probed), and wakes the assembly
(its `due_at`) when the reconciler must look: an instance became ready or
unready, or failed its probe `threshold` times in a row. The reconciler reads
the rows of a region's assemblies with its work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import attrs
from sqlalchemy import Connection, Table, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from vertice_core.store.bulk import insert_rows
from vertice_core.store.leases import chunked
from vertice_core.store.tables import AssemblyRow, ProbeRow

PROBES = cast(Table, ProbeRow.__table__)
_A = cast(Table, AssemblyRow.__table__).c
_P = PROBES.c


@attrs.frozen
class ProbeState:
    """What the prober last found of one instance (a row of the probes table)."""

    ordinal: int
    key: str
    failures: int
    ready: bool
    threshold: int
    checked_at: float
    message: str = ""


_COLUMNS = [getattr(_P, f.name) for f in attrs.fields(ProbeState)]


@attrs.frozen
class Probed:
    """An assembly with a probe, as the prober reads it."""

    id: str
    plan_name: str
    probe: dict[str, Any]
    status: dict[str, Any]


class ProbeRepository:
    """Reads and writes of the probes table (Core statements on the session's connection)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> Connection:
        return self.session.connection()

    def probed(self) -> list[Probed]:
        """The assemblies with a probe whose instances should run."""
        rows = self._db.execute(
            select(_A.id, _A.plan_name, _A.probe, _A.status)
            .where(_A.probe.is_not(None))
            .where(_A.desired_state == "running")
        )
        return [Probed(str(i), str(p), dict(probe), dict(s or {})) for i, p, probe, s in rows]

    def states(self, ids: Sequence[str]) -> dict[str, dict[int, ProbeState]]:
        """The rows of these assemblies, by assembly id and ordinal."""
        found: dict[str, dict[int, ProbeState]] = {}
        for part in chunked(ids):
            query = select(_P.assembly_id, *_COLUMNS).where(_P.assembly_id.in_(part))
            for row in self._db.execute(query):
                found.setdefault(row[0], {})[row[1]] = ProbeState(*row[1:])
        return found

    def of_region(self, region: str) -> dict[str, dict[int, ProbeState]]:
        """The rows of every assembly of `region` (what the reconciler plans with)."""
        query = (
            select(_P.assembly_id, *_COLUMNS)
            .join(AssemblyRow, _A.id == _P.assembly_id)
            .where(_A.region_name == region)
        )
        found: dict[str, dict[int, ProbeState]] = {}
        for row in self._db.execute(query):
            found.setdefault(row[0], {})[row[1]] = ProbeState(*row[1:])
        return found

    def write(
        self, rows: Sequence[tuple[str, ProbeState]], deletes: Iterable[tuple[str, int]]
    ) -> None:
        """Replace the rows of `rows` (by assembly and ordinal) and delete `deletes`."""
        gone = [*deletes, *((assembly_id, state.ordinal) for assembly_id, state in rows)]
        for part in chunked(gone, 200):
            self._db.execute(
                delete(PROBES).where(
                    or_(*(and_(_P.assembly_id == a, _P.ordinal == o) for a, o in part))
                )
            )
        insert_rows(self._db, PROBES, [{"assembly_id": a, **attrs.asdict(s)} for a, s in rows])

    def wake(self, ids: Sequence[str], now: float) -> None:
        """Make these assemblies due now (unless they already are)."""
        for part in chunked(ids):
            self._db.execute(
                update(cast(Table, AssemblyRow.__table__))
                .where(_A.id.in_(part))
                .where(or_(_A.due_at.is_(None), _A.due_at > now))
                .values(due_at=now)
            )
