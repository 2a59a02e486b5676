"""Engines and sessions: how every part of vertice talks to its database.

`Store` owns the engine and hands out sessions in two flavours, because
SQLite needs them: `read()` for work that only reads and `write()` for work
that changes rows. On SQLite a write transaction starts with
`BEGIN IMMEDIATE`, so it waits for the write lock up front (busy timeout)
instead of failing half-way when another process committed meanwhile; reads
run in autocommit (no BEGIN/ROLLBACK round trips), beside writers in WAL
mode. On PostgreSQL and CockroachDB writes are plain transactions and reads
autocommit too.

A database that restarted has closed every connection the pools keep: a pooled
connection is pinged when it is checked out (`pool_pre_ping`), and the connections
`connect()` keeps are replaced once the server has closed them. A database
out of reach (down, or dropping the connection mid-request) raises `Unavailable`
from every block, which the API answers 503; never a driver's exception (what an
error means is `vertice_core.store.failures`).

A SQLite file is created mode 0600 (`vertice_core.files.private_file`).

Callers own the transaction: a `with store.write() as session:` block commits
when it ends and rolls back on an exception.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vertice_core.errors import ConfigurationError, Contended, Unavailable
from vertice_core.files import private_file
from vertice_core.store import attempts, failures
from vertice_core.store.fastread import LISTENERS
from vertice_core.store.writelock import WriteLock

#: Connections `connect()` keeps open between blocks, per process: as many as a worker
#: serves requests at once in the common case, beyond which they are closed after use.
MAX_IDLE = 8
#: KiB of SQLite's page cache per connection (`PRAGMA cache_size`; SQLite's default is
#: 2,000). A process holds several connections to one file (three engines, each with its
#: pool: eight in a reconciler), and each one's cache filled up to the default with a
#: database of 10,000 assemblies, in memory glibc keeps: the reconciler's peak / idle RSS
#: was 184 / 167 and 187 / 174 MB with the default, 165 / 158 and 164 / 156 MB with this
#: (`python -m bench converge`, full size, two runs each, alternating). The pages stay in
#: the system's file cache, so a page not in a connection's own is a `pread` away: a read
#: of one row by id over 10,000 took 16.4 to 18.5 µs with either size.
SQLITE_CACHE_KIB = 256

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
        # The URL's own `options` (`?options=-c ...`) are kept: connect_args would replace them.
        given = parsed.query.get("options") or ""
        given = " ".join(given) if isinstance(given, tuple) else given
        options = f"{given} -c plan_cache_mode=force_custom_plan".strip()
        kwargs.setdefault("connect_args", {"options": options})
    if backend != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
    else:
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            private_file(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine, begin=begin)
    event.listen(engine, "handle_error", failures.connecting_failed_is_a_disconnect)
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
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
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
        #: What `on_statement` registered, for reads that bypass the engine (`fastread`):
        #: in the `info` of every connection, those of sessions too.
        self._listeners: list[Callable[[str], None]] = []
        for engine in self._engines:
            event.listen(engine, "connect", self._carry_listeners)
        #: The connections `connect()` keeps between blocks, the last returned on top,
        #: each with the pid that opened it (see `connect`).
        self._idle: list[tuple[Connection, int]] = []
        self._idle_lock = threading.Lock()
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    def _carry_listeners(self, _dbapi_connection: Any, record: Any) -> None:
        record.info[LISTENERS] = self._listeners

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
        with failures.reaching(), self._reader() as session:
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection in autocommit, for the hottest single-statement reads.

        The connection is kept open between blocks: checking one out of the pool and
        returning it costs about as much as the read itself. Kept connections form a
        stack, not one per thread: an API worker serving requests in greenlets
        (gevent) starts a greenlet per request, and a per-thread connection would be
        a new connection per request, never closed. A thread takes the connection
        returned last; at most `MAX_IDLE` wait between blocks. An autocommit
        connection holds no lock and no snapshot while it waits. One the server
        closed while it was kept (a database restart) is replaced before the block;
        one the database drops during a block is replaced on the next, and the block
        raises `Unavailable`. One inherited through a fork is left alone.
        """
        connection = self._checkout()
        try:
            yield connection
        except Exception as exc:
            if not failures.out_of_reach(exc, connection):
                raise
            self._drop(connection)
            raise failures.unavailable(exc) from exc
        finally:
            if not connection.closed and connection.in_transaction():
                connection.rollback()  # only bookkeeping: the DBAPI connection autocommits
            self._checkin(connection)

    def _checkout(self) -> Connection:
        """A kept connection the server has not closed, else a new one."""
        pid = os.getpid()
        while True:
            with self._idle_lock:
                if not self._idle:
                    break
                connection, opened_by = self._idle.pop()
            if opened_by != pid:  # inherited through a fork: never share (nor close) it
                continue
            if connection.closed or connection.invalidated:
                continue
            if failures.closed_by_server(connection):
                self._drop(connection)
                continue
            return connection
        with failures.reaching():
            return self.read_engine.connect()

    def _checkin(self, connection: Connection) -> None:
        """Keep `connection` for the next block, unless it is closed or enough wait."""
        if connection.closed or connection.invalidated:
            return
        with self._idle_lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append((connection, os.getpid()))
                return
        connection.close()

    @staticmethod
    def _drop(connection: Connection) -> None:
        """Discard a kept connection the database dropped (its DBAPI connection too)."""
        connection.invalidate()
        connection.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits at the end of the block.

        On a SQLite file, writers queue on a `WriteLock` (see its module), taken once the
        session is made and given back as the transaction commits, before the session
        closes: the lock is what orders the writers of a file, so what it covers sets the
        pace of all of them (timed in both API workers under the load of `python -m bench
        declare`: held 1.54-1.60 ms a declaration, from 1.66-1.88 ms when it also covered
        making and closing the session). The current `attempts.Attempt`, if any, counts
        the commit, or learns that its outcome is unknown when the connection was lost
        while committing.
        """
        record = attempts.current()
        committing = False
        try:
            with failures.reaching(), self._writer() as session, self._locked(), session.begin():
                yield session
                committing = True  # the block is done: leaving `begin()` commits
        except Unavailable as exc:
            if committing and record is not None and not isinstance(exc, Contended):
                record.ambiguous = True
            raise
        if record is not None:
            record.committed += 1

    @contextmanager
    def rehearse(self) -> Iterator[Session]:
        """A session like `write()`'s whose transaction is always rolled back: a dry run
        validates a change and reads what it would make, and stores nothing."""
        with failures.reaching(), self._writer() as session, self._locked():
            transaction = session.begin()
            try:
                yield session
                session.flush()  # what the block wrote is checked, as a commit would
            finally:
                transaction.rollback()

    def _locked(self) -> AbstractContextManager[object]:
        """The SQLite file's write lock, held (nothing elsewhere)."""
        return self._write_lock.held() if self._write_lock is not None else nullcontext()

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
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection, opened_by in idle:
            if opened_by == os.getpid():
                connection.close()
        for engine in self._engines:
            engine.dispose()
