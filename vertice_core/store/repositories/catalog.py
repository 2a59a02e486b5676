"""What operators offer: plans, regions and flavors, each keyed by its name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from vertice_core.store.fastread import FastQuery
from vertice_core.store.tables import (
    AssemblyRow,
    FlavorRow,
    PlacementRow,
    PlanRow,
    QuotaRow,
    RegionRow,
    utcnow,
)

RowT = TypeVar("RowT", PlanRow, RegionRow, FlavorRow)


class _NamedRepository(Generic[RowT]):
    """Rows whose primary key is their name, and which assemblies refer to."""

    row_type: type[RowT]
    #: The assembly column that refers to this row's name.
    used_by_column: ClassVar[Any]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> RowT | None:
        """The row called `name`, or None."""
        return self.session.get(self.row_type, name)

    def all(self) -> Sequence[RowT]:
        """Every row, by name."""
        return self.session.scalars(select(self.row_type).order_by(self.row_type.name)).all()

    def names(self) -> list[str]:
        """Every name, sorted."""
        return list(self.session.scalars(select(self.row_type.name).order_by(self.row_type.name)))

    def add(self, **values: Any) -> RowT:
        """Insert a new row (the caller checks the name is free)."""
        now = utcnow()
        row = self.row_type(created_at=now, updated_at=now, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def update(self, row: RowT, **values: Any) -> RowT:
        """Change columns of `row`."""
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        self.session.flush()
        return row

    def used_by(self, name: str, limit: int = 20) -> list[str]:
        """Names of (up to `limit`) assemblies that still use the row called `name`."""
        return list(
            self.session.scalars(
                select(AssemblyRow.name)
                # Read through the class: on an instance the mapped attribute's descriptor
                # would look for a mapped object and fail.
                .where(type(self).used_by_column == name)
                .order_by(AssemblyRow.name)
                .limit(limit)
            )
        )

    def delete(self, row: RowT) -> None:
        """Remove the row (check `used_by` first)."""
        self.session.delete(row)
        self.session.flush()


_PLAN_DOCUMENT = FastQuery(select(PlanRow.document).where(PlanRow.name == bindparam("name")))


class PlanRepository(_NamedRepository[PlanRow]):
    """CAMP plans."""

    row_type = PlanRow
    used_by_column = AssemblyRow.plan_name

    def document(self, name: str) -> dict[str, Any] | None:
        """The document of the plan `name`, or None: read on the DBAPI cursor in the
        session's transaction (`fastread`), as every declaration reads its plan's."""
        row = _PLAN_DOCUMENT.first(self.session.connection(), name=name)
        return None if row is None else dict(row.document)


class RegionRepository(_NamedRepository[RegionRow]):
    """Regions (cloud settings)."""

    row_type = RegionRow
    used_by_column = AssemblyRow.region_name

    def used_by(self, name: str, limit: int = 20) -> list[str]:
        """Names of (up to `limit`) assemblies homed in the region, or placing instances there."""
        placed = select(PlacementRow.assembly_id).where(PlacementRow.region_name == name)
        return list(
            self.session.scalars(
                select(AssemblyRow.name)
                .where(or_(AssemblyRow.region_name == name, AssemblyRow.id.in_(placed)))
                .order_by(AssemblyRow.name)
                .limit(limit)
            )
        )

    def delete(self, row: RegionRow) -> None:
        """Remove the region, and the projects' quotas of it (check `used_by` first)."""
        self.session.execute(delete(QuotaRow).where(QuotaRow.region_name == row.name))
        super().delete(row)

    def placed_in(self, name: str) -> list[str]:
        """Names of the assemblies with a placement (across several regions) that names
        the region."""
        placed = select(PlacementRow.assembly_id).where(PlacementRow.region_name == name)
        query = select(AssemblyRow.name).where(AssemblyRow.id.in_(placed))
        return list(self.session.scalars(query.order_by(AssemblyRow.name)))

    def homed_ids(self, name: str) -> list[str]:
        """Ids of every assembly homed in the region."""
        query = select(AssemblyRow.id).where(AssemblyRow.region_name == name)
        return list(self.session.scalars(query.order_by(AssemblyRow.id)))

    def cloud_types(self) -> list[str]:
        """The distinct cloud types of the configured regions."""
        return list(self.session.scalars(select(RegionRow.cloud_type).distinct()))


class FlavorRepository(_NamedRepository[FlavorRow]):
    """Flavors."""

    row_type = FlavorRow
    used_by_column = AssemblyRow.flavor_name
