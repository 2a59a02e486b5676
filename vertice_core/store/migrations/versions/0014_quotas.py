"""Quotas (`quotas`; issue 13): what a project may declare, over all regions (region
'') or in one region.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=True),
        sa.Column("vcpus", sa.Integer(), nullable=True),
        sa.Column("ram", sa.Integer(), nullable=True),
        sa.Column("disk", sa.Integer(), nullable=True),
        sa.Column("routes", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=63), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_quotas_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "region_name", name=op.f("pk_quotas")),
    )


def downgrade() -> None:
    op.drop_table("quotas")
