"""A Core SELECT run on the DBAPI cursor directly, for the reads polled most often.

`GET /v3/assembly/{id}` is the API's hottest path, and most of its cost was
SQLAlchemy's per-execution machinery (execution context, result metadata,
row objects), several times the cost of the query itself. `FastQuery`
compiles a statement once per dialect with SQLAlchemy, runs the SQL string
on the connection's DBAPI cursor, and converts each column with the result
processor its SQLAlchemy type declares for that dialect (JSON text into
objects and date strings into datetimes on SQLite; nothing on PostgreSQL,
whose driver does it). The statement is still SQLAlchemy's, so it stays
portable; only the execution is bypassed.

Statement listeners (`Store.on_statement`) are not called by the cursor;
`FastQuery` calls the ones the store leaves in the `info` of every connection it
opens (under `LISTENERS`), sessions' too, so that statement counts stay true.

The reconciler's controllers poll for due work the same way, four times a second
each when idle (`WorkRepository.due_mark`, `ScalerRepository.due`,
`BuildRepository.due`, the snapshots' and disks' `work`): through the ORM those
looks cost an idle reconciler 1.9-2.2 % of a core, this way 0.9-1.1 % (README,
Performance). A pass reads every assembly of its region as plain tuples
(`WorkRepository.region_rows`, `FastQuery.tuples`). A statement's own literals
(`case(..., else_=0)`) and `IN` lists are bound from its compilation.

It stays behind the repositories (`AssemblyViews.one`, the one read of an
assembly) because it was measured to matter: with it, `GET /v3/assembly/{id}`
held about half a bare Falcon app's rate; through SQLAlchemy's execution,
about a third (`docs/performance-history.md`). What it relies on of SQLAlchemy (a
compiled statement's SQL and parameter order, each type's result processor
per dialect) is checked on every engine by `tests/core/store/test_fastread.py`,
which fails when an upgrade changes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Float, Select, bindparam
from sqlalchemy.engine import Dialect

#: The key of `Connection.info` holding the statement listeners `FastQuery` calls.
LISTENERS = "vertice.statement_listeners"
#: The time a controller polls for due work at, as a parameter of a statement built once.
NOW = bindparam("now", type_=Float)


class _Compiled:
    """A statement compiled for one dialect, with its parameter order and column converters."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.dialect = dialect
        self.columns = list(statement.selected_columns)
        self.sql = compiled.string
        self.positional: Sequence[str] | None = (
            list(compiled.positiontup or []) if compiled.positional else None
        )
        self.names = [str(column.key) for column in self.columns]
        #: The values the statement binds itself (its literals: `case(..., else_=0)`).
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}
        #: Set from the first result's description (some processors need the type code).
        self.converters: list[Callable[[Any], Any] | None] | None = None

    def parameters(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self.defaults, **values} if self.defaults else values
        if self.positional is None:
            return merged
        return tuple(merged[name] for name in self.positional)

    def _converters(
        self, description: Sequence[Sequence[Any]]
    ) -> list[Callable[[Any], Any] | None]:
        converters = self.converters
        if converters is None:
            dialect = self.dialect
            converters = self.converters = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(self.columns, description, strict=True)
            ]
        return converters

    def record(self, row: Sequence[Any], description: Sequence[Sequence[Any]]) -> SimpleNamespace:
        converters = self._converters(description)
        return SimpleNamespace(
            **{
                name: value if convert is None or value is None else convert(value)
                for name, convert, value in zip(self.names, converters, row, strict=True)
            }
        )

    def tuples(
        self, rows: Sequence[tuple[Any, ...]], description: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """`rows` with the columns that need it converted (the DBAPI's own list when
        none does: on PostgreSQL, usually)."""
        todo = [(i, c) for i, c in enumerate(self._converters(description)) if c is not None]
        if not todo:
            return list(rows)
        converted = []
        for row in rows:
            values = list(row)
            for index, convert in todo:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
            converted.append(tuple(values))
        return converted


class FastQuery:
    """`first(connection, **params)`: the first row of `statement`, or None; `all(...)`:
    every row. Columns are attributes of each row; `tuples(...)` gives every row as a
    plain tuple instead."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(
                    dialect.name, _Compiled(self.statement, dialect)
                )
        return compiled

    def _run(
        self, connection: Connection, params: dict[str, Any], many: bool, plain: bool = False
    ) -> list[Any]:
        compiled = self._for(connection.dialect)
        for listener in connection.info.get(LISTENERS, ()):
            listener(compiled.sql)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            if many:
                rows = cursor.fetchall()
            else:
                row = cursor.fetchone()
                rows = [] if row is None else [row]
            if plain:
                return compiled.tuples(rows, cursor.description)
            return [compiled.record(row, cursor.description) for row in rows]
        finally:
            cursor.close()

    def first(self, connection: Connection, **params: Any) -> SimpleNamespace | None:
        """Run the statement with `params`; the first row, or None."""
        rows = self._run(connection, params, many=False)
        return rows[0] if rows else None

    def all(self, connection: Connection, **params: Any) -> list[SimpleNamespace]:
        """Run the statement with `params`; every row."""
        return self._run(connection, params, many=True)

    def tuples(self, connection: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Run the statement with `params`; every row as a plain tuple of its columns in
        order (no object per row: what a read of thousands of rows wants)."""
        return self._run(connection, params, many=True, plain=True)
