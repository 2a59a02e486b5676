"""Upgrading to input changes (migration 0010): assemblies whose metadata lets `/replicas` be
patched may patch `/inputs` too; others keep their metadata; a downgrade takes it back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0009"


def _metadata(paths: list[str]) -> dict[str, object]:
    return {"type_definition": "/v3/type_definitions/assembly", "mutable": paths,
            "consumer_mutable": paths}  # fmt: skip


def test_an_upgrade_lets_inputs_be_patched_where_replicas_are(empty_db_url):
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
                {**assembly, "id": "asm-0000000000000001", "name": "default",
                 "spec": {"metadata": _metadata(["/desired_state", "/replicas"]),
                          "inputs": {"port": "80"}}},
                {**assembly, "id": "asm-0000000000000002", "name": "fixed",
                 "spec": {"metadata": _metadata(["/desired_state"])}},
            ])  # fmt: skip

        def specs() -> dict[str, dict]:
            with store.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT name, spec FROM assemblies")).all()
            return {name: spec if isinstance(spec, dict) else json.loads(spec)
                    for name, spec in rows}  # fmt: skip

        migrate.upgrade(store.engine, "0010")
        upgraded = specs()
        paths = ["/desired_state", "/replicas", "/inputs"]
        assert upgraded["default"] == {"metadata": _metadata(paths), "inputs": {"port": "80"}}
        assert upgraded["fixed"] == {"metadata": _metadata(["/desired_state"])}

        migrate.downgrade(store.engine, PREVIOUS_HEAD)
        assert specs()["default"]["metadata"] == _metadata(["/desired_state", "/replicas"])
    finally:
        store.dispose()
