"""Disks (issue 14, day 2): block storage of its own (`disks`), owned by a project,
attached to an assembly's instance or to nothing.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_gb", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("deleting", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("cloud_id", sa.String(length=255), nullable=False),
        sa.Column("size_seen", sa.Integer(), nullable=False),
        sa.Column("attached_to", sa.String(length=255), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("held_by", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_disks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disks")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_disks_project_id_name")),
    )
    op.create_index("ix_disks_assembly_id", "disks", ["assembly_id"])
    op.create_index("ix_disks_due_at", "disks", ["due_at"])
    op.create_index("ix_disks_region_name", "disks", ["region_name"])


def downgrade() -> None:
    op.drop_index("ix_disks_region_name", table_name="disks")
    op.drop_index("ix_disks_due_at", table_name="disks")
    op.drop_index("ix_disks_assembly_id", table_name="disks")
    op.drop_table("disks")
