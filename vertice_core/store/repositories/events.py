"""Events: what happened to assemblies and regions, newest last."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vertice_core.model.status import Event
from vertice_core.store.tables import EventRow


class EventRepository:
    """Append and read events."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, project_id: str | None, events: Iterable[Event]) -> None:
        """Append events of one project (None: visible to administrators only) in one statement."""
        rows = [
            {
                "time": e.time,
                "type": e.type.value,
                "reason": e.reason,
                "message": e.message,
                "assembly_id": e.assembly_id,
                "region_name": e.region,
                "project_id": project_id,
            }
            for e in events
        ]
        if rows:
            self.session.execute(insert(EventRow), rows)

    def of_assembly(
        self, assembly_id: str, *, after: int = 0, limit: int = 100
    ) -> Sequence[EventRow]:
        """The assembly's events with id > `after`, oldest first."""
        return self.session.scalars(
            select(EventRow)
            .where(EventRow.assembly_id == assembly_id)
            .where(EventRow.id > after)
            .order_by(EventRow.id)
            .limit(limit)
        ).all()
