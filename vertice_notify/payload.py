"""The JSON document a notification carries about one event."""

from __future__ import annotations

from typing import Any

from vertice_core.convert import format_time
from vertice_core.model.status import Event


def event_document(event: Event, project_id: str | None) -> dict[str, Any]:
    """An event as JSON-ready data (the webhook's body, the mail templates' fields)."""
    return {
        "time": format_time(event.time),
        "type": event.type.value,
        "reason": event.reason,
        "message": event.message,
        "assembly": event.assembly,
        "assembly_id": event.assembly_id,
        "assembly_uri": f"/v3/assembly/{event.assembly_id}" if event.assembly_id else None,
        "project": event.project,
        "project_id": project_id,
        "region": event.region,
    }
