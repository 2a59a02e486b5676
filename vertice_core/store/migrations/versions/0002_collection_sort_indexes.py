"""Indexes for the assembly collection's sort orders (name, created_at, status).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_assemblies_phase", table_name="assemblies")
    op.create_index("ix_assemblies_name_id", "assemblies", ["name", "id"])
    op.create_index("ix_assemblies_created_at_id", "assemblies", ["created_at", "id"])
    op.create_index("ix_assemblies_phase_name_id", "assemblies", ["phase", "name", "id"])


def downgrade() -> None:
    op.drop_index("ix_assemblies_phase_name_id", table_name="assemblies")
    op.drop_index("ix_assemblies_created_at_id", table_name="assemblies")
    op.drop_index("ix_assemblies_name_id", table_name="assemblies")
    op.create_index("ix_assemblies_phase", "assemblies", ["phase"])
