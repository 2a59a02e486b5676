"""What a pass reports: status documents, conditions, events and the next due time. Pure.

The status of an assembly is summarised first without times (`Report`), and
its digest is compared with the stored one: an unchanged report writes
nothing. Only when the report changed are the conditions' transition times
carried over from the stored status (a condition keeps its time until its
status flips), and an event is recorded for every change of phase or
condition.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from vertice_core.convert import format_time
from vertice_core.driver import TAG_PROJECT, TAG_REVISION, Instance
from vertice_core.errors import DriverError
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import EventType, Phase
from vertice_core.reconcile.decision import UNHEALTHY, Member, Verb


@attrs.frozen(slots=False)  # a __dict__ for the digest's cache
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
    #: Instances declared, as declared (Ready), live at a wanted ordinal (updated).
    replicas: int = 1
    ready_replicas: int = 0
    updated_replicas: int = 0
    #: Of an assembly with a placement: what each region reports, in the placement's
    #: order (see `vertice_core.reconcile.placed`); empty otherwise.
    parts: tuple[dict[str, Any], ...] = ()

    @functools.cached_property
    def _digest(self) -> str:
        return self._compute_digest()

    def digest(self) -> str:
        """A stable digest of the report (what `status_digest` stores), computed once."""
        return self._digest

    def _compute_digest(self) -> str:
        """Computed for every assembly of every pass, so it is kept cheap: the repr of
        plain values (instance views are dicts built with their keys in one order)."""
        text = repr(
            (
                self.phase.value, self.reason, self.message, self.ready, self.ready_reason,
                self.synced, self.synced_reason, self.synced_message, self.instances,
                self.replicas, self.ready_replicas, self.updated_replicas,
            ) + ((self.parts,) if self.parts else ())
        )  # fmt: skip
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def retrying(retry_in: float, now: float) -> str:
    """How a message says when the next attempt is: relative, and absolute so that
    messages written at different moments (the status, an earlier event) agree."""
    at = datetime.fromtimestamp(round(now + retry_in), UTC)
    return f"(retrying in {retry_in:.0f}s, at {at.strftime('%H:%M:%SZ')})"


def instance_view(
    instance: Instance,
    ordinal: int = 0,
    draining: bool = False,
    ready: bool = True,
    retiring: bool = False,
) -> dict[str, Any]:
    """The status document's view of one instance. `draining` (only there when true):
    the instance is on its way out, and routes no longer send it requests; `ready`
    (only there when false): it runs, but has not passed its probe; `retiring` (only
    there when true, never shown by the API): the old instance of an ordinal being
    replaced, which serves until the new one is ready (the prober probes the new one)."""
    view = {
        "ordinal": ordinal,
        "key": instance.key,
        "cloud_id": instance.cloud_id,
        "state": instance.state.value,
        "public_ipv4": instance.public_ipv4,
        "private_ipv4": instance.private_ipv4,
        "access": list(instance.access),
    }
    if draining:
        view["draining"] = True
    if not ready:
        view["ready"] = False
    if retiring:
        view["retiring"] = True
    revision = instance.tags.get(TAG_REVISION)
    if revision:
        view["revision"] = int(revision) if revision.isdigit() else 0
    return view


def is_ready(phase: Phase, desired: DesiredState) -> bool:
    """Ready: the assembly is as declared (running, or stopped when asked to stop)."""
    return (phase is Phase.RUNNING and desired is DesiredState.RUNNING) or (
        phase is Phase.STOPPED and desired is DesiredState.STOPPED
    )


@attrs.frozen
class Prior:
    """The conditions as the store holds them: a flag and since when (None: never set)."""

    ready: bool | None = None
    ready_since: float | None = None
    synced: bool | None = None
    synced_since: float | None = None

    def since(self, kind: str, value: bool, now: float) -> float:
        """When condition `kind` took `value`: kept while unchanged, else now."""
        flag, since = (
            (self.ready, self.ready_since) if kind == "Ready" else (self.synced, self.synced_since)
        )
        return since if flag is value and since is not None else now


def _condition(
    kind: str, status: bool, *, reason: str, message: str, since: float
) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "last_transition_time": format_time(datetime.fromtimestamp(since, UTC)),
    }


def status_document(report: Report, prior: Prior, now: float) -> dict[str, Any]:
    """The `status` column: conditions (transition times kept when unchanged) and instances
    (and, of an assembly with a placement, what each region reports)."""
    document: dict[str, Any] = {
        "conditions": [
            _condition(
                "Ready",
                report.ready,
                reason=report.ready_reason,
                message="",
                since=prior.since("Ready", report.ready, now),
            ),
            _condition(
                "Synced",
                report.synced,
                reason=report.synced_reason,
                message=report.synced_message,
                since=prior.since("Synced", report.synced, now),
            ),
        ],
        "instances": list(report.instances),
        "replicas": report.replicas,
        "ready_replicas": report.ready_replicas,
        "updated_replicas": report.updated_replicas,
    }
    if report.parts:
        document["placement"] = list(report.parts)
    return document


def change_events(
    old_phase: str,
    report: Report,
    prior: Prior,
    *,
    assembly_id: str,
    project_id: str,
    region: str,
) -> list[dict[str, Any]]:
    """Events (as `EventRow` columns) for every change of phase or condition.

    Routine transitions are `Normal`: a new assembly not Ready yet, a scale-up launching.
    A `Warning` says something went wrong: a failure, or an error keeping it unsynced.
    """
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
    for kind, value, before, reason, message in (
        ("Ready", report.ready, prior.ready, report.ready_reason, ""),
        ("Synced", report.synced, prior.synced, report.synced_reason, report.synced_message),
    ):
        if before is not value:
            text = "True" if value else "False"
            trouble = not value and (report.phase is Phase.FAILED or not report.synced)
            events.append(
                {
                    **base,
                    "type": (EventType.WARNING if trouble else EventType.NORMAL).value,
                    "reason": f"{kind}{text}",
                    "message": f"{kind} is {text}: {message or reason}",
                }
            )
    return events


def unhealthy_events(
    members: Sequence[Member],
    failed: Collection[tuple[Verb, int]],
    *,
    assembly_id: str,
    project_id: str,
    region: str,
) -> list[dict[str, Any]]:
    """A Warning (as `EventRow` columns) for each instance the pass is replacing because
    it failed its probe too often (and whose delete did not fail)."""
    return [
        {
            "assembly_id": assembly_id,
            "project_id": project_id,
            "region_name": region,
            "type": EventType.WARNING.value,
            "reason": "InstanceUnhealthy",
            "message": f"instance {m.instance.cloud_id} (ordinal {m.slot.ordinal}) failed its "
            f"probe {m.note}: replacing it",
        }
        for m in members
        if m.reason == UNHEALTHY
        and m.instance is not None
        and (Verb.DELETE, m.slot.ordinal) not in failed
    ]


def ghost_events(
    ghosts: Sequence[Instance], results: Sequence[Any], region: str
) -> list[dict[str, Any]]:
    """A Warning (as `EventRow` columns) for each ghost the pass deleted, or failed to:
    `results` holds each delete's outcome (a `DriverError` when it failed)."""
    events = []
    for ghost, value in zip(ghosts, results, strict=True):
        failed = isinstance(value, DriverError)
        events.append(
            {
                "assembly_id": ghost.assembly_id or None,
                "project_id": ghost.tags.get(TAG_PROJECT) or None,
                "region_name": region,
                "type": EventType.WARNING.value,
                "reason": "GhostDeleteFailed" if failed else "GhostRemoved",
                "message": f"instance {ghost.cloud_id} (key {ghost.key!r}) belongs to no "
                f"assembly; " + (f"delete failed: {value}" if failed else "delete requested"),
            }
        )
    return events


def prior_of(item: Any) -> Prior:
    """The stored conditions of a work item."""
    return Prior(item.ready, item.ready_since, item.synced, item.synced_since)


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def instances_of(members: Sequence[Member]) -> tuple[dict[str, Any], ...]:
    """The status views of the instances an assembly has, in ordinal order: each
    member's instance, and the instance it is replacing while there is one."""
    views = []
    for m in members:
        if m.instance is not None:
            views.append(
                instance_view(m.instance, m.slot.ordinal, m.draining and not m.wanted, m.ready)
            )
        if m.retiring is not None:
            views.append(instance_view(m.retiring, m.slot.ordinal, m.draining, retiring=True))
    return tuple(views)
