"""Upgrading to hard restarts and stops (migration 0018): assemblies are `soft` both
ways; `/restart_mode` becomes patchable where `/restart_count` is and `/stop_mode` where
`/desired_state` is; a downgrade takes them back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0017"


def _metadata(paths: list[str]) -> dict[str, object]:
    return {"type_definition": "/v3/type_definitions/assembly", "mutable": paths,
            "consumer_mutable": paths}  # fmt: skip


def test_an_upgrade_makes_every_assembly_soft_and_the_modes_patchable(empty_db_url):
    store = Store(empty_db_url)
    try:
        tables, stamp = at_revision(store, PREVIOUS_HEAD, ("projects", "assemblies"))
        assembly = {
            "project_id": "prj-0000000000000001", "created_at": stamp, "updated_at": stamp,
            "description": "", "tags": [], "plan_name": "1_virtualmachine_ubuntu",
            "region_name": "local", "flavor_name": "small", "desired_state": "running",
            "restart_count": 0, "replicas": 1, "replace_count": 0, "generation": 1,
            "phase": "RUNNING", "reason": "Running", "message": "", "status": {},
            "status_digest": "", "observed_generation": 1, "due_at": None, "attempts": 0,
            "restarts_done": 0,
        }  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(tables["projects"].insert(), {
                "id": "prj-0000000000000001", "name": "old", "description": "",
                "created_at": stamp})  # fmt: skip
            connection.execute(tables["assemblies"].insert(), [
                {**assembly, "id": "asm-0000000000000001", "name": "both",
                 "spec": {"metadata": _metadata(["/desired_state", "/restart_count"])}},
                {**assembly, "id": "asm-0000000000000002", "name": "fixed",
                 "spec": {"metadata": _metadata(["/name"])}},
            ])  # fmt: skip

        query = sa.text("SELECT name, spec, restart_mode, stop_mode FROM assemblies")

        def read() -> dict[str, tuple]:
            with store.engine.connect() as connection:
                rows = connection.execute(query).all()
            return {name: (spec if isinstance(spec, dict) else json.loads(spec), *modes)
                    for name, spec, *modes in rows}  # fmt: skip

        migrate.upgrade(store.engine, "0018")
        upgraded = read()
        assert upgraded["both"] == (
            {"metadata": _metadata(["/desired_state", "/restart_count", "/restart_mode",
                                    "/stop_mode"])}, "soft", "soft")  # fmt: skip
        assert upgraded["fixed"] == ({"metadata": _metadata(["/name"])}, "soft", "soft")

        migrate.downgrade(store.engine, PREVIOUS_HEAD)
        with store.engine.connect() as connection:
            spec = connection.execute(sa.text(
                "SELECT spec FROM assemblies WHERE name = 'both'")).scalar_one()  # fmt: skip
        spec = spec if isinstance(spec, dict) else json.loads(spec)
        assert spec["metadata"] == _metadata(["/desired_state", "/restart_count"])
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("assemblies")}
        assert not {"restart_mode", "stop_mode"} & columns
    finally:
        store.dispose()
