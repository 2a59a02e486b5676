"""Migrations: empty -> head -> base -> head on SQLite and PostgreSQL, and head == the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from vertice_core.store import Store, migrate
from vertice_core.store.tables import Base


def table_names(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_db_url):
    store = Store(empty_db_url)
    try:
        assert migrate.current(store.engine) is None
        migrate.upgrade(store.engine)
        assert migrate.current(store.engine) == migrate.head()
        assert table_names(store) == set(Base.metadata.tables)
        migrate.downgrade(store.engine, "base")
        assert migrate.current(store.engine) is None
        assert table_names(store) == set()
        migrate.upgrade(store.engine)
        assert migrate.current(store.engine) == migrate.head()
        with store.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], "the migrations and vertice_core/store/tables/ disagree"
    finally:
        store.dispose()


def test_the_schema_check_reads_the_revisions_as_alembic_does(empty_db_url):
    """`store.schema` (what `/healthz` runs, without importing Alembic) reads the scripts'
    revisions and the database's as Alembic does."""
    from alembic.script import ScriptDirectory

    from vertice_core.store import schema

    walked = ScriptDirectory.from_config(migrate._alembic_config()).walk_revisions()
    assert schema.revisions() == tuple(script.revision for script in walked)
    store = Store(empty_db_url)
    try:
        assert schema.current(store.engine) is None
        assert schema.schema_problem(store.engine) == (
            "the database has no schema yet: run `vertice db upgrade`"
        )
        migrate.upgrade(store.engine)
        assert schema.current(store.engine) == migrate.current(store.engine) == migrate.head()
        assert schema.schema_problem(store.engine) is None
    finally:
        store.dispose()


def test_a_url_with_escapes_reaches_alembic_as_it_is():
    """A multi-host URL (`host=a%3A5432&host=b%3A5433`) or a password with `%40` broke
    `vertice db upgrade`: Alembic's configuration read `%` as interpolation (issue 19)."""
    from sqlalchemy import create_engine

    url = (
        "postgresql+psycopg://vertice:p%40ss@/vertice?host=10.0.0.1%3A5432"
        "&host=10.0.0.2%3A5432&target_session_attrs=read-write"
    )
    engine = create_engine(url)
    config = migrate._alembic_config(engine)
    assert config.get_main_option("sqlalchemy.url") == engine.url.render_as_string(False)
