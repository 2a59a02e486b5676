"""Resizing in place (issue 14, day 2): each instance row keeps the flavor its instance
runs (`instances.flavor_name`, filled with its assembly's for the rows there are), so
the reconciler resizes the instances of an assembly whose flavor changed. Assemblies
whose metadata lets `/replicas` be patched may patch `/flavor` too (a downgrade takes
it back).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATH = "/flavor"
ASSEMBLIES = sa.table(
    "assemblies", sa.column("id", sa.String), sa.column("spec", sa.JSON),
    sa.column("flavor_name", sa.String),
)  # fmt: skip


def _metadata_with(spec: Any, add: bool) -> Any:
    """The spec document with `/flavor` added where `/replicas` is (or removed), or None."""
    if not isinstance(spec, dict) or not isinstance(spec.get("metadata"), dict):
        return None
    metadata = dict(spec["metadata"])
    changed = False
    for field in ("mutable", "consumer_mutable"):
        paths = metadata.get(field)
        if not isinstance(paths, list):
            continue
        if add and "/replicas" in paths and PATH not in paths:
            metadata[field] = [*paths, PATH]
            changed = True
        elif not add and PATH in paths:
            metadata[field] = [p for p in paths if p != PATH]
            changed = True
    return {**spec, "metadata": metadata} if changed else None


def _rewrite(add: bool) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(ASSEMBLIES.c.id, ASSEMBLIES.c.spec)).all():
        spec = _metadata_with(row.spec, add)
        if spec is not None:
            bind.execute(ASSEMBLIES.update().where(ASSEMBLIES.c.id == row.id).values(spec=spec))


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (no batch copy: see 0006).
    op.add_column("instances", sa.Column("flavor_name", sa.String(length=63), nullable=False,
                                         server_default=""))  # fmt: skip
    instances = sa.table("instances", sa.column("assembly_id", sa.String),
                         sa.column("flavor_name", sa.String))  # fmt: skip
    op.get_bind().execute(
        instances.update().values(
            flavor_name=sa.select(ASSEMBLIES.c.flavor_name)
            .where(ASSEMBLIES.c.id == instances.c.assembly_id)
            .scalar_subquery()
        )
    )
    _rewrite(add=True)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), for the same reason.
    _rewrite(add=False)
    op.drop_column("instances", "flavor_name")
