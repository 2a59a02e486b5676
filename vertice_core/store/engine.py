"""Engines and sessions: how every part of vertice talks to its database.

`Store` owns the engine and hands out sessions in two flavours, because
SQLite needs them: `read()` for work that only reads and `write()` for work
that changes rows. On SQLite a write transaction starts with
`BEGIN IMMEDIATE`, so it waits for the write lock up front (busy timeout)
instead of failing half-way when another process committed meanwhile; reads
run in autocommit (no BEGIN/ROLLBACK round trips), beside writers in WAL
mode. On PostgreSQL and CockroachDB writes are plain transactions and reads
autocommit too.

Callers own the transaction: a `with store.write() as session:` block commits
when it ends and rolls back on an exception.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vertice_core.errors import ConfigurationError

#: The dialect packages a URL's scheme needs, for a clear error when one is missing.
_DIALECT_PACKAGES = {
    "postgresql": ("psycopg", "pip install 'vertice[postgresql]'"),
    "cockroachdb": ("sqlalchemy_cockroachdb", "pip install 'vertice[cockroachdb]'"),
}


def make_engine(url: str, *, begin: str | None = "BEGIN", **kwargs: Any) -> Engine:
    """An engine for `url`. On SQLite, `begin` is what starts each transaction:
    `BEGIN`, `BEGIN IMMEDIATE` (take the write lock up front), or None (autocommit:
    every statement is its own snapshot)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"the database URL {url!r} is not a valid URL") from None
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgresql", "cockroachdb"):
        # The driver vertice installs is psycopg 3; SQLAlchemy's default would be psycopg2.
        parsed = parsed.set(drivername=f"{parsed.drivername}+psycopg")
    needed = _DIALECT_PACKAGES.get(backend)
    if needed and importlib.util.find_spec(needed[0]) is None:
        raise ConfigurationError(f"a {backend} database needs {needed[0]}: {needed[1]}")
    if backend != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
    _configure_sqlite(engine, begin=begin)
    return engine


def _configure_sqlite(engine: Engine, *, begin: str | None) -> None:
    # pysqlite's own transaction handling is bypassed (the SQLAlchemy docs' recipe):
    # we emit BEGIN ourselves so that a write transaction can take the lock up front.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    if begin is None:
        return

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


class Store:
    """The database of one installation: an engine and its session factories."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        #: Transactions as the dialect does them (migrations, tools).
        self.engine = make_engine(url, **engine_options)
        if self.engine.dialect.name == "sqlite":
            self.write_engine = make_engine(url, begin="BEGIN IMMEDIATE", **engine_options)
            self.read_engine = make_engine(url, begin=None, **engine_options)
        else:
            self.write_engine = self.engine
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        #: The engines that own pools (an option engine shares its parent's).
        self._engines = list(
            {id(e): e for e in (self.engine, self.write_engine, self.read_engine)
             if type(e) is Engine}.values()
        )  # fmt: skip
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The engine's dialect name: `sqlite`, `postgresql` or `cockroachdb`."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading, in autocommit: each statement sees the latest commit.

        No transaction is opened (no BEGIN, no ROLLBACK round trips), so two
        statements of one `read()` may see different commits; code that needs
        one consistent snapshot reads inside `write()`.
        """
        with self._reader() as session:
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection in autocommit, for the hottest single-statement reads."""
        with self.read_engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits at the end of the block."""
        with self._writer() as session, session.begin():
            yield session

    def on_statement(self, callback: Callable[[str], None]) -> None:
        """Call `callback(sql)` before every statement any of the store's engines runs."""

        def before(
            _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
        ) -> None:
            callback(statement)

        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", before)

    def ping(self) -> str | None:
        """None when the database answers a trivial query, else the error's class name."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return type(exc).__name__
        return None

    def dispose(self) -> None:
        """Close every pooled connection (call before forking or at shutdown)."""
        for engine in self._engines:
            engine.dispose()
