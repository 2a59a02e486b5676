"""Scalers: assemblies' replicas driven by Prometheus queries.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scalers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("min_replicas", sa.Integer(), nullable=False),
        sa.Column("max_replicas", sa.Integer(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("tolerance", sa.Float(), nullable=False),
        sa.Column("scale_up_window", sa.Float(), nullable=False),
        sa.Column("scale_down_window", sa.Float(), nullable=False),
        sa.Column("cooldown", sa.Float(), nullable=False),
        sa.Column("max_step", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.Column("status_digest", sa.String(length=40), nullable=False),
        sa.Column("observed_generation", sa.Integer(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("last_scale_at", sa.Float(), nullable=True),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_scalers_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scalers")),
        sa.UniqueConstraint("assembly_id", name=op.f("uq_scalers_assembly_id")),
    )
    op.create_index("ix_scalers_project_id", "scalers", ["project_id"])
    op.create_index("ix_scalers_due_at", "scalers", ["due_at"])


def downgrade() -> None:
    op.drop_table("scalers")
