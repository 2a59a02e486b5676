"""Scalers: declared by the API, their status and history written by the scaler controller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, case, func, select, update
from sqlalchemy.orm import Session

from vertice_core.store.fastread import NOW, FastQuery
from vertice_core.store.repositories.owned import assemblies_by_id, in_scope, insert_unique
from vertice_core.store.tables import AssemblyRow, ScalerRow, utcnow

_WANTED = (ScalerRow.generation != ScalerRow.observed_generation) | (ScalerRow.due_at <= NOW)
_DUE = FastQuery(
    select(
        func.coalesce(func.sum(case((_WANTED, 1), else_=0)), 0).label("due"),
        func.min(case((_WANTED, ScalerRow.due_at), else_=None)).label("oldest"),
    )
)


class ScalerRepository:
    """Rows of `scalers`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, **values: Any) -> ScalerRow | None:
        """Insert a scaler; None when its assembly got one meanwhile (the unique index)."""
        return insert_unique(self.session, ScalerRow, "scl", **values)

    def get(self, scaler_id: str, scope: Sequence[str] | None) -> ScalerRow | None:
        """The scaler with `scaler_id` if it is in one of the `scope` projects (None: any)."""
        return in_scope(self.session, ScalerRow, scaler_id, scope)

    def of_assembly(self, assembly_id: str) -> ScalerRow | None:
        """The scaler of an assembly, if it has one."""
        query = select(ScalerRow).where(ScalerRow.assembly_id == assembly_id)
        return self.session.scalars(query).first()

    def in_projects(self, scope: Sequence[str] | None) -> Sequence[ScalerRow]:
        """The scalers of the `scope` projects (None: every project), oldest first."""
        query = select(ScalerRow).order_by(ScalerRow.created_at, ScalerRow.id)
        if scope is not None:
            query = query.where(ScalerRow.project_id.in_(scope))
        return self.session.scalars(query).all()

    def change_spec(self, row: ScalerRow, **values: Any) -> None:
        """Change spec columns and bump the generation (due for the controller now)."""
        for name, value in values.items():
            setattr(row, name, value)
        row.generation += 1
        row.updated_at = utcnow()
        row.due_at = None
        self.session.flush()

    def delete(self, row: ScalerRow) -> None:
        """Remove a scaler (the assembly keeps the replicas it has)."""
        self.session.delete(row)
        self.session.flush()

    # -- the scaler controller's reads and writes --

    def all(self) -> Sequence[ScalerRow]:
        """Every scaler, by id."""
        return self.session.scalars(select(ScalerRow).order_by(ScalerRow.id)).all()

    def assemblies(self, ids: Iterable[str]) -> dict[str, AssemblyRow]:
        """The assemblies with these ids (missing ones are left out)."""
        return assemblies_by_id(self.session, ids)

    @staticmethod
    def due(connection: Connection, now: float) -> SimpleNamespace:
        """What the scaler controller polls between passes, one row on the DBAPI cursor
        (`fastread`): `due`, how many scalers changed since the controller wrote their
        status or have a retry due by `now`, and `oldest`, the earliest retry time
        among those."""
        row = _DUE.first(connection, now=now)
        assert row is not None  # an aggregate without GROUP BY has one row
        return row

    def write_status(self, scaler_id: str, generation: int, **values: Any) -> bool:
        """Write a scaler's status and history if it still has `generation`."""
        result = self.session.execute(
            update(ScalerRow)
            .where(ScalerRow.id == scaler_id, ScalerRow.generation == generation)
            .values(observed_generation=generation, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
