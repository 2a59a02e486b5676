"""What a pass reports: status documents, conditions, events and the next due time. Pure.

The status of an assembly is summarised first without times (`Report`), and
its digest is compared with the stored one: an unchanged report writes
nothing. Only when the report changed are the conditions' transition times
carried over from the stored status (a condition keeps its time until its
status flips), and an event is recorded for every change of phase or
condition.

Events have a kind, and one rule decides it everywhere an event is made (this
module, `placed.refusal_events`, the region pass, the build, rollout and scaler
controllers):

* `Normal`: a routine transition, what happens when everything works: an
  assembly created, launching, running, scaled, stopped, started, restarted,
  deleted; Ready flipping either way; Synced becoming True, or False only
  because it waits for its first build; a build released, a rollback, a scaler
  scaling or finding its metric again.
* `Warning`: something a person may need to look at: a FAILED phase, Synced
  False because of an error (a driver's error being retried, a region that
  cannot be observed, instances no region can take), a create a region refused,
  a ghost deleted (or not), an instance replaced because it failed its probe,
  a build or rollout that failed, a scaler without a metric.

So a notifier that passes only Warnings stays quiet while nothing goes wrong,
and one problem makes one Warning where it is first seen (Ready turning False
with it is Normal: the Warning that says why is the phase's or Synced's).
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
from vertice_core.reconcile.decision import UNHEALTHY, Action, Member, Verb


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


#: Why Synced may be False while nothing is wrong: the assembly waits for its first build.
ROUTINE_UNSYNCED = frozenset({"AwaitingBuild"})
#: The reason of an assembly whose first build failed (what `build_wait` starts with).
BUILD_FAILED = "BuildFailed"
#: Failures another controller recorded a Warning for where it saw them (the build
#: controller's `BuildFailed`): the phase turning FAILED for them is Normal.
ANNOUNCED = frozenset({BUILD_FAILED})


@attrs.frozen
class Retry:
    """When the next attempt after a failure runs: `delay` seconds after the failure,
    at `at` (epoch seconds). Computed once per failure, so that the due time, the
    status's message and the event that quotes it say the same time."""

    delay: float
    at: float

    @classmethod
    def after(cls, delay: float, failed_at: float) -> Retry:
        """The attempt `delay` seconds after a failure seen at `failed_at`."""
        return cls(delay, failed_at + delay)

    def text(self) -> str:
        """How a message says it: relative, and absolute so that messages written at
        different moments (the status, an earlier event) can be read together."""
        at = datetime.fromtimestamp(round(self.at), UTC)
        return f"(retrying in {self.delay:.0f}s, at {at.strftime('%H:%M:%SZ')})"


def instance_view(
    instance: Instance,
    ordinal: int = 0,
    draining: bool = False,
    ready: bool = True,
    retiring: bool = False,
    flavor: str = "",
) -> dict[str, Any]:
    """The status document's view of one instance. `draining` (only there when true):
    the instance is on its way out, and routes no longer send it requests; `ready`
    (only there when false): it runs, but has not passed its probe; `retiring` (only
    there when true, never shown by the API): the old instance of an ordinal being
    replaced, which serves until the new one is ready (the prober probes the new one);
    `flavor` (only there when known): the flavor it runs."""
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
    if flavor:
        view["flavor"] = flavor
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


def event_row(
    kind: EventType,
    reason: str,
    message: str,
    *,
    assembly_id: str | None,
    project_id: str | None,
    region: str,
) -> dict[str, Any]:
    """One event as `EventRow` columns (its kind by the module's rule)."""
    return {
        "assembly_id": assembly_id,
        "project_id": project_id,
        "region_name": region,
        "type": kind.value,
        "reason": reason,
        "message": message,
    }


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

    By the module's rule, a phase turning FAILED is a Warning (unless another controller
    recorded the failure's, see `ANNOUNCED`), and Synced turning False because of an
    error (unless the phase's event already says so); every other change is Normal.
    """
    base = {"assembly_id": assembly_id, "project_id": project_id, "region": region}
    events: list[dict[str, Any]] = []
    failed = report.phase is Phase.FAILED and report.phase.value != old_phase
    if report.phase.value != old_phase:
        warns = failed and report.reason not in ANNOUNCED
        kind = EventType.WARNING if warns else EventType.NORMAL
        message = f"{old_phase} -> {report.phase.value}: " + (report.message or report.reason)
        events.append(event_row(kind, report.phase.value.capitalize(), message, **base))
    trouble = not failed and report.synced_reason not in ROUTINE_UNSYNCED
    for kind_of, value, before, reason, message, warns in (
        ("Ready", report.ready, prior.ready, report.ready_reason, "", False),
        ("Synced", report.synced, prior.synced, report.synced_reason, report.synced_message,
         trouble),
    ):  # fmt: skip
        if before is not value:
            text = "True" if value else "False"
            kind = EventType.WARNING if warns and not value else EventType.NORMAL
            said = f"{kind_of} is {text}: {message or reason}"
            events.append(event_row(kind, f"{kind_of}{text}", said, **base))
    return events


#: The Normal event a pass records for the calls of one verb that did not fail: its
#: reason and what it says before the instances it names (`{}`: the request).
_DONE = {
    Verb.REBOOT: ("Restarted", "restart_count {}: restarted"),
    Verb.HARD_REBOOT: ("Restarted", "restart_count {}: restarted the hard way"),
    Verb.RESIZE: ("Resized", "resized in place to flavor {!r}:"),
}


def done_events(
    verb: Verb,
    actions: Sequence[Action],
    failed: Collection[tuple[Verb, int]],
    request: object,
    *,
    assembly_id: str,
    project_id: str,
    region: str,
) -> list[dict[str, Any]]:
    """A Normal event (as `EventRow` columns) naming the instances a pass restarted for
    `restart_count` (`Verb.REBOOT`) or resized to a flavor (`Verb.RESIZE`): the calls
    that did not fail; none without one. `request`: the restart count, or the flavor."""
    done = [a for a in actions if a.verb is verb and (verb, a.ordinal) not in failed]
    if not done:
        return []
    reason, said = _DONE[verb]
    names = ", ".join(f"{a.target} (ordinal {a.ordinal})" for a in done)
    return [
        event_row(
            EventType.NORMAL,
            reason,
            f"{said.format(request)} {names}",
            assembly_id=assembly_id,
            project_id=project_id,
            region=region,
        )
    ]


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
        event_row(
            EventType.WARNING,
            "InstanceUnhealthy",
            f"instance {m.instance.cloud_id} (ordinal {m.slot.ordinal}) failed its "
            f"probe {m.note}: replacing it",
            assembly_id=assembly_id,
            project_id=project_id,
            region=region,
        )
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
            event_row(
                EventType.WARNING,
                "GhostDeleteFailed" if failed else "GhostRemoved",
                f"instance {ghost.cloud_id} (key {ghost.key!r}) belongs to no assembly; "
                + (f"delete failed: {value}" if failed else "delete requested"),
                assembly_id=ghost.assembly_id or None,
                project_id=ghost.tags.get(TAG_PROJECT) or None,
                region=region,
            )
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
                instance_view(
                    m.instance,
                    m.slot.ordinal,
                    m.draining and not m.wanted,
                    m.ready,
                    flavor=m.slot.flavor,
                )
            )
        if m.retiring is not None:
            views.append(instance_view(m.retiring, m.slot.ordinal, m.draining, retiring=True))
    return tuple(views)
