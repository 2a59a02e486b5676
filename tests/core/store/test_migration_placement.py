"""Upgrading to placement (migration 0008): every instance row records its assembly's region,
flavors have no region prices, assemblies no placement; nothing referring to them is lost."""

from __future__ import annotations

import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0007"


def test_an_upgrade_records_each_instance_s_region(empty_db_url):
    store = Store(empty_db_url)
    try:
        tables, stamp = at_revision(
            store, PREVIOUS_HEAD, ("projects", "regions", "assemblies", "instances", "leases")
        )
        assembly = {
            "project_id": "prj-0000000000000001", "created_at": stamp, "updated_at": stamp,
            "description": "", "tags": [], "plan_name": "1_virtualmachine_ubuntu",
            "flavor_name": "small", "desired_state": "running", "restart_count": 0,
            "replicas": 2, "replace_count": 0, "generation": 1, "phase": "RUNNING",
            "reason": "Running", "message": "", "status": {}, "status_digest": "",
            "observed_generation": 1, "due_at": None, "attempts": 0, "restarts_done": 0,
            "spec": {},
        }  # fmt: skip
        slot = {"incarnation": 1, "restarts_done": 0, "cloud_id": "i", "state": "running",
                "public_ipv4": "", "private_ipv4": "", "replaced_done": 0}  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(tables["projects"].insert(), {
                "id": "prj-0000000000000001", "name": "old", "description": "",
                "created_at": stamp})  # fmt: skip
            connection.execute(tables["regions"].insert(), {
                "name": "east", "cloud_type": "sim", "provider_region": "", "endpoint": "",
                "description": "", "settings": {}, "sealed_credentials": "",
                "credential_fields": [], "created_at": stamp, "updated_at": stamp})  # fmt: skip
            connection.execute(tables["assemblies"].insert(), [
                {**assembly, "id": "asm-0000000000000001", "name": "a", "region_name": "local"},
                {**assembly, "id": "asm-0000000000000002", "name": "b", "region_name": "east"},
            ])  # fmt: skip
            connection.execute(tables["instances"].insert(), [
                {**slot, "assembly_id": f"asm-000000000000000{n}", "ordinal": o,
                 "key": f"asm-000000000000000{n}-r{o}i1"}
                for n in (1, 2) for o in (0, 1)
            ])  # fmt: skip
            connection.execute(tables["leases"].insert(), [
                {"assembly_id": f"asm-000000000000000{n}", "holder": "", "expires_at": 0.0}
                for n in (1, 2)
            ])  # fmt: skip

        migrate.upgrade(store.engine)

        with store.engine.connect() as connection:
            placed = connection.execute(
                sa.text("SELECT assembly_id, ordinal, region_name FROM instances "
                        "ORDER BY assembly_id, ordinal")
            ).all()  # fmt: skip
            assert placed == [
                ("asm-0000000000000001", 0, "local"), ("asm-0000000000000001", 1, "local"),
                ("asm-0000000000000002", 0, "east"), ("asm-0000000000000002", 1, "east"),
            ]  # fmt: skip
            placements = connection.execute(sa.text("SELECT placement FROM assemblies")).all()
            assert placements == [(None,), (None,)]
            prices = connection.execute(sa.text("SELECT region_prices FROM flavors")).scalars()
            assert {str(p) for p in prices} == {"{}"}
            assert connection.execute(sa.text("SELECT count(*) FROM leases")).scalar() == 2
            assert connection.execute(sa.text("SELECT count(*) FROM placements")).scalar() == 0
    finally:
        store.dispose()
