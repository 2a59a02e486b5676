"""Throw-away databases for tests: a PostgreSQL database per test session, empty tables.

The PostgreSQL server is `VERTICE_TEST_POSTGRES` (default: the local server at
127.0.0.1:5432 with trust auth, database `test`); each test session makes its
own database there and drops it at the end.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

from vertice_core.store.tables import Base

#: The PostgreSQL server the tests use (trust auth); each test session makes its own database.
POSTGRES_SERVER = os.environ.get(
    "VERTICE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINES = ["sqlite", "postgresql"]


def postgres_url(database: str) -> str:
    """The URL of `database` on the test PostgreSQL server."""
    return POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{database}"


def create_postgres_database() -> str:
    """A new empty database on the test server; returns its URL."""
    name = f"vt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_url(name)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def truncate(url: str) -> None:
    """Empty every table of the database at `url` (PostgreSQL).

    `DELETE` in dependency order rather than `TRUNCATE`: on tables this small it is
    an order of magnitude faster (about 6 ms against 80 ms), and every test pays it.
    """
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
