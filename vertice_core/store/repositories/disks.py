"""Disks: declared, changed and deleted by the API, made real by the disk controller.

The controller's writes are conditional on the `generation` (and `deleting`) it
read: a change asked for meanwhile, or another reconciler that got there first,
makes the write a no-op (False); the changed disk is due again at once.

A disk is due (`work`, `due_in`) when its `due_at` has come, or when it should be
attached to an instance that now runs with a cloud id other than the one it is
attached to (the instance was replaced or made since): level-based, the
controller needs no word from the assembly controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from vertice_core.ids import has_id_form
from vertice_core.store.fastread import FastQuery
from vertice_core.store.repositories.owned import (
    assemblies_by_id,
    in_scope,
    insert_unique,
    work_by_region,
)
from vertice_core.store.tables import AssemblyRow, DiskRow, InstanceRow, RegionRow, utcnow

#: The prefix of a disk's id (`dk-3f9a1c2b7d4e8a10`).
PREFIX = "dk"
#: Instance states a disk can be attached in.
ATTACHABLE = ("running", "stopped")


def _moved() -> Any:
    """The condition of a disk whose instance runs under another cloud id than the one
    the disk is attached to (with `InstanceRow` joined on its assembly and ordinal)."""
    return and_(
        DiskRow.deleting.is_(False),
        InstanceRow.state.in_(ATTACHABLE),
        InstanceRow.cloud_id != "",
        InstanceRow.cloud_id != DiskRow.attached_to,
    )


_WORK = work_by_region(DiskRow)
_MOVED = FastQuery(
    select(DiskRow.region_name.label("region"), func.count().label("moved"))
    .join(
        InstanceRow,
        and_(
            InstanceRow.assembly_id == DiskRow.assembly_id, InstanceRow.ordinal == DiskRow.ordinal
        ),
    )
    .where(DiskRow.assembly_id != "", _moved())
    .group_by(DiskRow.region_name)
)


class DiskRepository:
    """Rows of `disks`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the API's reads and writes --

    def create(self, **values: Any) -> DiskRow | None:
        """Insert a disk, due now; None when its name was taken meanwhile."""
        return insert_unique(self.session, DiskRow, PREFIX, **values)

    def get(self, disk_id: str, scope: Sequence[str] | None) -> DiskRow | None:
        """The disk with `disk_id` if its project is one of `scope` (None: any)."""
        return in_scope(self.session, DiskRow, disk_id, scope)

    def in_project(self, project_id: str, ref: str) -> DiskRow | None:
        """The project's disk named (or with id) `ref`, or None."""
        column = DiskRow.id if has_id_form(PREFIX, ref) else DiskRow.name
        query = select(DiskRow).where(DiskRow.project_id == project_id, column == ref)
        return self.session.scalars(query).first()

    def listed(
        self,
        scope: Sequence[str] | None,
        *,
        assembly: str | None = None,
        region: str | None = None,
    ) -> Sequence[DiskRow]:
        """The disks of the `scope` projects (None: every project), oldest first; those
        to be attached to one assembly (its id, or its name), or in one region, when asked."""
        query = select(DiskRow).order_by(DiskRow.created_at, DiskRow.id)
        if scope is not None:
            query = query.where(DiskRow.project_id.in_(scope))
        if assembly is not None:
            named = select(AssemblyRow.id).where(
                AssemblyRow.name == assembly, AssemblyRow.project_id == DiskRow.project_id
            )
            query = query.where(
                DiskRow.assembly_id != "",
                or_(DiskRow.assembly_id == assembly, DiskRow.assembly_id.in_(named)),
            )
        if region is not None:
            query = query.where(DiskRow.region_name == region)
        return self.session.scalars(query).all()

    def names_in_region(self, region: str, limit: int = 20) -> list[str]:
        """Names of (up to `limit`) disks in the region."""
        query = (
            select(DiskRow.name)
            .where(DiskRow.region_name == region)
            .order_by(DiskRow.name)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def change(self, row: DiskRow, now: float, **values: Any) -> None:
        """Change what the disk should be (`values`): a new generation, due now."""
        for name, value in values.items():
            setattr(row, name, value)
        row.generation += 1
        row.message = ""
        row.due_at = now
        row.attempts = 0
        row.updated_at = utcnow()
        self.session.flush()

    def mark_deleting(self, row: DiskRow, now: float) -> None:
        """Ask for the disk's deletion: DELETING, due now (detached first)."""
        self.change(row, now, deleting=True, phase="DELETING")

    def detach_assembly(self, assembly_id: str, now: float) -> list[str]:
        """Detach (and keep) every disk attached to the assembly; their names."""
        rows = self.session.scalars(
            select(DiskRow).where(DiskRow.assembly_id == assembly_id, DiskRow.deleting.is_(False))
        ).all()
        for row in rows:
            self.change(row, now, assembly_id="", ordinal=0)
        return [r.name for r in rows]

    # -- the disk controller's reads and writes --

    @staticmethod
    def work(connection: Connection, now: float) -> list[tuple[str, int, float | None]]:
        """Per region with disks in progress: its name, how many are due at `now`, and the
        earliest due time among those (an aggregate over the `due_at` index), the disks
        whose instance moved counted due now (two statements on the DBAPI cursor:
        `fastread`)."""
        work = {str(r.region): (int(r.due or 0), r.oldest) for r in _WORK.all(connection, now=now)}
        for row in _MOVED.all(connection):
            due_now, oldest = work.get(str(row.region), (0, None))
            work[str(row.region)] = (
                due_now + int(row.moved),
                now if oldest is None else min(oldest, now),
            )
        return [(region, count, oldest) for region, (count, oldest) in work.items()]

    def due_in(self, region: str, now: float) -> Sequence[tuple[DiskRow, InstanceRow | None]]:
        """The region's disks due at `now` (or whose instance moved), oldest first, each
        with the instance row it should be attached to (None: none, or not made yet)."""
        query = (
            select(DiskRow, InstanceRow)
            .outerjoin(
                InstanceRow,
                and_(
                    InstanceRow.assembly_id == DiskRow.assembly_id,
                    InstanceRow.ordinal == DiskRow.ordinal,
                ),
            )
            .where(DiskRow.region_name == region)
            .where(or_(DiskRow.due_at <= now, and_(DiskRow.assembly_id != "", _moved())))
            .order_by(DiskRow.created_at, DiskRow.id)
        )
        return [(disk, instance) for disk, instance in self.session.execute(query).tuples()]

    def assemblies(self, ids: Sequence[str]) -> dict[str, AssemblyRow]:
        """The assemblies with these ids (the ones disks should be attached to)."""
        return assemblies_by_id(self.session, (i for i in ids if i))

    def region(self, name: str) -> RegionRow | None:
        """The region called `name`."""
        return self.session.get(RegionRow, name)

    def advance(self, disk_id: str, generation: int, *, touch: bool = True, **values: Any) -> bool:
        """Write the disk's status (`values`) if it is still at the `generation` the pass
        read; whether it did. `touch`: the status changed (`updated_at` is now)."""
        if touch:
            values["updated_at"] = utcnow()
        result = self.session.execute(
            update(DiskRow)
            .where(DiskRow.id == disk_id, DiskRow.generation == generation)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def remove(self, disk_id: str, generation: int) -> bool:
        """Delete a disk whose deletion was asked for; whether this call removed it."""
        result = self.session.execute(
            delete(DiskRow)
            .where(
                DiskRow.id == disk_id, DiskRow.deleting.is_(True), DiskRow.generation == generation
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
