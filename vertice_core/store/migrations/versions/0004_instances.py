"""Replicas: an assembly declares `replicas`; its instances get rows of their own.

Every existing assembly gets `replicas = 1` and one instance row at ordinal 0
that keeps its incarnation, its key (`<assembly id>-<incarnation>`, the key its
running instance was created with) and its create marker, so nothing is
re-created by the upgrade. `/replicas` joins the patchable paths of assemblies
whose metadata let users change their power state.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED = ("incarnation", "create_key", "create_started_at")


def _instances_table() -> None:
    op.create_table(
        "instances",
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("incarnation", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("restarts_done", sa.Integer(), nullable=False),
        sa.Column("create_key", sa.String(length=128), nullable=True),
        sa.Column("create_started_at", sa.Float(), nullable=True),
        sa.Column("cloud_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("public_ipv4", sa.String(length=64), nullable=False),
        sa.Column("private_ipv4", sa.String(length=64), nullable=False),
        sa.Column("since", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"],
            ["assemblies.id"],
            name=op.f("fk_instances_assembly_id_assemblies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assembly_id", "ordinal", name=op.f("pk_instances")),
    )


def _with_replicas(spec: Any) -> Any:
    """The spec document with `/replicas` patchable where `/desired_state` is."""
    if not isinstance(spec, dict) or not isinstance(spec.get("metadata"), dict):
        return None
    metadata = dict(spec["metadata"])
    changed = False
    for field in ("mutable", "consumer_mutable"):
        paths = metadata.get(field)
        if isinstance(paths, list) and "/desired_state" in paths and "/replicas" not in paths:
            metadata[field] = [*paths, "/replicas"]
            changed = True
    return {**spec, "metadata": metadata} if changed else None


@contextlib.contextmanager
def _leases_kept(bind: sa.Connection) -> Iterator[None]:
    """Keep the leases across a batch alter of the assemblies table (see `upgrade`)."""
    leases = sa.table(
        "leases", sa.column("assembly_id"), sa.column("holder"), sa.column("expires_at")
    )
    kept = [dict(row._mapping) for row in bind.execute(sa.select(leases))]
    yield
    bind.execute(leases.delete())
    if kept:
        bind.execute(leases.insert(), kept)


def upgrade() -> None:
    assemblies = sa.table(
        "assemblies",
        sa.column("id", sa.String),
        sa.column("spec", sa.JSON),
        sa.column("restarts_done", sa.Integer),
        *(sa.column(name) for name in MOVED),
    )
    instances = sa.table(
        "instances",
        *(
            sa.column(name)
            for name in (
                "assembly_id", "ordinal", "incarnation", "key", "restarts_done", "create_key",
                "create_started_at", "cloud_id", "state", "public_ipv4", "private_ipv4", "since",
            )
        ),
    )  # fmt: skip
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            assemblies.c.id,
            assemblies.c.incarnation,
            assemblies.c.restarts_done,
            assemblies.c.create_key,
            assemblies.c.create_started_at,
            assemblies.c.spec,
        )
    ).all()
    # The assemblies table first: on SQLite a batch alter copies it and drops the old one,
    # and with foreign keys on, that drop empties the tables referring to it (cascade).
    with _leases_kept(bind), op.batch_alter_table("assemblies") as batch:
        batch.add_column(sa.Column("replicas", sa.Integer(), nullable=False, server_default="1"))
        for name in MOVED:
            batch.drop_column(name)
    _instances_table()
    if not rows:
        return
    bind.execute(
        instances.insert(),
        [
            {
                "assembly_id": r.id, "ordinal": 0, "incarnation": r.incarnation,
                "key": f"{r.id}-{r.incarnation}", "restarts_done": r.restarts_done,
                "create_key": r.create_key, "create_started_at": r.create_started_at,
                "cloud_id": "", "state": "", "public_ipv4": "", "private_ipv4": "",
                "since": None,
            }
            for r in rows
        ],
    )  # fmt: skip
    for r in rows:
        spec = _with_replicas(r.spec)
        if spec is not None:
            bind.execute(assemblies.update().where(assemblies.c.id == r.id).values(spec=spec))


def downgrade() -> None:
    """Back to one instance per assembly: ordinal 0's bookkeeping returns to the row
    (other ordinals' instances become ghosts, removed by the older reconciler)."""
    bind = op.get_bind()
    kept = bind.execute(
        sa.text(
            "SELECT assembly_id, incarnation, create_key, create_started_at FROM instances"
            " WHERE ordinal = 0"
        )
    ).all()
    op.drop_table("instances")
    with _leases_kept(bind), op.batch_alter_table("assemblies") as batch:
        batch.drop_column("replicas")
        batch.add_column(sa.Column("incarnation", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("create_key", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("create_started_at", sa.Float(), nullable=True))
    for row in kept:
        bind.execute(
            sa.text(
                "UPDATE assemblies SET incarnation = :n, create_key = :k, create_started_at = :t"
                " WHERE id = :a"
            ),
            {"n": row[1], "k": row[2], "t": row[3], "a": row[0]},
        )
