"""What a database error means: out of reach, contended, a full disk.

`Store` runs every block inside `reaching()`, which turns SQLAlchemy's errors into
vertice's: `Unavailable` when the database cannot be reached (connecting failed, or
it dropped the connection: a restart, a failover), `Contended` when the server rolled
the transaction back to resolve a conflict (safe to run again), `StorageFull` when its
disk is full. Anything else (a constraint, a bad statement) passes through unchanged.
`closed_by_server` tells whether a kept idle connection was ended by the server.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError

from vertice_core.errors import Contended, StorageFull, Unavailable


def connecting_failed_is_a_disconnect(context: ExceptionContext) -> None:
    """Mark an error raised while connecting (or pinging a pooled connection) as a
    disconnect: the database is out of reach, whatever the driver's message says.

    SQLAlchemy then sets `connection_invalidated` on the error it raises, so that
    `out_of_reach` tells it from an error of a statement (a constraint, a lock).
    """
    if context.connection is None:
        context.is_disconnect = True


def out_of_reach(exc: BaseException, connection: Connection | None = None) -> bool:
    """Whether `exc` says the database cannot be reached: connecting failed, or it
    dropped the connection (a restart). A driver's own exception (raised on the DBAPI
    cursor `FastQuery` uses) is judged by the dialect on the `connection` it came from.
    """
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated
    if connection is None or connection.invalidated or connection.closed:
        return False
    dialect = connection.dialect
    return isinstance(exc, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
        exc, connection.connection.dbapi_connection, None
    )


def closed_by_server(connection: Connection) -> bool:
    """Whether the server has spoken on an idle kept connection: it only does to end it
    (a restart, `pg_terminate_backend`), so a readable socket means a dead connection.

    Costs one `poll` of the socket, no round trip (a ping would cost as much as the read
    it guards). A connection without a socket (SQLite) is never closed by a server.
    """
    raw = connection.connection.dbapi_connection
    fileno = getattr(raw, "fileno", None)
    if fileno is None:
        return False
    try:
        poller = select.poll()
        poller.register(fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # the driver raises when it knows the connection is closed
        return True


def unavailable(exc: BaseException) -> Unavailable:
    """The error a block raises when the database is out of reach (`exc` says why)."""
    return Unavailable(f"the database is unavailable ({type(exc).__name__}); try again shortly")


@contextmanager
def reaching() -> Iterator[None]:
    """Raise `Unavailable` for an error of the block that says the database is out of reach,
    and `StorageFull` for one that says its disk is full."""
    try:
        yield
    except SQLAlchemyError as exc:
        if disk_full(exc):
            raise StorageFull(
                "the database's disk is full: nothing can be stored until space is freed"
            ) from exc
        if out_of_reach(exc):
            raise unavailable(exc) from exc
        if contended(exc):
            raise Contended(
                "the database rolled the transaction back under contention "
                f"(SQLSTATE {sqlstate(exc)}); try again"
            ) from exc
        raise


#: SQLite's result code for a full disk (`sqlite3.SQLITE_FULL`) and PostgreSQL's SQLSTATE.
_SQLITE_FULL = 13
_POSTGRES_DISK_FULL = "53100"


#: SQLSTATEs of a transaction the server rolled back whole and that can be run again:
#: serialization_failure (also CockroachDB's "restart transaction") and deadlock_detected.
#: Not 40003 (statement_completion_unknown): that one may have committed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL, CockroachDB), else None."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def contended(exc: BaseException) -> bool:
    """Whether the database rolled the transaction back to resolve a conflict with others."""
    return sqlstate(exc) in RETRYABLE_SQLSTATES


def disk_full(exc: BaseException) -> bool:
    """Whether the database refused a write because its disk is full."""
    original = getattr(exc, "orig", None)
    if original is None:
        return False
    return (
        getattr(original, "sqlite_errorcode", None) == _SQLITE_FULL
        or getattr(original, "sqlstate", None) == _POSTGRES_DISK_FULL
    )
