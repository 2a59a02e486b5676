"""Assemblies deleted with `orphan=true` (`orphans`; issue 16, "Retiring a cloud"): what
was abandoned, and the assembly ids whose instances the reconciler no longer takes for
ghosts.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orphans",
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("orphaned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instances", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("assembly_id", name=op.f("pk_orphans")),
    )


def downgrade() -> None:
    op.drop_table("orphans")
