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
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vertice_core.errors import ConfigurationError
from vertice_core.store.fastread import LISTENERS
from vertice_core.store.writelock import WriteLock

#: The dialect packages a URL's scheme needs, for a clear error when one is missing.
_DIALECT_PACKAGES = {
    "postgresql": ("psycopg", "pip install 'vertice-core[postgresql]'"),
    "cockroachdb": ("sqlalchemy_cockroachdb", "pip install 'vertice-core[cockroachdb]'"),
}


def _dump_json(value: Any) -> str:
    """JSON text of a column's value: orjson, or the json module for what orjson refuses
    (integers beyond 64 bits, which a user's plan document may hold). That text starts
    with a space, which JSON allows and orjson never writes: `_load_json` reads it with
    the json module, since orjson would read such an integer as an inexact float."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return " " + json.dumps(value)


def _load_json(text: str | bytes) -> Any:
    """A column's JSON value (see `_dump_json`)."""
    if text[:1] in (" ", b" "):
        return json.loads(text)
    return orjson.loads(text)


def make_engine(url: str, *, begin: str | None = "BEGIN", **kwargs: Any) -> Engine:
    """An engine for `url`. On SQLite, `begin` is what starts each transaction:
    `BEGIN`, `BEGIN IMMEDIATE` (take the write lock up front), or None (autocommit:
    every statement is its own snapshot)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"the database URL {url!r} is not a valid URL") from None
    backend = parsed.get_backend_name()
    # JSON columns with orjson: read back faster, and written ~5x faster than the json
    # module (serialising statuses was 5% of the reconciler's CPU in a converge).
    kwargs.setdefault("json_deserializer", _load_json)
    kwargs.setdefault("json_serializer", _dump_json)
    if parsed.drivername in ("postgresql", "cockroachdb"):
        # The driver vertice installs is psycopg 3; SQLAlchemy's default would be psycopg2.
        parsed = parsed.set(drivername=f"{parsed.drivername}+psycopg")
    needed = _DIALECT_PACKAGES.get(backend)
    if needed and importlib.util.find_spec(needed[0]) is None:
        raise ConfigurationError(f"a {backend} database needs {needed[0]}: {needed[1]}")
    if backend == "postgresql":
        # psycopg prepares a statement once it ran five times, and PostgreSQL then may
        # switch to a generic plan. For `IN (:p1, ..., :p1000)` a generic plan filters
        # every row with a linear scan of the list (~240 ms a read of 1,000 instance rows
        # in the converge benchmark, against ~2 ms planned with the values): plan each
        # execution with its values; prepared statements still save the parsing.
        kwargs.setdefault("connect_args", {"options": "-c plan_cache_mode=force_custom_plan"})
    if backend != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    if parsed.database and parsed.database != ":memory:":
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
        self._write_lock: WriteLock | None = None
        if self.engine.dialect.name == "sqlite":
            self.write_engine = make_engine(url, begin="BEGIN IMMEDIATE", **engine_options)
            self.read_engine = make_engine(url, begin=None, **engine_options)
            database = self.engine.url.database
            if database and database != ":memory:":
                self._write_lock = WriteLock(Path(database + ".writelock"))
        else:
            self.write_engine = self.engine
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        #: The engines that own pools (an option engine shares its parent's).
        self._engines = list(
            {id(e): e for e in (self.engine, self.write_engine, self.read_engine)
             if type(e) is Engine}.values()
        )  # fmt: skip
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        #: The connection each thread keeps for `connect()`, and all of them (to dispose).
        self._kept = threading.local()
        self._kept_all: list[Connection] = []
        self._kept_lock = threading.Lock()
        #: What `on_statement` registered, for reads that bypass the engine (`fastread`).
        self._listeners: list[Callable[[str], None]] = []
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
        """A Core connection in autocommit, for the hottest single-statement reads.

        Each thread keeps its connection open between blocks: checking one out
        of the pool and returning it costs about as much as the read itself.
        An autocommit connection holds no lock and no snapshot while it waits.
        A connection the database dropped is replaced on the next block, and so is
        one inherited through a fork.
        """
        kept = self._kept
        connection: Connection | None = getattr(kept, "connection", None)
        if (
            connection is None
            or connection.closed
            or connection.invalidated
            or kept.pid != os.getpid()  # inherited through a fork: never share a connection
        ):
            connection = self.read_engine.connect()
            connection.info[LISTENERS] = self._listeners
            kept.connection, kept.pid = connection, os.getpid()
            with self._kept_lock:  # (dropping the closed ones: a long life sees many)
                self._kept_all = [c for c in self._kept_all if not c.closed] + [connection]
        try:
            yield connection
        except DBAPIError as exc:
            if exc.connection_invalidated:
                kept.connection = None
            raise
        finally:
            if connection.in_transaction():
                connection.rollback()  # only bookkeeping: the DBAPI connection autocommits

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits at the end of the block.

        On a SQLite file, writers queue on a `WriteLock` first (see its module).
        """
        if self._write_lock is None:
            with self._writer() as session, session.begin():
                yield session
            return
        with self._write_lock.held(), self._writer() as session, session.begin():
            yield session

    def on_statement(self, callback: Callable[[str], None]) -> None:
        """Call `callback(sql)` before every statement any of the store's engines runs."""
        self._listeners.append(callback)

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
        with self._kept_lock:
            kept, self._kept_all = self._kept_all, []
        for connection in kept:
            connection.close()
        self._kept = threading.local()
        for engine in self._engines:
            engine.dispose()
