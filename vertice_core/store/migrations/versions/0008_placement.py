"""Placement across regions: an assembly's `placement` (policy and regions), the regions
each placed assembly may run in (`placements`, read by region), the region each instance
row was placed in (existing rows: their assembly's region), and a flavor's prices per region.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (see 0006: no batch copy of the assemblies table).
    op.add_column("assemblies", sa.Column("placement", sa.JSON(), nullable=True))
    op.add_column("instances", sa.Column("region_name", sa.String(length=63), nullable=False,
                                         server_default=""))  # fmt: skip
    op.add_column("flavors", sa.Column("region_prices", sa.JSON(), nullable=False,
                                       server_default="{}"))  # fmt: skip
    op.create_table(
        "placements",
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assembly_id"], ["assemblies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_name"], ["regions.name"]),
        sa.PrimaryKeyConstraint("assembly_id", "region_name"),
    )
    op.create_index("ix_placements_region_name", "placements", ["region_name"])
    op.execute(
        "UPDATE instances SET region_name = (SELECT assemblies.region_name FROM assemblies "
        "WHERE assemblies.id = instances.assembly_id)"
    )


def downgrade() -> None:
    op.drop_table("placements")
    op.drop_column("flavors", "region_prices")
    op.drop_column("instances", "region_name")
    op.drop_column("assemblies", "placement")
