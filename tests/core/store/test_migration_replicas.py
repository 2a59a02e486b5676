"""Upgrading to replicas (migration 0004) with instances running: nothing is re-created."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet

from vertice_core import builtins
from vertice_core.convert import make_converter
from vertice_core.crypto import SecretBox
from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.hooks import make_plugin_manager
from vertice_core.reconcile.loop import Reconciler
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.registry import DriverRegistry
from vertice_core.store import Store, migrate
from vertice_drivers.sim import SimDriver, SimSettings, cloud_at

from .old_schema import seed_catalog

PREVIOUS_HEAD = "0003"
COUNT = 5


def _old_assemblies(store: Store, project_id: str) -> list[str]:
    """Assemblies as the previous head stored them: incarnation 2 (replaced once),
    the create marker of one of them still set."""
    ids = [f"asm-{i:016x}" for i in range(COUNT)]
    now = time.time()
    stamp = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "id": assembly_id, "project_id": project_id, "name": f"old-{i}",
            "created_at": stamp, "updated_at": stamp, "description": "",
            "tags": [], "plan_name": "1_virtualmachine_ubuntu", "region_name": "local",
            "flavor_name": "small",
            "spec": {"components": [], "credential": {"kind": "none"},
                     "metadata": {"type_definition": "/v3/type_definitions/assembly",
                                  "mutable": ["/desired_state"],
                                  "consumer_mutable": ["/desired_state"]},
                     "metrics_port": None},
            "desired_state": "running", "restart_count": 0, "generation": 1,
            "phase": "RUNNING", "reason": "Running", "message": "", "status": {},
            "status_digest": "", "observed_generation": 1, "due_at": now, "attempts": 0,
            "incarnation": 2, "restarts_done": 0,
            "create_key": f"{assembly_id}-2" if i == 0 else None,
            "create_started_at": now - 3600 if i == 0 else None,
        }
        for i, assembly_id in enumerate(ids)
    ]  # fmt: skip
    metadata = sa.MetaData()
    assemblies = sa.Table("assemblies", metadata, autoload_with=store.engine)
    leases = sa.Table("leases", metadata, autoload_with=store.engine)
    with store.engine.begin() as connection:
        connection.execute(assemblies.insert(), rows)
        connection.execute(
            leases.insert(), [{"assembly_id": i, "holder": "", "expires_at": 0.0} for i in ids]
        )
    return ids


def test_an_upgrade_adopts_running_instances_at_ordinal_zero(empty_db_url, tmp_path):
    store = Store(empty_db_url)
    home = tmp_path / "home"
    converter = make_converter()
    try:
        migrate.upgrade(store.engine, PREVIOUS_HEAD)
        seed_catalog(store, converter)
        project_id = "prj-0000000000000001"
        with store.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO projects (id, name, description, created_at)"
                    " VALUES (:id, 'old-project', '', :at)"
                ),
                {"id": project_id, "at": datetime.now(UTC).replace(tzinfo=None)},
            )
        ids = _old_assemblies(store, project_id)
        installation = builtins.installation_id(store)
        settings = SimSettings(audit=True)
        cloud = SimDriver(
            RegionConfig(name="local", cloud_type="sim", installation_id=installation,
                         settings=settings, home=home)
        )  # fmt: skip
        for assembly_id in ids:
            key = f"{assembly_id}-2"
            cloud.create(
                InstanceSpec(
                    key=key, assembly_id=assembly_id, name="old", project="p",
                    plan="1_virtualmachine_ubuntu", image="ubuntu-24.04",
                    size=SizeSpec("small", 1, 1024, 10),
                    tags={TAG_INSTALLATION: installation, TAG_ASSEMBLY: assembly_id,
                          TAG_KEY: key, TAG_PROJECT: project_id},
                )
            )  # fmt: skip
        audited_before = len(cloud_at(home / "sim.db").audited("default"))
        with store.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE regions SET settings = :s WHERE name = 'local'"),
                {"s": '{"audit": true}'},
            )

        migrate.upgrade(store.engine)

        with store.engine.connect() as connection:
            slots = connection.execute(
                sa.text("SELECT assembly_id, ordinal, incarnation, key FROM instances")
            ).all()
            replicas = connection.execute(sa.text("SELECT replicas FROM assemblies")).scalars()
            assert set(replicas) == {1}
            leases = connection.execute(sa.text("SELECT count(*) FROM leases")).scalar()
            assert leases == COUNT, "the upgrade lost the leases"
        assert sorted(slots) == sorted((i, 0, 2, f"{i}-2") for i in ids)

        reconciler = Reconciler(
            store, registry=DriverRegistry(), converter=converter,
            box=SecretBox(Fernet.generate_key().decode()),
            plugins=make_plugin_manager(load_entry_points=False),
            installation_id=installation, home=home,
            settings=ReconcilerSettings(resync=0.2, poll=0.05, idle_wait=0.01, grace=1.0),
        )  # fmt: skip
        try:
            for _ in range(5):
                reconciler.run_pass()
        finally:
            reconciler.close()
        calls = cloud_at(home / "sim.db").audited("default")[audited_before:]
        assert [verb for verb, _ in calls if verb != "observe"] == [], "something was re-created"
        with store.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT phase, status FROM assemblies ORDER BY id")
            ).all()
            marker = connection.execute(
                sa.text("SELECT create_key FROM instances WHERE assembly_id = :a"), {"a": ids[0]}
            ).scalar()
        assert {phase for phase, _ in rows} == {"RUNNING"}
        assert marker is None, "the adopted instance's create marker was not cleared"
        for _, status in rows:
            document = status if isinstance(status, dict) else json.loads(status)
            assert document["ready_replicas"] == 1
            assert [i["ordinal"] for i in document["instances"]] == [0]
    finally:
        store.dispose()
