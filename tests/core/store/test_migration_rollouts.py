"""Upgrading to rolling replacements (migration 0006) keeps every row referring to assemblies.

On SQLite, an upgrade that copied the assemblies table (Alembic's batch mode)
would cascade-delete the instances, leases and routes of every assembly; the
migration adds columns in place instead. Assemblies whose metadata lets
`/replicas` be patched get `/replace_count` too.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0005"


def _metadata(paths: list[str]) -> dict[str, object]:
    return {"type_definition": "/v3/type_definitions/assembly", "mutable": paths,
            "consumer_mutable": paths}  # fmt: skip


def test_an_upgrade_keeps_instances_leases_and_routes_and_lets_replace_count_be_patched(
    empty_db_url,
):
    store = Store(empty_db_url)
    try:
        tables, stamp = at_revision(
            store, PREVIOUS_HEAD, ("projects", "assemblies", "instances", "leases", "routes")
        )
        assembly = {
            "project_id": "prj-0000000000000001", "created_at": stamp, "updated_at": stamp,
            "description": "", "tags": [], "plan_name": "1_virtualmachine_ubuntu",
            "region_name": "local", "flavor_name": "small", "desired_state": "running",
            "restart_count": 0, "replicas": 1, "generation": 1, "phase": "RUNNING",
            "reason": "Running", "message": "", "status": {}, "status_digest": "",
            "observed_generation": 1, "due_at": None, "attempts": 0, "restarts_done": 0,
        }  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(tables["projects"].insert(), {
                "id": "prj-0000000000000001", "name": "old", "description": "",
                "created_at": stamp})  # fmt: skip
            connection.execute(tables["assemblies"].insert(), [
                {**assembly, "id": "asm-0000000000000001", "name": "scalable",
                 "spec": {"metadata": _metadata(["/desired_state", "/replicas"])}},
                {**assembly, "id": "asm-0000000000000002", "name": "fixed",
                 "spec": {"metadata": _metadata(["/desired_state"])}},
            ])  # fmt: skip
            connection.execute(tables["instances"].insert(), {
                "assembly_id": "asm-0000000000000001", "ordinal": 0, "incarnation": 1,
                "key": "asm-0000000000000001-1", "restarts_done": 0, "cloud_id": "i-1",
                "state": "running", "public_ipv4": "", "private_ipv4": ""})  # fmt: skip
            connection.execute(
                tables["leases"].insert(),
                {"assembly_id": "asm-0000000000000001", "holder": "", "expires_at": 0.0},
            )
            connection.execute(tables["routes"].insert(), {
                "id": "rte-0000000000000001", "project_id": "prj-0000000000000001",
                "created_at": stamp, "updated_at": stamp, "hostname": "old.example.com",
                "path_prefix": "", "assembly_id": "asm-0000000000000001", "port": 80,
                "tls": "off", "balancing": "round_robin", "sealed_tls": "", "generation": 1,
                "phase": "READY", "message": "", "status": {}, "status_digest": "",
                "observed_generation": 1, "attempts": 0})  # fmt: skip

        migrate.upgrade(store.engine, "0006")

        with store.engine.connect() as connection:
            instances = connection.execute(
                sa.text("SELECT key, replaced_done, retiring, drain_started_at FROM instances")
            ).all()
            assert instances == [("asm-0000000000000001-1", 0, None, None)]
            assert connection.execute(sa.text("SELECT count(*) FROM leases")).scalar() == 1
            routes = connection.execute(sa.text("SELECT hostname, health_check FROM routes")).all()
            assert routes == [("old.example.com", None)]
            specs = dict(connection.execute(sa.text("SELECT name, spec FROM assemblies")).all())
            counts = connection.execute(sa.text("SELECT replace_count FROM assemblies")).scalars()
            assert set(counts) == {0}
        scalable, fixed = (json.loads(s) if isinstance(s, str) else s
                           for s in (specs["scalable"], specs["fixed"]))  # fmt: skip
        assert scalable["metadata"]["consumer_mutable"] == [
            "/desired_state", "/replicas", "/replace_count"]  # fmt: skip
        assert scalable["metadata"]["mutable"][-1] == "/replace_count"
        assert fixed["metadata"]["consumer_mutable"] == ["/desired_state"]
    finally:
        store.dispose()
