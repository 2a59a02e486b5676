"""Applications: builds from source (`builds`, their logs `build_logs`), the assemblies' push
`webhooks`, their `bindings` to each other, and why a source-built assembly with no release
yet waits (`assemblies.build_wait`).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (see 0006: no batch copy of the assemblies table).
    op.add_column("assemblies", sa.Column("build_wait", sa.Text(), nullable=True))
    op.create_table(
        "builds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("subdirectory", sa.String(length=255), nullable=False),
        sa.Column("recipe", sa.String(length=64), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("builder", sa.String(length=64), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("image", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("log_size", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_builds_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["assembly_id"],
            ["assemblies.id"],
            ondelete="CASCADE",
            name=op.f("fk_builds_assembly_id_assemblies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_builds")),
        sa.UniqueConstraint("assembly_id", "revision", name=op.f("uq_builds_assembly_id_revision")),
    )
    op.create_index("ix_builds_project_id", "builds", ["project_id"])
    op.create_index("ix_builds_state", "builds", ["state"])
    op.create_table(
        "build_logs",
        sa.Column("build_id", sa.String(length=32), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["builds.id"],
            ondelete="CASCADE",
            name=op.f("fk_build_logs_build_id_builds"),
        ),
        sa.PrimaryKeyConstraint("build_id", "offset", name=op.f("pk_build_logs")),
    )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_webhooks_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["assembly_id"],
            ["assemblies.id"],
            ondelete="CASCADE",
            name=op.f("fk_webhooks_assembly_id_assemblies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("assembly_id", name=op.f("uq_webhooks_assembly_id")),
    )

    op.create_table(
        "bindings",
        sa.Column("consumer_id", sa.String(length=32), nullable=False),
        sa.Column("env", sa.String(length=255), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["assemblies.id"],
            ondelete="CASCADE",
            name=op.f("fk_bindings_consumer_id_assemblies"),
        ),
        sa.PrimaryKeyConstraint("consumer_id", "env", name=op.f("pk_bindings")),
    )
    op.create_index("ix_bindings_provider_id", "bindings", ["provider_id"])


def downgrade() -> None:
    op.drop_table("bindings")
    op.drop_table("webhooks")
    op.drop_table("build_logs")
    op.drop_table("builds")
    op.drop_column("assemblies", "build_wait")
