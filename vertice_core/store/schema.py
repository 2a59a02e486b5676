"""The schema's revision without Alembic: what `/healthz` checks at every call.

Importing Alembic costs a process about 0.3 s and its memory, which the API's workers
did not pay before they checked the schema. So the revisions the code knows are read
from the migration scripts' own `revision` and `down_revision` lines (one line of
history, as `vertice_core.store.migrate` keeps it; `tests/core/store/test_migrations.py`
checks the reading against Alembic's), and the database's from `alembic_version`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from vertice_core.errors import Unavailable

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_DECLARED = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*\"?(\w+)\"?", re.MULTILINE)


@functools.cache
def revisions() -> tuple[str, ...]:
    """Every revision the code knows, newest first."""
    parent_of: dict[str, str | None] = {}
    for script in VERSIONS.glob("*.py"):
        declared = dict(_DECLARED.findall(script.read_text()))
        if "revision" in declared:
            down = declared.get("down_revision")
            parent_of[declared["revision"]] = None if down in (None, "None") else down
    (newest,) = set(parent_of) - set(parent_of.values())
    chain: list[str] = []
    at: str | None = newest
    while at is not None:
        chain.append(at)
        at = parent_of[at]
    return tuple(chain)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has no schema yet. A database
    that cannot be reached raises `Unavailable` saying why: it is not one without a
    schema (a wrong `options` in the URL read as "no schema yet, run db upgrade")."""
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        reason = (str(exc.orig or exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Unavailable(f"the database cannot be reached: {reason}") from exc
    with connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no alembic_version table: a database never migrated
            return None


def schema_problem(engine: Engine) -> str | None:
    """Why this code cannot serve the database's schema (in one line that says what to
    run), or None when the database is at the newest revision the code knows.

    A database behind the code made every request a 500 and the reconciler crash-loop;
    one ahead of it (a newer vertice migrated it) would be written with the old columns.
    """
    wanted, at = revisions()[0], current(engine)
    if at == wanted:
        return None
    if at is None:
        return "the database has no schema yet: run `vertice db upgrade`"
    if at not in revisions():
        return (
            f"the database is at revision {at}, which this vertice does not know (a newer "
            f"vertice migrated it; this one needs {wanted})"
        )
    return (
        f"the database is at revision {at} and this vertice needs {wanted}: "
        "run `vertice db upgrade`"
    )
