"""Snapshots: asked for and deleted by the API, made and removed by the snapshot controller.

The controller's writes are conditional on the phase (and `deleting`) it read: a
deletion asked for meanwhile, or another reconciler that got there first, makes
the write a no-op (False), so each phase change is written, and its event
recorded, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.orm import Session

from vertice_core.ids import has_id_form
from vertice_core.store.repositories.owned import in_scope, insert_unique, work_by_region
from vertice_core.store.tables import (
    AssemblyRow,
    InstanceRow,
    RegionRow,
    SnapshotRow,
    utcnow,
)

#: The prefix of a snapshot's id (`sn-3f9a1c2b7d4e8a10`).
PREFIX = "sn"


_WORK = work_by_region(SnapshotRow)


class SnapshotRepository:
    """Rows of `snapshots`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the API's reads and writes --

    def create(self, **values: Any) -> SnapshotRow | None:
        """Insert a snapshot, due now; None when its name was taken meanwhile."""
        return insert_unique(self.session, SnapshotRow, PREFIX, **values)

    def get(self, snapshot_id: str, scope: Sequence[str] | None) -> SnapshotRow | None:
        """The snapshot with `snapshot_id` if its project is one of `scope` (None: any)."""
        return in_scope(self.session, SnapshotRow, snapshot_id, scope)

    def names_in_region(self, region: str, limit: int = 20) -> list[str]:
        """Names of (up to `limit`) snapshots whose images are in the region."""
        query = (
            select(SnapshotRow.name)
            .where(SnapshotRow.region_name == region)
            .order_by(SnapshotRow.name)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def in_project(self, project_id: str, ref: str) -> SnapshotRow | None:
        """The project's snapshot named (or with id) `ref`, or None."""
        column = SnapshotRow.id if has_id_form(PREFIX, ref) else SnapshotRow.name
        query = select(SnapshotRow).where(SnapshotRow.project_id == project_id, column == ref)
        return self.session.scalars(query).first()

    def in_projects(
        self, scope: Sequence[str] | None, assembly: str | None = None
    ) -> Sequence[SnapshotRow]:
        """The snapshots of the `scope` projects (None: every project), oldest first; of
        one source assembly (by id, or by its name) when `assembly` is given."""
        query = select(SnapshotRow).order_by(SnapshotRow.created_at, SnapshotRow.id)
        if scope is not None:
            query = query.where(SnapshotRow.project_id.in_(scope))
        if assembly is not None:
            query = query.where(
                or_(SnapshotRow.assembly_id == assembly, SnapshotRow.assembly_name == assembly)
            )
        return self.session.scalars(query).all()

    def instance(self, assembly_id: str, ordinal: int) -> InstanceRow | None:
        """The instance row of an assembly at `ordinal` (what the last pass observed)."""
        return self.session.get(InstanceRow, (assembly_id, ordinal))

    def region(self, name: str) -> RegionRow | None:
        """The region called `name`."""
        return self.session.get(RegionRow, name)

    def restored_from(self, project_id: str, snapshot_id: str) -> list[str]:
        """The names of the project's assemblies (not being deleted) restored from the
        snapshot: their instances are launched from its image."""
        rows = self.session.execute(
            select(AssemblyRow.name, AssemblyRow.spec).where(
                AssemblyRow.project_id == project_id, AssemblyRow.desired_state != "deleted"
            )
        )
        return sorted(
            str(name)
            for name, spec in rows
            if ((spec or {}).get("snapshot") or {}).get("id") == snapshot_id
        )

    def mark_deleting(self, row: SnapshotRow, now: float) -> None:
        """Ask for the snapshot's deletion: DELETING, due now."""
        row.deleting = True
        row.phase = "DELETING"
        row.message = ""
        row.due_at = now
        row.attempts = 0
        row.updated_at = utcnow()
        self.session.flush()

    # -- the snapshot controller's reads and writes --

    @staticmethod
    def work(connection: Connection, now: float) -> list[tuple[str, int, float | None]]:
        """Per region with snapshots in progress: its name, how many are due at `now`, and
        the earliest due time among those (one aggregate over the `due_at` index, on the
        DBAPI cursor: `fastread`)."""
        return [(str(r.region), int(r.due or 0), r.oldest) for r in _WORK.all(connection, now=now)]

    def due_in(self, region: str, now: float) -> Sequence[SnapshotRow]:
        """The region's snapshots due at `now`, oldest first."""
        query = (
            select(SnapshotRow)
            .where(SnapshotRow.region_name == region, SnapshotRow.due_at <= now)
            .order_by(SnapshotRow.created_at, SnapshotRow.id)
        )
        return self.session.scalars(query).all()

    def advance(
        self, snapshot_id: str, read: str, deleting: bool, *, touch: bool = True, **values: Any
    ) -> bool:
        """Write the snapshot's status (`values`) if it still has the phase `read` and
        `deleting` as the pass read them; whether it did. `touch`: the status changed
        (`updated_at` is now)."""
        if touch:
            values["updated_at"] = utcnow()
        result = self.session.execute(
            update(SnapshotRow)
            .where(
                SnapshotRow.id == snapshot_id,
                SnapshotRow.phase == read,
                SnapshotRow.deleting == deleting,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def remove(self, snapshot_id: str) -> bool:
        """Delete a snapshot whose deletion was asked for; whether this call removed it."""
        result = self.session.execute(
            delete(SnapshotRow)
            .where(SnapshotRow.id == snapshot_id, SnapshotRow.deleting.is_(True))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
