"""Assemblies deleted with `orphan=true`: what was abandoned, and which instances the
reconciler must no longer take for ghosts (see `OrphanRow`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vertice_core.store.leases import chunked
from vertice_core.store.tables import OrphanRow, utcnow


class OrphanRepository:
    """Record orphaned assemblies and tell them apart."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, assembly_id: str, project_id: str, name: str, instances: Sequence[dict[str, Any]]
    ) -> None:
        """Record an assembly whose instances are abandoned (`{"region", "cloud_id", "key"}`)."""
        self.session.execute(
            insert(OrphanRow),
            [{"assembly_id": assembly_id, "project_id": project_id, "name": name,
              "orphaned_at": utcnow(), "instances": list(instances)}],
        )  # fmt: skip

    def get(self, assembly_id: str) -> OrphanRow | None:
        """The record of an orphaned assembly, if it was orphaned."""
        return self.session.get(OrphanRow, assembly_id)

    def among(self, assembly_ids: Iterable[str]) -> set[str]:
        """Which of these assembly ids were orphaned."""
        found: set[str] = set()
        for part in chunked(list(assembly_ids)):
            query = select(OrphanRow.assembly_id).where(OrphanRow.assembly_id.in_(part))
            found.update(self.session.scalars(query))
        return found
