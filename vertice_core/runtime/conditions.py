"""Conditions in a controller's status document, and the digest that says whether it changed.

A condition keeps its `last_transition_time` while its status stays the same, so
a controller can rebuild its conditions every pass; `status_digest` leaves the
transition times out, so a status whose conditions only got older is not rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vertice_core.convert import format_time


def condition(
    before: Mapping[str, Any] | None, kind: str, value: bool, reason: str, message: str
) -> dict[str, Any]:
    """A condition of `kind`, keeping the transition time of `before` if its status is the same."""
    status = "True" if value else "False"
    since = (
        before.get("last_transition_time") if before and before.get("status") == status else None
    )
    if since is None:
        since = format_time(datetime.now(UTC))
    return {"type": kind, "status": status, "last_transition_time": since, "reason": reason,
            "message": message}  # fmt: skip


def conditions_of(status: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The conditions of a status document, by type."""
    return {c.get("type", ""): c for c in (status or {}).get("conditions", [])}


def status_digest(status: Mapping[str, Any], *extra: Any) -> str:
    """A digest of what a status (and `extra`) says, transition times left out."""
    comparable = {**status, "conditions": [
        {k: v for k, v in c.items() if k != "last_transition_time"}
        for c in status.get("conditions", [])
    ]}  # fmt: skip
    text = json.dumps([*extra, comparable], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:40]
