"""A Core INSERT of whole rows run on the DBAPI cursor directly, for a declaration's writes.

A declaration inserts its assembly row and its lease row while it holds the write
transaction: on a SQLite file, while every other writer of the file waits for it
(`store.writelock`), so its length is the pace of every API worker's writes. Through
`Connection.execute(insert(...), rows)` three quarters of those two INSERTs' time was
SQLAlchemy's execution machinery (cache keys, parameter construction, the execution
context), a quarter the database's (py-spy of both API workers under `python -m
bench declare`). `FastInsert` compiles the INSERT of every column once per dialect,
turns each value into what the driver takes with the bind processor its column's type
declares for that dialect (JSON into text, datetimes into SQLite's strings, as
SQLAlchemy does, a None included), and runs it on the cursor of the connection the
transaction holds, so it commits or rolls back (or stays in a savepoint) with the rest.

Statement listeners are called as `FastQuery` calls them (`fastread.LISTENERS`). A
driver's error is raised as SQLAlchemy would raise it (`DBAPIError.instance`: an
`IntegrityError` for a constraint, with `orig`), and a connection the database dropped
is invalidated, so that `failures.reaching` tells a full disk, a lost connection or a
contended transaction from a constraint, as for every other statement.
`tests/core/store/test_fastwrite.py` checks on every engine that a row it inserts reads
back as the row SQLAlchemy's INSERT stores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from vertice_core.store.fastread import LISTENERS


class _CompiledInsert:
    """The INSERT of every column of a table for one dialect, and each value's processor."""

    def __init__(self, mapped: type[Any], dialect: Dialect) -> None:
        table = mapped.__table__
        keys = [column.key for column in table.columns]
        compiled = insert(mapped).compile(dialect=dialect, column_keys=keys)
        self.sql = compiled.string
        processors = {
            column.key: column.type.dialect_impl(dialect).bind_processor(dialect)
            for column in table.columns
        }
        #: In the driver's order (SQLite's `?`) or by name (PostgreSQL's `%(name)s`).
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if compiled.positional else keys
        self.order: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, processors[name]) for name in names
        ]

    def parameters(self, row: Mapping[str, Any]) -> Any:
        """The row's values for the driver: a tuple in the SQL's order, or a dict."""
        values = [(name, row[name] if convert is None else convert(row[name]))
                  for name, convert in self.order]  # fmt: skip
        if self.positional:
            return tuple(value for _, value in values)
        return dict(values)


class FastInsert:
    """`run(connection, rows)`: insert `rows` (mappings of every column of the table of the
    mapped class `mapped`) in the connection's transaction, with one `execute` or
    `executemany`."""

    def __init__(self, mapped: type[Any]) -> None:
        self.mapped = mapped
        self._compiled: dict[str, _CompiledInsert] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _CompiledInsert:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(
                    dialect.name, _CompiledInsert(self.mapped, dialect)
                )
        return compiled

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows`; a missing column is a `KeyError` (no defaults are applied)."""
        if not rows:
            return
        compiled = self._for(connection.dialect)
        parameters = [compiled.parameters(row) for row in rows]
        for listener in connection.info.get(LISTENERS, ()):
            listener(compiled.sql)
        dialect = connection.dialect
        raw = connection.connection.dbapi_connection
        cursor = connection.connection.cursor()
        try:
            if len(parameters) == 1:
                cursor.execute(compiled.sql, parameters[0])
            else:
                cursor.executemany(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as exc:
            dropped = dialect.is_disconnect(exc, raw, cursor)
            if dropped:
                connection.invalidate(exc)
            raise DBAPIError.instance(
                compiled.sql, None, exc, dialect.loaded_dbapi.Error,
                connection_invalidated=dropped, dialect=dialect,
            ) from exc  # fmt: skip
        finally:
            cursor.close()
