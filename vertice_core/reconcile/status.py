"""What a pass reports: status documents, conditions, events and the next due time. Pure.

The status of an assembly is summarised first without times (`Report`), and
its digest is compared with the stored one: an unchanged report writes
nothing. Only when the report changed are the conditions' transition times
carried over from the stored status (a condition keeps its time until its
status flips), and an event is recorded for every change of phase or
condition.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from vertice_core.convert import format_time
from vertice_core.driver import Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import EventType, Phase


@attrs.frozen
class Report:
    """An assembly's status as a pass sees it, without any timestamps."""

    phase: Phase
    reason: str
    message: str
    ready: bool
    ready_reason: str
    synced: bool
    synced_reason: str
    synced_message: str
    instances: tuple[dict[str, Any], ...]

    def digest(self) -> str:
        """A stable digest of the report (what `status_digest` stores).

        Computed for every assembly of every pass, so it is kept cheap: the repr of
        plain values (instance views are dicts built with their keys in one order).
        """
        text = repr(
            (
                self.phase.value, self.reason, self.message, self.ready, self.ready_reason,
                self.synced, self.synced_reason, self.synced_message, self.instances,
            )
        )  # fmt: skip
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def instance_view(instance: Instance) -> dict[str, Any]:
    """The status document's view of one instance."""
    return {
        "key": instance.key,
        "cloud_id": instance.cloud_id,
        "state": instance.state.value,
        "public_ipv4": instance.public_ipv4,
        "private_ipv4": instance.private_ipv4,
        "access": list(instance.access),
    }


def is_ready(phase: Phase, desired: DesiredState) -> bool:
    """Ready: the assembly is as declared (running, or stopped when asked to stop)."""
    return (phase is Phase.RUNNING and desired is DesiredState.RUNNING) or (
        phase is Phase.STOPPED and desired is DesiredState.STOPPED
    )


def _condition(
    kind: str,
    status: bool,
    *,
    reason: str,
    message: str,
    previous: Mapping[str, Any] | None,
    now: str,
) -> dict[str, Any]:
    value = "True" if status else "False"
    since = previous["last_transition_time"] if previous and previous["status"] == value else now
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "last_transition_time": since,
    }


def status_document(report: Report, previous: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The `status` column: conditions (transition times kept when unchanged) and instances."""
    stamp = format_time(now)
    before = {c["type"]: c for c in previous.get("conditions", [])}
    return {
        "conditions": [
            _condition(
                "Ready",
                report.ready,
                reason=report.ready_reason,
                message="",
                previous=before.get("Ready"),
                now=stamp,
            ),
            _condition(
                "Synced",
                report.synced,
                reason=report.synced_reason,
                message=report.synced_message,
                previous=before.get("Synced"),
                now=stamp,
            ),
        ],
        "instances": list(report.instances),
    }


def change_events(
    old_phase: str,
    report: Report,
    previous: Mapping[str, Any],
    *,
    assembly_id: str,
    project_id: str,
    region: str,
) -> list[dict[str, Any]]:
    """Events (as `EventRow` columns) for every change of phase or condition."""
    events: list[dict[str, Any]] = []
    base = {"assembly_id": assembly_id, "project_id": project_id, "region_name": region}
    if report.phase.value != old_phase:
        failed = report.phase is Phase.FAILED
        events.append(
            {
                **base,
                "type": (EventType.WARNING if failed else EventType.NORMAL).value,
                "reason": report.phase.value.capitalize(),
                "message": f"{old_phase} -> {report.phase.value}: "
                + (report.message or report.reason),
            }
        )
    before = {c["type"]: c["status"] for c in previous.get("conditions", [])}
    for kind, value, reason, message in (
        ("Ready", report.ready, report.ready_reason, ""),
        ("Synced", report.synced, report.synced_reason, report.synced_message),
    ):
        text = "True" if value else "False"
        if before.get(kind) != text:
            events.append(
                {
                    **base,
                    "type": (EventType.NORMAL if value else EventType.WARNING).value,
                    "reason": f"{kind}{text}",
                    "message": f"{kind} is {text}: {message or reason}",
                }
            )
    return events


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` consecutive failures: exponential, jittered, capped."""
    delay = min(cap, base * (2 ** min(attempts, 30)))
    return float(delay * rng.uniform(0.5, 1.0))


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def instances_of(found: Sequence[Instance]) -> tuple[dict[str, Any], ...]:
    """The status views of the instances an assembly has."""
    return tuple(instance_view(i) for i in found)
