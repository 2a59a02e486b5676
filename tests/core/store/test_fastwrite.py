"""A declaration's INSERTs bypass SQLAlchemy's execution (`fastwrite`): what they store
must be what SQLAlchemy's INSERT stores, byte for byte, on each engine; their failures
must reach the service as SQLAlchemy's errors do (a constraint as `IntegrityError`)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from vertice_core.errors import Conflict
from vertice_core.store.fastwrite import FastInsert
from vertice_core.store.repositories import AssemblyRepository
from vertice_core.store.tables import AssemblyRow, LeaseRow

TABLE = AssemblyRow.__table__


def raw_row(ctx, assembly_id: str) -> dict[str, Any]:
    """The row as the driver returns it: JSON as text, SQLite's timestamps as strings,
    a SQL NULL apart from a JSON `null`."""
    with ctx.store.connect() as connection:
        found = connection.execute(
            text("SELECT * FROM assemblies WHERE id = :id"), {"id": assembly_id}
        ).one()
    return dict(found._mapping)


def columns_of(ctx, assembly_id: str) -> dict[str, Any]:
    with ctx.store.connect() as connection:
        found = connection.execute(select(TABLE).where(TABLE.c.id == assembly_id)).one()
    return dict(found._mapping)


def test_a_row_it_inserts_is_the_row_sqlalchemy_inserts(ctx, alice):
    declared = alice.declare("fast-1", description="ünïcode", tags=["a", "b"]).json["id"]
    values = columns_of(ctx, declared)
    # Values of every kind the table holds: JSON objects and lists, a JSON column left
    # None, timestamps, floats, booleans, a SQL NULL.
    status = {"instances": [{"key": "k", "state": "running"}], "note": "ü"}
    values |= {"probe": None, "ready": True, "ready_since": 1.5, "synced": False,
               "status": status}  # fmt: skip
    fast = values | {"id": "asm-fast", "name": "fast-2"}
    slow = values | {"id": "asm-slow", "name": "fast-3"}
    with ctx.store.write() as session:
        FastInsert(AssemblyRow).run(session.connection(), [fast])
        session.connection().execute(insert(TABLE), [slow])
    ours, theirs = raw_row(ctx, "asm-fast"), raw_row(ctx, "asm-slow")
    assert {k: v for k, v in ours.items() if k not in ("id", "name")} == {
        k: v for k, v in theirs.items() if k not in ("id", "name")
    }
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in theirs.items()}
    read = columns_of(ctx, "asm-fast")
    assert read["status"] == fast["status"] and read["created_at"] == fast["created_at"]
    assert (read["probe"], read["ready"], read["synced"]) == (None, True, False)


def test_several_rows_go_in_one_statement_seen_by_the_statement_listeners(ctx, alice):
    declared = alice.declare("fast-1").json["id"]
    values = columns_of(ctx, declared)
    rows = [values | {"id": f"asm-many-{i}", "name": f"many-{i}"} for i in range(3)]
    seen: list[str] = []
    ctx.store.on_statement(seen.append)
    with ctx.store.write() as session:
        FastInsert(AssemblyRow).run(session.connection(), rows)
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO ASSEMBLIES")]
    assert len(inserts) == 1
    with ctx.store.connect() as connection:
        names = connection.execute(
            select(TABLE.c.name).where(TABLE.c.id.like("asm-many-%")).order_by(TABLE.c.name)
        ).scalars()
        assert list(names) == ["many-0", "many-1", "many-2"]


def test_a_constraint_is_sqlalchemys_integrity_error_and_nothing_is_stored(ctx, alice):
    declared = alice.declare("fast-1").json["id"]
    values = columns_of(ctx, declared)
    with pytest.raises(IntegrityError) as caught, ctx.store.write() as session:
        FastInsert(AssemblyRow).run(session.connection(), [values | {"id": "asm-twin"}])
    dialect = ctx.store.engine.dialect
    assert isinstance(caught.value.orig, dialect.loaded_dbapi.IntegrityError)
    assert "unique" in str(caught.value.orig).lower(), sqlalchemy.__version__
    assert not caught.value.connection_invalidated
    with ctx.store.connect() as connection:
        assert (
            connection.execute(select(TABLE.c.id).where(TABLE.c.id == "asm-twin")).first() is None
        )


def test_a_missing_column_is_refused_before_anything_is_sent(ctx):
    with pytest.raises(KeyError, match="expires_at"), ctx.store.write() as session:
        FastInsert(LeaseRow).run(session.connection(), [{"assembly_id": "asm-x", "holder": ""}])


def test_a_name_in_use_is_a_conflict_and_the_transaction_goes_on(ctx, alice):
    """The repository's mapping of the error, in a savepoint as a batch declares."""
    declared = alice.declare("fast-1").json["id"]
    values = columns_of(ctx, declared)
    fresh = {k: values[k] for k in ("project_id", "plan_name", "region_name", "flavor_name")}
    with ctx.store.write() as session:
        repository = AssemblyRepository(session)
        with (
            pytest.raises(Conflict, match="already has an assembly named 'fast-1'"),
            session.begin_nested(),
        ):
            repository.create(id="asm-dup", name="fast-1", spec={}, **fresh)
        repository.create(id="asm-next", name="fast-next", spec={}, **fresh)
    assert raw_row(ctx, "asm-next")["name"] == "fast-next"
    with ctx.store.connect() as connection:
        leases = connection.execute(
            select(LeaseRow.__table__.c.assembly_id).where(
                LeaseRow.__table__.c.assembly_id.in_(["asm-dup", "asm-next"])
            )
        ).scalars()
        assert list(leases) == ["asm-next"]
