"""Plan inputs may change after a launch: assemblies whose metadata lets `/replicas` be
patched may patch `/inputs` too (`vertice_core.service.input_changes`). A build released over
an earlier one has a rollout deadline (`builds.rollout_deadline`, `building.rollouts`), and a
build's image may be a VM program's reference, longer than 255 characters (`builds.image`
becomes TEXT where the length is enforced; SQLite enforces none, and its table is not copied).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATH = "/inputs"


def _metadata_with(spec: Any, add: bool) -> Any:
    """The spec document with `/inputs` added where `/replicas` is (or removed), or None."""
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
    assemblies = sa.table("assemblies", sa.column("id", sa.String), sa.column("spec", sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(assemblies.c.id, assemblies.c.spec)).all():
        spec = _metadata_with(row.spec, add)
        if spec is not None:
            bind.execute(assemblies.update().where(assemblies.c.id == row.id).values(spec=spec))


def upgrade() -> None:
    _rewrite(add=True)
    op.add_column("builds", sa.Column("rollout_deadline", sa.Float(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("builds", "image", type_=sa.Text(), existing_type=sa.String(255))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("builds", "image", type_=sa.String(255), existing_type=sa.Text())
    op.drop_column("builds", "rollout_deadline")
    _rewrite(add=False)
