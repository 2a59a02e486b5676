"""The assemblies' conditions as flags with transition times (Ready, Synced).

A pass compares them instead of reading every status document back.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("ready", sa.Boolean()),
    ("ready_since", sa.Float()),
    ("synced", sa.Boolean()),
    ("synced_since", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("assemblies") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assemblies") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
