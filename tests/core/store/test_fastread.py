"""The one read of an assembly bypasses SQLAlchemy's execution (`fastread`), measured to be
needed for `GET /v3/assembly/{id}` to hold half a bare Falcon app's rate. It relies on
SQLAlchemy details a release may change: how a compiled statement exposes its SQL and
parameter order, and each type's result processor per dialect. These tests fail when an
upgrade changes any of that, on each engine, before a wrong value reaches a client."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import select, update

from vertice_core.store.fastread import FastQuery
from vertice_core.store.repositories import builds, disks, scalers, snapshots, work
from vertice_core.store.repositories.quotas import QuotaRepository
from vertice_core.store.repositories.views import _ONE, AssemblyViews
from vertice_core.store.tables import AssemblyRow, DiskRow, InstanceRow

STATUS = {
    "conditions": [{"type": "Ready", "status": "True", "reason": "Running", "message": "ü",
                    "last_transition_time": "2026-12-04T05:00:00Z"}],
    "instances": [{"key": "k", "cloud_id": "c", "state": "running", "ordinal": 0,
                   "public_ipv4": "203.0.113.1", "private_ipv4": "", "access": ["h:80"]}],
    "replicas": 1, "ready_replicas": 1, "updated_replicas": 1,
}  # fmt: skip


def stored(ctx, alice) -> str:
    """An assembly whose columns hold every type the table uses: text, JSON, numbers,
    booleans, floats, timestamps and NULLs."""
    assembly_id: str = alice.declare(
        "fast-1", description="ünïcode", tags=["a", "b"], metrics_port=9200
    ).json["id"]
    with ctx.store.write() as session:
        session.execute(
            update(AssemblyRow)
            .where(AssemblyRow.id == assembly_id)
            .values(phase="RUNNING", status=STATUS, ready=True, ready_since=1.5, synced=False,
                    due_at=None, observed_generation=1)
        )  # fmt: skip
    return assembly_id


def through_sqlalchemy(ctx, assembly_id: str) -> dict[str, Any]:
    with ctx.store.connect() as connection:
        row = connection.execute(_ONE.statement, {"assembly_id": assembly_id}).first()
    assert row is not None
    return dict(row._mapping)


def test_the_bypass_reads_exactly_what_sqlalchemy_reads(ctx, alice):
    assembly_id = stored(ctx, alice)
    expected = through_sqlalchemy(ctx, assembly_id)
    with ctx.store.connect() as connection:
        fast = vars(AssemblyViews(connection).one(assembly_id, None))
    assert fast == expected
    assert {k: type(v) for k, v in fast.items()} == {k: type(v) for k, v in expected.items()}
    assert fast["status"] == STATUS
    assert fast["created_at"].tzinfo is not None
    assert isinstance(fast["created_at"], datetime)
    assert fast["created_at"] <= datetime.now(UTC)
    assert (fast["ready"], fast["synced"], fast["ready_since"]) == (True, False, 1.5)


def test_the_sqlalchemy_details_the_bypass_uses_are_there(ctx):
    """If this fails after upgrading SQLAlchemy, read `vertice_core/store/fastread.py`
    again against the new release before changing anything else."""
    dialect = ctx.store.read_engine.dialect
    compiled = _ONE.statement.compile(dialect=dialect)
    assert isinstance(compiled.string, str) and "FROM assemblies" in compiled.string
    if compiled.positional:
        assert list(compiled.positiontup or []) == ["assembly_id"], sqlalchemy.__version__
    else:
        assert "assembly_id" in compiled.string
    for column in _ONE.statement.selected_columns:
        method = column.type.dialect_impl(dialect).result_processor
        assert list(inspect.signature(method).parameters) == ["dialect", "coltype"], (
            column,
            sqlalchemy.__version__,
        )


def test_other_projects_and_missing_ids_read_nothing(ctx, alice):
    assembly_id = stored(ctx, alice)
    with ctx.store.connect() as connection:
        views = AssemblyViews(connection)
        assert views.one(assembly_id, ["prj-someone-else"]) is None
        assert views.one("asm-0000000000000000", None) is None
        assert views.one(assembly_id, None).name == "fast-1"


def polled() -> dict[str, FastQuery]:
    """Every statement a controller polls for due work at each idle wait (`fastread`)."""
    return {
        "regions": work._REGION_MARK, "oldest assembly": work._OLDEST_DUE,
        "scalers": scalers._DUE, "builds": builds._DUE, "snapshots": snapshots._WORK,
        "disks": disks._WORK, "moved disks": disks._MOVED,
    }  # fmt: skip


def test_what_the_controllers_poll_reads_as_through_sqlalchemy(ctx, alice):
    """The polled statements bind literals of their own (`case(..., else_=0)`) and an
    `IN` list (a disk's instance states): both reach the cursor. A disk attached to an
    instance the cloud since replaced is counted as moved."""
    assembly_id = stored(ctx, alice)
    with ctx.store.write() as session:
        assembly = session.get(AssemblyRow, assembly_id)
        assert assembly is not None
        region = assembly.region_name
        session.add(
            InstanceRow(
                assembly_id=assembly_id,
                ordinal=0,
                key="k-0",
                cloud_id="i-2",
                state="running",
                region_name=assembly.region_name,
            )
        )
        session.add(DiskRow(id="dk-0000000000000001", project_id=assembly.project_id, name="d",
                            region_name=assembly.region_name, size_gb=1, assembly_id=assembly_id,
                            attached_to="i-1", due_at=5.0))  # fmt: skip
        session.execute(update(AssemblyRow).values(due_at=3.0))
    with ctx.store.connect() as connection:
        for name, query in polled().items():
            fast = [vars(row) for row in query.all(connection, now=10.0)]
            expected = [
                dict(row._mapping) for row in connection.execute(query.statement, {"now": 10.0})
            ]
            assert fast == expected, name
            assert (
                query.first(connection, now=10.0) == (query.all(connection, now=10.0) or [None])[0]
            )
        assert [r.name for r in work.WorkRepository.due_mark(connection, 10.0)[0]] == [region]
        # due by its retry time and moved; at 1.0 only moved, due at once
        assert disks.DiskRepository.work(connection, 10.0) == [(region, 2, 5.0)]
        assert disks.DiskRepository.work(connection, 1.0) == [(region, 1, 1.0)]
        assert work.WorkRepository.due_mark(connection, 10.0)[1] == 3.0
        assert work.WorkRepository.due_mark(connection, 1.0)[1] is None


def test_a_pass_reads_its_region_as_sqlalchemy_would(ctx, alice):
    """`region_rows` (what every pass reads, as plain tuples on the cursor): the same
    values and types as SQLAlchemy's rows, booleans as booleans on SQLite too."""
    assembly_id = stored(ctx, alice)
    alice.declare("fast-2")
    with ctx.store.read() as session:
        region = session.get(AssemblyRow, assembly_id).region_name
        fast = work.WorkRepository(session).region_rows(region)
        statement = work._REGION_ROWS.statement
        expected = [tuple(row) for row in session.execute(statement, {"region": region})]
    assert sorted(fast) == sorted(expected) and len(fast) == 2
    assert all(type(row) is tuple for row in fast)
    for got, want in zip(sorted(fast), sorted(expected), strict=True):
        assert [type(v) for v in got] == [type(v) for v in want]
    mine = next(row for row in fast if row[0] == assembly_id)
    item = work.WorkItem.of(mine, ())
    assert (item.ready, item.synced, item.ready_since, item.probed) == (True, False, 1.5, False)


def test_a_bypassing_read_in_a_session_counts_as_a_statement(ctx, alice):
    """The listeners `Store.on_statement` registered reach every connection's `info`,
    those a session opens too, so statement counts stay true."""
    stored(ctx, alice)  # a project with no quota
    seen: list[str] = []
    ctx.store.on_statement(seen.append)
    with ctx.store.write() as session:
        project_id = session.scalars(select(AssemblyRow.project_id)).first()
        assert project_id is not None
        seen.clear()
        assert QuotaRepository(session).of_project(project_id) == []
    assert [sql for sql in seen if "FROM quotas" in sql] != [], seen
