"""Membership by invitation: adding a member to a project stores an invitation addressed to
a user name, which that user accepts (`invitations`; issue 17, item 8).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("user_name", sa.String(length=63), nullable=False),
        sa.Column("invited_by", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            ondelete="CASCADE",
            name=op.f("fk_invitations_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "project_id", "user_name", name=op.f("uq_invitations_project_id_user_name")
        ),
    )
    op.create_index("ix_invitations_project_id", "invitations", ["project_id"])
    op.create_index("ix_invitations_user_name", "invitations", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_invitations_user_name", table_name="invitations")
    op.drop_index("ix_invitations_project_id", table_name="invitations")
    op.drop_table("invitations")
