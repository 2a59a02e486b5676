"""A Core SELECT run on the DBAPI cursor directly, for the one read every client polls.

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
`FastQuery` calls the ones `Store.connect()` left in the connection's `info`
(under `LISTENERS`) so that statement counts stay true.

It stays behind the repository (`AssemblyViews.one`, the one read of an
assembly) because it was measured to matter: with it, `GET /v3/assembly/{id}`
held about half a bare Falcon app's rate; through SQLAlchemy's execution,
about a third (README, Performance). What it relies on of SQLAlchemy (a
compiled statement's SQL and parameter order, each type's result processor
per dialect) is checked on every engine by `tests/core/store/test_fastread.py`,
which fails when an upgrade changes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

#: The key of `Connection.info` holding the statement listeners `FastQuery` calls.
LISTENERS = "vertice.statement_listeners"


class _Compiled:
    """A statement compiled for one dialect, with its parameter order and column converters."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.dialect = dialect
        self.columns = list(statement.selected_columns)
        self.sql = compiled.string
        self.positional: Sequence[str] | None = (
            list(compiled.positiontup or []) if compiled.positional else None
        )
        self.names = [str(column.key) for column in self.columns]
        #: Set from the first result's description (some processors need the type code).
        self.converters: list[Callable[[Any], Any] | None] | None = None

    def parameters(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.positional is None:
            return values
        return tuple(values[name] for name in self.positional)

    def record(self, row: Sequence[Any], description: Sequence[Sequence[Any]]) -> SimpleNamespace:
        converters = self.converters
        if converters is None:
            dialect = self.dialect
            converters = self.converters = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(self.columns, description, strict=True)
            ]
        return SimpleNamespace(
            **{
                name: value if convert is None or value is None else convert(value)
                for name, convert, value in zip(self.names, converters, row, strict=True)
            }
        )


class FastQuery:
    """`first(connection, **params)`: the first row of `statement`, or None."""

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

    def first(self, connection: Connection, **params: Any) -> SimpleNamespace | None:
        """Run the statement with `params`; the first row, columns as attributes, or None."""
        compiled = self._for(connection.dialect)
        for listener in connection.info.get(LISTENERS, ()):
            listener(compiled.sql)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            row = cursor.fetchone()
            return None if row is None else compiled.record(row, cursor.description)
        finally:
            cursor.close()
