"""Batch writes in one statement (`vertice_core.store.bulk`) against each real engine."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, select, text

from vertice_core.store.bulk import insert_rows, update_rows

_META = MetaData()
# Column names that need quoting ("key", "order") and types that need bind processing (JSON).
_T = Table(
    "bulk_probe",
    _META,
    Column("id", String(40), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("key", String(255), nullable=False),
    Column("order", Float, nullable=True),
    Column("flag", Boolean, nullable=False),
    Column("doc", JSON, nullable=False),
)


def _rows(store):
    with store.read() as session:
        return {
            (r.id, r.part): (r.key, r.order, r.flag, r.doc)
            for r in session.execute(select(_T).order_by(_T.c.id, _T.c.part))
        }


def test_inserts_and_updates_many_rows_in_one_statement_each(store):
    with store.write() as session:
        _META.create_all(session.connection())
    try:
        with store.write() as session:
            insert_rows(
                session.connection(),
                _T,
                [
                    {"id": f"a{i}", "part": p, "key": f"k{i}-{p}", "order": None,
                     "flag": False, "doc": {"n": i, "tags": ["x"]}}
                    for i in range(300) for p in (0, 1)
                ],
            )  # fmt: skip
            insert_rows(session.connection(), _T, [])  # nothing to insert is nothing
        with store.write() as session:
            update_rows(
                session.connection(),
                _T,
                ("id", "part"),
                [
                    {"id": "a7", "part": 1, "key": "seven", "order": 2.5, "flag": True,
                     "doc": {"n": 70}},
                    {"id": "a8", "part": 0, "key": "eight", "order": None, "flag": True,
                     "doc": {}},
                    {"id": "a9", "part": 0, "key": 'q"u,o{t}e\\ ', "order": -0.5,
                     "flag": False, "doc": {"big": 2**70 + 1, "s": 'x"y,{z}'}},
                    {"id": "nope", "part": 0, "key": "x", "order": 1.0, "flag": True,
                     "doc": {}},  # matches no row: changes nothing
                ],
            )  # fmt: skip
            update_rows(session.connection(), _T, ("id",), [])
        rows = _rows(store)
        assert len(rows) == 600
        assert rows[("a7", 1)] == ("seven", 2.5, True, {"n": 70})
        assert rows[("a7", 0)] == ("k7-0", None, False, {"n": 7, "tags": ["x"]})
        assert rows[("a8", 0)] == ("eight", None, True, {})
        assert rows[("a8", 1)] == ("k8-1", None, False, {"n": 8, "tags": ["x"]})
        # characters an array's text format must escape; an integer beyond 64 bits
        assert rows[("a9", 0)] == ('q"u,o{t}e\\ ', -0.5, False, {"big": 2**70 + 1, "s": 'x"y,{z}'})
        assert ("nope", 0) not in rows
    finally:
        with store.write() as session:
            _META.drop_all(session.connection())


def test_postgresql_plans_each_execution_with_its_values(store):
    """A generic plan of `IN (:p1, ..., :pN)` scans the list for every row (see engine.py)."""
    with store.read() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting")
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
