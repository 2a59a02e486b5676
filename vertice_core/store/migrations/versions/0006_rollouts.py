"""Rolling replacements, draining, health checks and probes: `replace_count` and `probe`
on assemblies; per instance row the replacements carried out, the incarnation retiring
and when its drain started; a route's active health check; the probes table. Assemblies
whose metadata lets `/replicas` be patched may patch `/replace_count` too.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _with_replace_count(spec: Any) -> Any:
    """The spec document with `/replace_count` patchable where `/replicas` is, or None."""
    if not isinstance(spec, dict) or not isinstance(spec.get("metadata"), dict):
        return None
    metadata = dict(spec["metadata"])
    changed = False
    for field in ("mutable", "consumer_mutable"):
        paths = metadata.get(field)
        if isinstance(paths, list) and "/replicas" in paths and "/replace_count" not in paths:
            metadata[field] = [*paths, "/replace_count"]
            changed = True
    return {**spec, "metadata": metadata} if changed else None


def _probes_table() -> None:
    op.create_table(
        "probes",
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["assembly_id"], ["assemblies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("assembly_id", "ordinal"),
    )


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (no batch copy: on SQLite, copying the assemblies
    # table would cascade-delete the rows referring to it).
    op.add_column("assemblies", sa.Column("replace_count", sa.Integer(), nullable=False,
                                          server_default="0"))  # fmt: skip
    op.add_column("instances", sa.Column("replaced_done", sa.Integer(), nullable=False,
                                         server_default="0"))  # fmt: skip
    op.add_column("instances", sa.Column("retiring", sa.Integer(), nullable=True))
    op.add_column("instances", sa.Column("drain_started_at", sa.Float(), nullable=True))
    op.add_column("routes", sa.Column("health_check", sa.JSON(), nullable=True))
    op.add_column("assemblies", sa.Column("probe", sa.JSON(), nullable=True))
    probed = sa.text("probe IS NOT NULL")
    op.create_index("ix_assemblies_probed", "assemblies", ["id"], sqlite_where=probed,
                    postgresql_where=probed)  # fmt: skip
    _probes_table()
    assemblies = sa.table("assemblies", sa.column("id", sa.String), sa.column("spec", sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(assemblies.c.id, assemblies.c.spec)).all():
        spec = _with_replace_count(row.spec)
        if spec is not None:
            bind.execute(assemblies.update().where(assemblies.c.id == row.id).values(spec=spec))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), for the same reason.
    op.drop_table("probes")
    op.drop_index("ix_assemblies_probed", table_name="assemblies")
    op.drop_column("assemblies", "probe")
    op.drop_column("routes", "health_check")
    op.drop_column("instances", "drain_started_at")
    op.drop_column("instances", "retiring")
    op.drop_column("instances", "replaced_done")
    op.drop_column("assemblies", "replace_count")
