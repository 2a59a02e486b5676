"""Snapshots (issue 14, day 2): images of instances' disks, resources of their own
(`snapshots`), owned by a project, outliving their source assembly.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_name", sa.String(length=63), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("instance_cloud_id", sa.String(length=255), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("deleting", sa.Boolean(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("image_id", sa.String(length=255), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_snapshots_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_snapshots_project_id_name")),
    )
    op.create_index("ix_snapshots_assembly_id", "snapshots", ["assembly_id"])
    op.create_index("ix_snapshots_due_at", "snapshots", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_snapshots_due_at", table_name="snapshots")
    op.drop_index("ix_snapshots_assembly_id", table_name="snapshots")
    op.drop_table("snapshots")
