"""The API's hottest reads, in SQLAlchemy Core on an autocommit connection.

`GET /v3/assembly/{id}` and the assembly collection are what clients poll.
`AssemblyViews.one` is the one read of an assembly: the API's GET, and the
service layer's writes (on their session's connection) all go through it.
These queries take a `Connection` (`Store.connect()`), not a session: one
statement each (the project's name joined in), no ORM identity map, no
transaction round trips. Rows have the assembly's columns as attributes,
`project_name`, and (`one` only) `routes`: the routes in front of the
assembly in one string the database builds (`ROUTE_FIELDS` of each route
joined by `UNIT`, routes joined by `RECORD`; None when there are none), so the
document and its ETag show them without a second statement.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import attrs
import sqlalchemy as sa
from sqlalchemy import Connection, Row, Select, Table, bindparam, func, literal_column, select

from vertice_core.store.fastread import FastQuery
from vertice_core.store.tables import AssemblyRow, ProjectRow, RouteRow

ASSEMBLIES = cast(Table, AssemblyRow.__table__)
PROJECTS = cast(Table, ProjectRow.__table__)
ROUTES = cast(Table, RouteRow.__table__)
_A = ASSEMBLIES.c
_R = ROUTES.c

#: Separators of the `routes` string: no field of a route can hold them (ids, hostnames
#: and path prefixes are validated; the status is JSON text, which escapes them).
UNIT, RECORD = "\x1f", "\x1e"
#: The fields of each route in the `routes` string, in order.
ROUTE_FIELDS = ("id", "hostname", "path_prefix", "port", "tls", "phase", "status")


def _routes_in_front() -> Any:
    """The correlated subquery of the `routes` column (one probe of the assembly index)."""
    unit: sa.ColumnElement[str] = literal_column(f"'{UNIT}'")
    fields = [_R.id, _R.hostname, _R.path_prefix, sa.cast(_R.port, sa.String), _R.tls,
              _R.phase, sa.cast(_R.status, sa.Text)]  # fmt: skip
    joined = fields[0]
    for field in fields[1:]:
        joined = joined.concat(unit).concat(field)
    # The separator as SQL text: a str would be a bound parameter, which FastQuery omits.
    record = cast(str, literal_column(f"'{RECORD}'"))
    return (
        select(func.aggregate_strings(joined, record))
        .where(_R.assembly_id == _A.id)
        .scalar_subquery()
        .label("routes")
    )


#: Sort keys of the assembly collection and the columns they order by.
SORTS: dict[str, tuple[Any, ...]] = {
    "name": (_A.name,),
    "created_at": (_A.created_at,),
    "status": (_A.phase, _A.name),
}


#: Compiled once per dialect and run on the DBAPI cursor (see `fastread`).
_ONE = FastQuery(
    select(ASSEMBLIES, PROJECTS.c.name.label("project_name"), _routes_in_front())
    .join(PROJECTS, PROJECTS.c.id == _A.project_id)
    .where(_A.id == bindparam("assembly_id"))
)


@attrs.frozen
class ItemPage:
    """One page of the collection (id, name, phase of each item) and the size of the whole."""

    total: int
    rows: Sequence[Row[Any]]


class AssemblyViews:
    """Read-only, single-statement queries of assemblies for the API."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def one(self, assembly_id: str, project_ids: Sequence[str] | None) -> SimpleNamespace | None:
        """The assembly with its project's name, if it is in one of `project_ids`."""
        row = _ONE.first(self.connection, assembly_id=assembly_id)
        if row is None or (project_ids is not None and row.project_id not in project_ids):
            return None
        return row

    def page(
        self,
        project_ids: Sequence[str] | None,
        *,
        sort: str = "name",
        descending: bool = False,
        start: int = 0,
        limit: int = 50,
        name: str | None = None,
    ) -> ItemPage:
        """A page of `(id, name, phase)` in index order, and the total (a counting query).

        `name` keeps only the assemblies of that name (one per project at most).
        """
        query, count = _page_statements(sort, descending, project_ids is not None, name is not None)
        values: dict[str, Any] = {"start": start, "limit": limit}
        if project_ids is not None:
            values["projects"] = list(project_ids)
        if name is not None:
            values["name"] = name
        rows = self.connection.execute(query, values).all()
        total = int(self.connection.execute(count, values).scalar_one())
        return ItemPage(total=total, rows=rows)


@functools.cache
def _page_statements(
    sort: str, descending: bool, scoped: bool, named: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of one shape, built once: SQLAlchemy memoizes a
    statement's cache key, so a reused statement skips rebuilding and re-keying it."""
    query = select(_A.id, _A.name, _A.phase)
    count = select(func.count()).select_from(ASSEMBLIES)
    if scoped:
        query = query.where(_A.project_id.in_(bindparam("projects", expanding=True)))
        count = count.where(_A.project_id.in_(bindparam("projects", expanding=True)))
    if named:
        query = query.where(_A.name == bindparam("name"))
        count = count.where(_A.name == bindparam("name"))
    columns = (*SORTS[sort], _A.id)
    order = [c.desc() for c in columns] if descending else list(columns)
    query = query.order_by(*order).offset(bindparam("start")).limit(bindparam("limit"))
    return query, count
