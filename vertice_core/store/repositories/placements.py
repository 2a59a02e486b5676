"""The regions of assemblies with a placement, read by region (the reconciler's passes).

An assembly with a placement has one row per region it may run instances in
(`placements`), written when it is declared and never changed. The pass over a
region reads the assemblies homed there (`assemblies.region_name`) and, with
these rows, those placed there too; a due assembly makes each of its regions due.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session

from vertice_core.store.bulk import insert_rows
from vertice_core.store.leases import chunked
from vertice_core.store.repositories.routes import serving_by_assembly
from vertice_core.store.tables import AssemblyRow, FlavorRow, PlacementRow, RouteRow

PLACEMENTS = cast(Table, PlacementRow.__table__)
_A = cast(Table, AssemblyRow.__table__).c
_L = PLACEMENTS.c
_R = cast(Table, RouteRow.__table__).c

#: What the passes read about a placed assembly: its placement, the flavor's price per
#: region, its status document.
PlacedRow = tuple[dict[str, Any], dict[str, float], dict[str, Any]]


class PlacementRepository:
    """Reads of placed assemblies by region, and the rows of a new one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> Connection:
        return self.session.connection()

    def add(self, assembly_id: str, regions: Sequence[str]) -> None:
        """Record the regions of a newly declared assembly with a placement."""
        insert_rows(
            self._db,
            PLACEMENTS,
            [
                {"assembly_id": assembly_id, "region_name": name, "position": i}
                for i, name in enumerate(regions)
            ],
        )

    def rows_in(self, region: str, columns: Sequence[Any]) -> Sequence[tuple[Any, ...]]:
        """`columns` of the assemblies placed in `region` but homed in another one."""
        query = (
            select(*columns)
            .join(PLACEMENTS, _L.assembly_id == _A.id)
            .where(_L.region_name == region, _A.region_name != region)
        )
        return self._db.execute(query).tuples().all()

    def due_regions(self, now: float) -> dict[str, int]:
        """Regions (other than their home) with placed assemblies due by `now`, and how many."""
        rows = self._db.execute(
            select(_L.region_name, func.count())
            .join(AssemblyRow, _A.id == _L.assembly_id)
            .where(_A.due_at <= now, _L.region_name != _A.region_name)
            .group_by(_L.region_name)
        )
        return {str(region): int(count) for region, count in rows}

    def in_use(self, region: str) -> bool:
        """Whether some assembly's placement names `region`."""
        found = self._db.execute(select(_L.assembly_id).where(_L.region_name == region).limit(1))
        return found.first() is not None

    def placed(self, ids: Sequence[str]) -> dict[str, PlacedRow]:
        """`{id: (placement, the flavor's price per region, status document)}` of these
        assemblies (those with a placement)."""
        found: dict[str, PlacedRow] = {}
        rows: list[Any] = []
        for part in chunked(ids):
            rows.extend(
                self._db.execute(
                    select(_A.id, _A.placement, _A.flavor_name, _A.status).where(
                        _A.id.in_(part), _A.placement.is_not(None)
                    )
                )
            )
        flavors = {
            str(name): (float(price), dict(prices or {}))
            for name, price, prices in self._db.execute(
                select(FlavorRow.name, FlavorRow.price_per_hour, FlavorRow.region_prices).where(
                    FlavorRow.name.in_(sorted({row[2] for row in rows}))
                )
            )
        }
        for assembly_id, placement, flavor, status in rows:
            price, prices = flavors.get(flavor, (0.0, {}))
            by_region = {r: float(prices.get(r, price)) for r in placement.get("regions", ())}
            found[str(assembly_id)] = (dict(placement), by_region, dict(status or {}))
        return found

    def served(self, ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """Which of these assemblies have a route in front of them, each with the keys of
        the instances its routes were last known to serve."""
        found: dict[str, frozenset[str]] = {}
        for part in chunked(ids):
            rows = self._db.execute(
                select(_R.assembly_id, _R.status).where(_R.assembly_id.in_(part))
            )
            found.update(serving_by_assembly(rows.tuples()))
        return found
