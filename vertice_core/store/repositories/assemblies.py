"""Assemblies as the service layer sees them: declare, read, page, change the spec.

Reading one assembly has one path, `AssemblyViews.one` (one statement, the
project's name joined in); `AssemblyRepository.one` runs it on the session's
connection, inside the caller's transaction. The reconciler's side of the
table (due work, leases, status writes) lives in
`vertice_core.store.repositories.work`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import attrs
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vertice_core.errors import Conflict
from vertice_core.store.fastwrite import FastInsert
from vertice_core.store.repositories.views import AssemblyViews
from vertice_core.store.tables import AssemblyRow, LeaseRow, ProjectRow, RegionRow, utcnow

#: A declaration's two INSERTs, on the DBAPI cursor (`fastwrite`: they are most of the
#: time it holds a SQLite file's write lock).
_INSERT_ASSEMBLY = FastInsert(AssemblyRow)
_INSERT_LEASE = FastInsert(LeaseRow)

#: Sort keys of the assembly collection and the columns they order by.
SORTS: dict[str, tuple[Any, ...]] = {
    "name": (AssemblyRow.name,),
    "created_at": (AssemblyRow.created_at,),
    "status": (AssemblyRow.phase, AssemblyRow.name),
}


@attrs.frozen
class Page:
    """One page of a collection and the size of the whole."""

    total: int
    rows: Sequence[AssemblyRow]


class AssemblyRepository:
    """Assemblies, scoped to the projects a caller may see."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, **values: Any) -> SimpleNamespace:
        """Insert a declared assembly, due now, with its lease row (two Core INSERTs).

        Returns the columns as they were stored, as attributes of a plain
        namespace (building an ORM instance would cost more than the INSERT).
        A name the project already uses is a `Conflict`, as is a plan, region
        or flavor deleted meanwhile (the foreign keys refuse it).
        """
        (row,) = self.create_many([values])
        return SimpleNamespace(**row)

    def create_many(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert declared assemblies (dicts of columns with `id`), due now: two executemany
        on the DBAPI cursor (`fastwrite`).

        Returns every column of each stored row.
        """
        if not rows:
            return []
        now, due = utcnow(), time.time()
        defaults = {"created_at": now, "updated_at": now, "due_at": due, "description": "",
                    "tags": [], "desired_state": "running", "restart_count": 0, "generation": 1,
                    "phase": "PENDING", "reason": "", "message": "", "status": {},
                    "status_digest": "", "observed_generation": 0, "attempts": 0,
                    "replicas": 1, "replace_count": 0, "probe": None, "placement": None,
                    "restarts_done": 0, "build_wait": None, "restart_mode": "soft",
                    "stop_mode": "soft",
                    "ready": None,
                    "ready_since": None, "synced": None, "synced_since": None}  # fmt: skip
        full = [{**defaults, **row} for row in rows]
        connection = self.session.connection()
        try:
            _INSERT_ASSEMBLY.run(connection, full)
        except IntegrityError as exc:
            if "unique" in str(exc.orig).lower():
                names = ", ".join(repr(r["name"]) for r in rows)
                raise Conflict(f"the project already has an assembly named {names}") from None
            raise Conflict(
                "the assembly's project, plan, region or flavor was deleted meanwhile"
            ) from None
        _INSERT_LEASE.run(
            connection,
            [{"assembly_id": row["id"], "holder": "", "expires_at": 0.0} for row in rows],
        )
        return full

    def one(self, assembly_id: str, project_ids: Sequence[str] | None) -> SimpleNamespace | None:
        """The assembly with its project's name, if it belongs to one of `project_ids`
        (None: any project), read in the session's transaction."""
        return AssemblyViews(self.session.connection()).one(assembly_id, project_ids)

    def id_in_project(self, project_id: str, ref: str) -> str | None:
        """The id of the project's assembly named (or with id) `ref`, or None."""
        column = AssemblyRow.id if ref.startswith("asm-") else AssemblyRow.name
        query = select(AssemblyRow.id).where(AssemblyRow.project_id == project_id, column == ref)
        return self.session.scalar(query)

    def name_taken(self, project_id: str, name: str) -> bool:
        """True if the project already has an assembly called `name`."""
        return (
            self.session.scalar(
                select(AssemblyRow.id)
                .where(AssemblyRow.project_id == project_id)
                .where(AssemblyRow.name == name)
            )
            is not None
        )

    def page(
        self,
        project_ids: Sequence[str] | None,
        *,
        sort: str = "name",
        descending: bool = False,
        start: int = 0,
        limit: int = 50,
    ) -> Page:
        """One page of the caller's assemblies, sorted by `sort`."""
        scope: list[ColumnElement[bool]] = []
        if project_ids is not None:
            scope.append(AssemblyRow.project_id.in_(project_ids))
        total = self.session.scalar(select(func.count()).select_from(AssemblyRow).where(*scope))
        columns = (*SORTS[sort], AssemblyRow.id)
        order = [c.desc() for c in columns] if descending else list(columns)
        rows = self.session.scalars(
            select(AssemblyRow).where(*scope).order_by(*order).offset(start).limit(limit)
        ).all()
        return Page(total=total or 0, rows=rows)

    def running_with_context(
        self, project_ids: Sequence[str] | None
    ) -> Sequence[tuple[AssemblyRow, str, str]]:
        """Assemblies in scope that should run, with their project's name and region's cloud
        type (whichever of their instances run is in their status)."""
        query = (
            select(AssemblyRow, ProjectRow.name, RegionRow.cloud_type)
            .join(ProjectRow, ProjectRow.id == AssemblyRow.project_id)
            .join(RegionRow, RegionRow.name == AssemblyRow.region_name)
            .where(AssemblyRow.desired_state == "running")
            .order_by(AssemblyRow.id)
        )
        if project_ids is not None:
            query = query.where(AssemblyRow.project_id.in_(project_ids))
        return [
            (row, str(project), str(cloud)) for row, project, cloud in self.session.execute(query)
        ]

    def count_by_phase(self) -> dict[str, int]:
        """How many assemblies are in each phase (every project)."""
        rows = self.session.execute(
            select(AssemblyRow.phase, func.count()).group_by(AssemblyRow.phase)
        )
        return {str(phase): int(count) for phase, count in rows}

    def change_spec(self, assembly_id: str, expected_generation: int, **values: Any) -> bool:
        """Change spec columns and bump the generation, if nobody changed it meanwhile.

        The row becomes due at once, so the reconciler picks the change up. False
        when the generation moved on (read the row again).
        """
        result = self.session.execute(
            update(AssemblyRow)
            .where(AssemblyRow.id == assembly_id)
            .where(AssemblyRow.generation == expected_generation)
            .values(
                generation=expected_generation + 1,
                updated_at=utcnow(),
                due_at=time.time(),
                **values,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
