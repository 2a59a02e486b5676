"""Upgrading to resizing in place (migration 0017): each instance row is given its
assembly's flavor (what it was created with), assemblies whose metadata lets `/replicas`
be patched may patch `/flavor` too, others keep theirs; a downgrade takes it back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0016"


def _metadata(paths: list[str]) -> dict[str, object]:
    return {"type_definition": "/v3/type_definitions/assembly", "mutable": paths,
            "consumer_mutable": paths}  # fmt: skip


def test_an_upgrade_records_each_instances_flavor_and_lets_flavor_be_patched(empty_db_url):
    store = Store(empty_db_url)
    try:
        tables, stamp = at_revision(store, PREVIOUS_HEAD, ("projects", "assemblies", "instances"))
        assembly = {
            "project_id": "prj-0000000000000001", "created_at": stamp, "updated_at": stamp,
            "description": "", "tags": [], "plan_name": "1_virtualmachine_ubuntu",
            "region_name": "local", "desired_state": "running", "restart_count": 0,
            "replicas": 1, "replace_count": 0, "generation": 1, "phase": "RUNNING",
            "reason": "Running", "message": "", "status": {}, "status_digest": "",
            "observed_generation": 1, "due_at": None, "attempts": 0, "restarts_done": 0,
        }  # fmt: skip
        instance = {"ordinal": 0, "incarnation": 1, "restarts_done": 0, "cloud_id": "i-1",
                    "state": "running", "public_ipv4": "", "private_ipv4": "",
                    "replaced_done": 0, "region_name": "local"}  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(tables["projects"].insert(), {
                "id": "prj-0000000000000001", "name": "old", "description": "",
                "created_at": stamp})  # fmt: skip
            connection.execute(tables["assemblies"].insert(), [
                {**assembly, "id": "asm-0000000000000001", "name": "default",
                 "flavor_name": "medium",
                 "spec": {"metadata": _metadata(["/desired_state", "/replicas"])}},
                {**assembly, "id": "asm-0000000000000002", "name": "fixed",
                 "flavor_name": "small", "spec": {"metadata": _metadata(["/desired_state"])}},
            ])  # fmt: skip
            connection.execute(tables["instances"].insert(), [
                {**instance, "assembly_id": "asm-0000000000000001",
                 "key": "asm-0000000000000001-1"},
                {**instance, "assembly_id": "asm-0000000000000002",
                 "key": "asm-0000000000000002-1"},
            ])  # fmt: skip

        def specs() -> dict[str, dict]:
            with store.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT name, spec FROM assemblies")).all()
            return {name: spec if isinstance(spec, dict) else json.loads(spec)
                    for name, spec in rows}  # fmt: skip

        migrate.upgrade(store.engine, "0017")
        with store.engine.connect() as connection:
            flavors = dict(connection.execute(sa.text(
                "SELECT assembly_id, flavor_name FROM instances")).all())  # fmt: skip
        assert flavors == {"asm-0000000000000001": "medium", "asm-0000000000000002": "small"}
        upgraded = specs()
        assert upgraded["default"]["metadata"] == _metadata(["/desired_state", "/replicas",
                                                             "/flavor"])  # fmt: skip
        assert upgraded["fixed"] == {"metadata": _metadata(["/desired_state"])}

        migrate.downgrade(store.engine, PREVIOUS_HEAD)
        assert specs()["default"]["metadata"] == _metadata(["/desired_state", "/replicas"])
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("instances")}
        assert "flavor_name" not in columns
    finally:
        store.dispose()
