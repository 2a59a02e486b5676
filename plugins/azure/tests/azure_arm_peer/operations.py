"""The peer's long-running operations, as Azure runs them.

An accepted PUT, POST or DELETE starts one; it is InProgress until the VM's
transition ends (`duration` seconds), then Succeeded, or Failed with an error
when a test says so. Its status document is a copy of the recorded polls of
the VM PUT's operation (interactions 12 and 13 of the SDK's recorded
exchange): `{"startTime", "status", "name"[, "endTime"]}`.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import attrs

from azure_arm_peer.documents import Recorded


def stamp(at: float | None = None) -> str:
    """An ARM timestamp."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


@attrs.define
class Operation:
    """A long-running operation: InProgress until `started + duration`, then done."""

    name: str
    location: str
    started: float
    wall: float
    duration: float
    error: tuple[str, str] | None = None


class Operations(dict[str, Operation]):
    """The operations started so far, by name."""

    def __init__(self, recorded: Recorded) -> None:
        super().__init__()
        self.recorded = recorded

    def begin(self, location: str, duration: float, error: tuple[str, str] | None = None) -> str:
        """Start an operation; return its name."""
        name = str(uuid.uuid4())
        self[name] = Operation(name, location, time.monotonic(), time.time(), duration, error)
        return name

    def view(self, name: str) -> tuple[bool, dict[str, Any]]:
        """(done, the Azure-AsyncOperation status document) of an operation."""
        op = self[name]
        done = time.monotonic() - op.started >= op.duration
        doc: dict[str, Any] = self.recorded("operation_done" if done else "operation_running")
        doc.update(name=op.name, startTime=stamp(op.wall))
        if done:
            doc["endTime"] = stamp(op.wall + op.duration)
            if op.error:
                doc["status"] = "Failed"
                doc["error"] = {"code": op.error[0], "message": op.error[1]}
        return done, doc
