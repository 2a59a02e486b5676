"""What the repositories of project-owned rows (routes, scalers, snapshots, disks) share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vertice_core.ids import new_id
from vertice_core.store.fastread import NOW, FastQuery
from vertice_core.store.tables import (
    AssemblyRow,
    DiskRow,
    RouteRow,
    ScalerRow,
    SnapshotRow,
    utcnow,
)

#: A project-owned row.
T = TypeVar("T", RouteRow, ScalerRow, SnapshotRow, DiskRow)


def work_by_region(table: type[SnapshotRow] | type[DiskRow]) -> FastQuery:
    """The statement a regional controller (snapshots, disks) polls for due work: per
    region with rows in progress (`due_at` set), `region`, how many are `due` at `now`
    and the `oldest` due time among those (one aggregate over the `due_at` index)."""
    due = table.due_at <= NOW
    return FastQuery(
        select(
            table.region_name.label("region"),
            func.sum(case((due, 1), else_=0)).label("due"),
            func.min(case((due, table.due_at), else_=None)).label("oldest"),
        )
        .where(table.due_at.is_not(None))
        .group_by(table.region_name)
    )


def insert_unique(session: Session, table: type[T], prefix: str, **values: Any) -> T | None:
    """Insert a row with a new id; None when a unique index refused it (taken meanwhile)."""
    now = utcnow()
    row = table(id=new_id(prefix), created_at=now, updated_at=now, **values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def in_scope(
    session: Session, table: type[T], row_id: str, scope: Sequence[str] | None
) -> T | None:
    """The row with `row_id` if its project is one of `scope` (None: any project)."""
    row = session.get(table, row_id)
    if row is None or (scope is not None and row.project_id not in scope):
        return None
    return row


def assemblies_by_id(session: Session, ids: Iterable[str]) -> dict[str, AssemblyRow]:
    """The assemblies with these ids (missing ones are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.scalars(select(AssemblyRow).where(AssemblyRow.id.in_(wanted)))
    return {row.id: row for row in rows}
