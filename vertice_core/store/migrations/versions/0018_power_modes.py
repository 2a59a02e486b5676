"""Hard restarts and stops (issue 14, day 2): `restart_mode` and `stop_mode` on
assemblies (`soft`, the default, or `hard`). Assemblies whose metadata lets
`/restart_count` be patched may patch `/restart_mode` too, and `/stop_mode` where
`/desired_state` is (a downgrade takes them back).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each new path, and the path beside which it becomes patchable.
PATHS = {"/restart_mode": "/restart_count", "/stop_mode": "/desired_state"}


def _metadata_with(spec: Any, add: bool) -> Any:
    """The spec document with the new paths added beside theirs (or removed), or None."""
    if not isinstance(spec, dict) or not isinstance(spec.get("metadata"), dict):
        return None
    metadata = dict(spec["metadata"])
    changed = False
    for field in ("mutable", "consumer_mutable"):
        paths = metadata.get(field)
        if not isinstance(paths, list):
            continue
        if add:
            more = [p for p, beside in PATHS.items() if beside in paths and p not in paths]
            if more:
                metadata[field] = [*paths, *more]
                changed = True
        elif any(p in paths for p in PATHS):
            metadata[field] = [p for p in paths if p not in PATHS]
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
    # Plain ALTER TABLE ... ADD COLUMN (no batch copy: see 0006).
    for column in ("restart_mode", "stop_mode"):
        op.add_column("assemblies", sa.Column(column, sa.String(length=8), nullable=False,
                                              server_default="soft"))  # fmt: skip
    _rewrite(add=True)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), for the same reason.
    _rewrite(add=False)
    op.drop_column("assemblies", "stop_mode")
    op.drop_column("assemblies", "restart_mode")
