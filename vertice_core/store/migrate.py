"""Schema migrations with Alembic, run in-process (`vertice db upgrade|downgrade|current`).

The scripts live in `vertice_core/store/migrations/versions`. Every schema
change is a new revision there; `tests/core/store/test_migrations.py` runs
upgrade -> downgrade -> upgrade on SQLite and PostgreSQL and checks the result
matches the tables of `vertice_core.store.tables`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_SCRIPTS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(_SCRIPTS))
    if engine is not None:
        # Alembic's configuration interpolates `%`: a URL's escapes (a multi-host URL's
        # `host=a%3A5432`, a password's `%40`) are doubled to be read back as they are.
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest)."""
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to `revision` (`base` removes every table)."""
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The newest revision the code knows."""
    revision = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert revision is not None
    return revision


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new revision from the difference between the tables and the database.

    A developer's tool (`vertice db revision -m MESSAGE`); review what it writes.
    """
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
