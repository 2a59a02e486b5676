"""Routes: declared by the API, their status written by the route controller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, case, delete, func, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from vertice_core.store.fastread import FastQuery
from vertice_core.store.repositories.assemblies import AssemblyRepository
from vertice_core.store.repositories.owned import assemblies_by_id, in_scope, insert_unique
from vertice_core.store.tables import AssemblyRow, RouteRow

#: The key, in a route's status document, of the keys of the instances the proxy was last
#: known to send requests to (written by the route controller, read by the reconciler:
#: an instance it drains is deleted only once no route serves it; not shown by the API).
SERVING = "serving"


def serving_by_assembly(
    rows: Iterable[tuple[Any, dict[str, Any] | None]],
) -> dict[str, frozenset[str]]:
    """(assembly id, route status) rows as the keys of the instances each assembly's
    routes serve: every routed assembly is there, with no keys when none is served."""
    found: dict[str, set[str]] = {}
    for assembly_id, status in rows:
        found.setdefault(str(assembly_id), set()).update(
            str(key) for key in (status or {}).get(SERVING) or ()
        )
    return {assembly_id: frozenset(keys) for assembly_id, keys in found.items()}


#: Constants written into the SQL (`FastQuery` passes no bound parameters but its own).
_ONE: ColumnClause[int] = literal_column("1")
_ZERO: ColumnClause[int] = literal_column("0")
_COLON: ColumnClause[str] = literal_column("':'")
_DASH: ColumnClause[str] = literal_column("'-'")
_COMMA: ColumnClause[str] = literal_column("','")

#: The route controller's idle check, one row (see `RouteRepository.watermark`).
_WATERMARK = FastQuery(
    select(
        func.count(RouteRow.id).label("routes"),
        func.coalesce(
            func.sum(
                case((RouteRow.generation != RouteRow.observed_generation, _ONE), else_=_ZERO)
            ),
            _ZERO,
        ).label("changed"),
        func.min(RouteRow.due_at).label("due_at"),
        func.aggregate_strings(
            RouteRow.id.concat(_COLON).concat(func.coalesce(AssemblyRow.status_digest, _DASH)),
            cast(str, _COMMA),  # typed as a str, which would be a bound parameter
        ).label("digests"),
    )
    .select_from(RouteRow)
    .outerjoin(AssemblyRow, AssemblyRow.id == RouteRow.assembly_id)
)


class RouteRepository:
    """Rows of `routes`; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, **values: Any) -> RouteRow | None:
        """Insert a route; None when its hostname was taken meanwhile (the unique index)."""
        return insert_unique(self.session, RouteRow, "rte", **values)

    def get(self, route_id: str, scope: Sequence[str] | None) -> RouteRow | None:
        """The route with `route_id` if it is in one of the `scope` projects (None: any)."""
        return in_scope(self.session, RouteRow, route_id, scope)

    def by_hostname(self, hostname: str) -> RouteRow | None:
        """The route that holds `hostname`, in any project."""
        return self.session.scalars(select(RouteRow).where(RouteRow.hostname == hostname)).first()

    def in_projects(self, scope: Sequence[str] | None) -> Sequence[RouteRow]:
        """The routes of the `scope` projects (None: every project), by hostname."""
        query = select(RouteRow).order_by(RouteRow.hostname)
        if scope is not None:
            query = query.where(RouteRow.project_id.in_(scope))
        return self.session.scalars(query).all()

    def assembly_in(self, project_id: str, ref: str) -> str | None:
        """The id of the project's assembly named (or with id) `ref`, or None."""
        return AssemblyRepository(self.session).id_in_project(project_id, ref)

    def of_assembly(self, assembly_id: str) -> Sequence[RouteRow]:
        """The routes in front of one assembly, by hostname."""
        query = select(RouteRow).where(RouteRow.assembly_id == assembly_id)
        return self.session.scalars(query.order_by(RouteRow.hostname)).all()

    def delete(self, row: RouteRow) -> None:
        """Remove a route (the controller removes it from the proxy at its next pass)."""
        self.session.delete(row)
        self.session.flush()

    # -- the route controller's reads and writes --

    def all(self) -> Sequence[RouteRow]:
        """Every route, by id."""
        return self.session.scalars(select(RouteRow).order_by(RouteRow.id)).all()

    def ids(self) -> set[str]:
        """The id of every route."""
        return set(self.session.scalars(select(RouteRow.id)))

    def assemblies(self, ids: Iterable[str]) -> dict[str, AssemblyRow]:
        """The assemblies with these ids (missing ones are left out)."""
        return assemblies_by_id(self.session, ids)

    def write_status(self, route_id: str, generation: int, **values: Any) -> bool:
        """Write a route's status if it still has `generation` (the API may have changed it)."""
        result = self.session.execute(
            update(RouteRow)
            .where(RouteRow.id == route_id, RouteRow.generation == generation)
            .values(observed_generation=generation, **values)
        )
        return bool(getattr(result, "rowcount", 0))

    def watch(self) -> list[tuple[str, bool, float | None, str | None]]:
        """Per route: its id, whether its spec changed since the controller wrote its
        status, its retry time, and its assembly's status digest (None: no assembly)."""
        query = (
            select(
                RouteRow.id,
                RouteRow.generation != RouteRow.observed_generation,
                RouteRow.due_at,
                AssemblyRow.status_digest,
            )
            .select_from(RouteRow)
            .outerjoin(AssemblyRow, AssemblyRow.id == RouteRow.assembly_id)
        )
        return [(r[0], bool(r[1]), r[2], r[3]) for r in self.session.execute(query)]

    @staticmethod
    def watermark(connection: Connection) -> SimpleNamespace:
        """One row the route controller polls between passes: `routes` (how many),
        `changed` (how many specs changed since their status), `due_at` (the earliest
        retry) and `digests` (every route's id and its assembly's status digest, in one
        string the database builds; "-" for a missing assembly).

        One statement on the DBAPI cursor (`fastread`): the database joins, Python
        gets one row, where `watch()` makes a row object per route.
        """
        row = _WATERMARK.first(connection)
        assert row is not None  # an aggregate without GROUP BY has one row
        return row

    def remove_all(self) -> None:
        """Delete every route (tests and tools)."""
        self.session.execute(delete(RouteRow))
