"""Routes: hostnames a reverse proxy serves in front of assemblies.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hostname", sa.String(length=253), nullable=False),
        sa.Column("path_prefix", sa.String(length=200), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.String(length=16), nullable=False),
        sa.Column("balancing", sa.String(length=16), nullable=False),
        sa.Column("sealed_tls", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.Column("status_digest", sa.String(length=40), nullable=False),
        sa.Column("observed_generation", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_routes_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
        sa.UniqueConstraint("hostname", name=op.f("uq_routes_hostname")),
    )
    op.create_index("ix_routes_project_id_hostname", "routes", ["project_id", "hostname"])
    op.create_index("ix_routes_assembly_id", "routes", ["assembly_id"])
    op.create_index("ix_routes_due_at", "routes", ["due_at"])


def downgrade() -> None:
    op.drop_table("routes")
