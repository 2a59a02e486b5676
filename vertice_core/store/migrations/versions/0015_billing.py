"""Metering and billing (issue 13): the history of observed instance states
(`instance_spans`), the hourly usage records metered from it (`usage_records`), credits
(`credits`), each project's standing under the balance policy (`standings`), and a
flavor's price while stopped (`flavors.stopped_price_per_hour`).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "flavors",
        sa.Column("stopped_price_per_hour", sa.Float(), nullable=False, server_default="0"),
    )
    op.create_table(
        "instance_spans",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_name", sa.String(length=63), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("flavor_name", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_spans")),
    )
    op.create_index(
        "ix_instance_spans_assembly_id_ordinal", "instance_spans", ["assembly_id", "ordinal"]
    )
    op.create_index("ix_instance_spans_ended_at", "instance_spans", ["ended_at"])
    op.create_index("ix_instance_spans_started_at", "instance_spans", ["started_at"])
    op.create_table(
        "usage_records",
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("assembly_id", sa.String(length=32), nullable=False),
        sa.Column("region_name", sa.String(length=63), nullable=False),
        sa.Column("flavor_name", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assembly_name", sa.String(length=63), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("price_per_hour", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "hour",
            "project_id",
            "assembly_id",
            "region_name",
            "flavor_name",
            "state",
            name=op.f("pk_usage_records"),
        ),
    )
    op.create_index("ix_usage_records_project_id_hour", "usage_records", ["project_id", "hour"])
    op.create_table(
        "credits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_credits_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credits")),
    )
    op.create_index("ix_credits_project_id", "credits", ["project_id"])
    op.create_table(
        "standings",
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("exhausted_since", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_standings_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_standings")),
    )


def downgrade() -> None:
    op.drop_table("standings")
    op.drop_index("ix_credits_project_id", table_name="credits")
    op.drop_table("credits")
    op.drop_index("ix_usage_records_project_id_hour", table_name="usage_records")
    op.drop_table("usage_records")
    for index in ("started_at", "ended_at", "assembly_id_ordinal"):
        op.drop_index(f"ix_instance_spans_{index}", table_name="instance_spans")
    op.drop_table("instance_spans")
    op.drop_column("flavors", "stopped_price_per_hour")
