"""Upgrading to project owners (migration 0012): each project is owned by its oldest member,
nothing that refers to a project is lost (SQLite rebuilds the table), a name is then unique
per owner only; a downgrade is refused while names are shared, and keeps the rows otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from vertice_core.store import Store, migrate

from .old_schema import at_revision

PREVIOUS_HEAD = "0011"
TABLES = ("users", "projects", "memberships", "ssh_keys", "invitations", "assemblies")


def _old_rows(store: Store, tables: dict[str, sa.Table], stamp: datetime) -> None:
    """Three users; `web` (bob joined before alice), `api` (carol), `empty` (no member),
    with an SSH key, an invitation and an assembly that refer to them."""
    later = stamp + timedelta(seconds=1)
    assembly = {
        "id": "asm-0000000000000001", "project_id": "prj-0000000000000001", "name": "site",
        "created_at": stamp, "updated_at": stamp, "description": "", "tags": [],
        "plan_name": "1_virtualmachine_ubuntu", "region_name": "local", "flavor_name": "small",
        "spec": {}, "desired_state": "running", "restart_count": 0, "replicas": 1,
        "replace_count": 0, "generation": 1, "phase": "RUNNING", "reason": "Running",
        "message": "", "status": {}, "status_digest": "", "observed_generation": 1,
        "due_at": None, "attempts": 0, "restarts_done": 0,
    }  # fmt: skip
    inserts = {
        "users": [{"id": f"usr-000000000000000{i}", "name": name, "admin": False,
                   "created_at": stamp} for i, name in enumerate(("alice", "bob", "carol"))],
        "projects": [{"id": f"prj-000000000000000{i}", "name": name, "description": "",
                      "created_at": stamp} for i, name in enumerate(("web", "api", "empty"), 1)],
        "memberships": [
            {"user_id": "usr-0000000000000000", "project_id": "prj-0000000000000001",
             "created_at": later},
            {"user_id": "usr-0000000000000001", "project_id": "prj-0000000000000001",
             "created_at": stamp},
            {"user_id": "usr-0000000000000002", "project_id": "prj-0000000000000002",
             "created_at": stamp},
        ],
        "ssh_keys": [{"id": "key-0000000000000001", "project_id": "prj-0000000000000001",
                      "name": "k", "public_key": "ssh-ed25519 AAAA", "fingerprint": "SHA256:x",
                      "created_at": stamp}],
        "invitations": [{"id": "inv-0000000000000001", "project_id": "prj-0000000000000002",
                         "user_name": "alice", "invited_by": "carol", "created_at": stamp}],
        "assemblies": [assembly],
    }  # fmt: skip
    with store.engine.begin() as connection:
        for name in TABLES:
            connection.execute(tables[name].insert(), inserts[name])


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in TABLES
        }


def _owners(store: Store) -> dict[str, str | None]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, owner_id FROM projects")).all()
    return dict(rows)


def test_an_upgrade_makes_the_oldest_member_the_owner_and_keeps_every_row(empty_db_url):
    store = Store(empty_db_url)
    try:
        tables, stamp = at_revision(store, PREVIOUS_HEAD, TABLES)
        _old_rows(store, tables, stamp)
        before = _counts(store)

        migrate.upgrade(store.engine)

        assert _owners(store) == {
            "web": "usr-0000000000000001",  # bob: alice joined later
            "api": "usr-0000000000000002",
            "empty": None,
        }
        assert _counts(store) == before, "the upgrade lost rows that refer to a project"
        with store.engine.begin() as connection:  # another owner's `web` is allowed now
            connection.execute(
                sa.text("INSERT INTO projects (id, name, description, created_at, owner_id)"
                        " VALUES ('prj-0000000000000009', 'web', '', :at, :owner)"),
                {"at": stamp, "owner": "usr-0000000000000002"},
            )  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO projects (id, name, description, created_at, owner_id)"
                        " VALUES ('prj-000000000000000a', 'web', '', :at, :owner)"),
                {"at": stamp, "owner": "usr-0000000000000002"},
            )  # fmt: skip

        with pytest.raises(RuntimeError, match="several projects are named 'web'"):
            migrate.downgrade(store.engine, PREVIOUS_HEAD)
        assert migrate.current(store.engine) == migrate.head()
        with store.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM projects WHERE id = 'prj-0000000000000009'"))
        migrate.downgrade(store.engine, PREVIOUS_HEAD)
        assert _counts(store) == before, "the downgrade lost rows that refer to a project"
        migrate.upgrade(store.engine)
        assert _owners(store)["web"] == "usr-0000000000000001"
    finally:
        store.dispose()
