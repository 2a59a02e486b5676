"""What a pass writes for one assembly: its status report and its bookkeeping. Pure.

`report_of` turns a decision (and the error its actions met, if any) into a
`Report`; `slots_after` gives the rows of the assembly's instances after it
(incarnations, create markers and their grace period, restarts carried out,
what was seen of each instance); `outcome` adds what the reconciler remembers
for next time, such as the backoff after a transient failure. Every status
write, including a whole region's failure, is built by `write_of`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs

from vertice_core.backoff import retry_delay
from vertice_core.driver import Instance, InstanceSpec, SizeSpec
from vertice_core.errors import DriverError, TerminalError
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile import placed, status
from vertice_core.reconcile.placed import Share
from vertice_core.reconcile.plan import (
    Decision,
    Desired,
    Health,
    Member,
    Slot,
    Verb,
    instance_key,
)
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.store.repositories.probes import ProbeState
from vertice_core.store.repositories.slots import InstanceSlot, SlotChanges
from vertice_core.store.repositories.work import StatusWrite, WorkItem


def desired_of(
    item: WorkItem,
    drain: float = 0.0,
    probes: Mapping[int, ProbeState] | None = None,
    share: Share | None = None,
    served: frozenset[str] | None = None,
    *,
    drain_limit: float = 120.0,
    resizable: bool = False,
) -> Desired:
    """The planner's view of a work item (`drain`: seconds an instance on its way out
    is drained first, for assemblies with a route in front; `probes`: the prober's
    findings by ordinal; `share`: of an assembly with a placement, the ordinals and
    rows placed in the pass's region; `served`: the keys of the instances its routes
    were last known to serve, and `drain_limit`, see `Desired`; `resizable`: whether
    the region's driver claims `resize`)."""
    slots = item.slots if share is None else share.mine(item.slots)
    return Desired(
        assembly_id=item.id,
        desired=DesiredState(item.desired_state),
        generation=item.generation,
        observed_generation=item.observed_generation,
        restart_count=item.restart_count,
        phase=Phase(item.phase),
        # An assembly waiting for its first build has nothing to run yet.
        replicas=0 if item.build_wait is not None else item.replicas,
        slots=tuple(_slot(s) for s in slots),
        replace_count=item.replace_count,
        drain=drain,
        served=served or frozenset(),
        drain_limit=drain_limit,
        probed=item.probed,
        health={
            ordinal: Health(p.key, p.failures, p.ready, p.threshold, p.message)
            for ordinal, p in (probes or {}).items()
        },
        ordinals=None if share is None else share.ordinals,
        flavor=item.flavor_name,
        resizable=resizable,
        hard_restart=item.restart_mode == "hard",
        hard_stop=item.stop_mode == "hard",
        suspend=item.stop_mode == "suspend",
    )


def _slot(row: InstanceSlot) -> Slot:
    """The planner's view of an instance row."""
    return Slot(
        row.ordinal, row.incarnation, row.restarts_done, row.create_key,
        row.create_started_at, row.replaced_done, row.retiring, row.drain_started_at,
        row.flavor_name,
    )  # fmt: skip


def _counts(item: WorkItem, decision: Decision) -> tuple[int, int, int]:
    """`(replicas, ready, updated)`: instances declared, as declared, and live at a
    wanted ordinal with every replacement asked for carried out."""
    desired = DesiredState(item.desired_state)
    wanted = [m for m in decision.members if m.wanted]
    ready = sum(1 for m in wanted if status.is_ready(m.phase, desired) and m.instance and m.ready)
    updated = sum(
        1
        for m in wanted
        if m.instance
        and m.instance.state is not InstanceState.TERMINATED
        and m.slot.replaced_done >= item.replace_count
    )
    return item.replicas, ready, updated


def _waiting_for_build(
    build_wait: str, instances: tuple[dict[str, Any], ...], counts: tuple[int, int, int]
) -> status.Report:
    """The report of an assembly built from source whose first build has not succeeded:
    pending while it builds, failed when it failed (a new build makes it pending again)."""
    reason, _, message = build_wait.partition(": ")
    phase = Phase.FAILED if reason == status.BUILD_FAILED else Phase.PENDING
    return status.Report(
        phase, reason, message, False, reason, phase is Phase.FAILED, reason, message,
        instances, *counts,
    )  # fmt: skip


def report_of(
    item: WorkItem,
    decision: Decision,
    error: DriverError | None = None,
    retry: status.Retry | None = None,
    *,
    share: Share | None = None,
    failure: Mapping[str, Any] | None = None,
) -> status.Report:
    """The status report of an assembly after a decision and the outcome of its actions
    (`retry`: when a transient `error` is retried; of an assembly with a placement: its
    region's part merged with the other regions'; `failure`: a create this pass's region
    refused for lack of capacity)."""
    own = _report(item, decision, error, retry)
    if share is None:
        return own
    own = attrs.evolve(own, replicas=len(share.ordinals))
    part = placed.own_part(share, own, busy=decision.busy, failure=failure)
    return placed.merged(share, part, own, DesiredState(item.desired_state), item.replicas)


def _report(
    item: WorkItem,
    decision: Decision,
    error: DriverError | None,
    retry: status.Retry | None,
) -> status.Report:
    desired = DesiredState(item.desired_state)
    instances = status.instances_of(decision.members)
    counts = _counts(item, decision)
    if item.build_wait is not None and desired is not DesiredState.DELETED:
        return _waiting_for_build(item.build_wait, instances, counts)
    if isinstance(error, TerminalError):
        return status.Report(
            Phase.FAILED, error.reason, error.message, False, error.reason, False,
            error.reason, error.message, instances, *counts,
        )  # fmt: skip
    phase = decision.phase
    ready = status.is_ready(phase, desired)
    if error is not None:
        message = f"{error.message} {retry.text()}" if retry is not None else error.message
        return status.Report(
            phase, decision.reason, message, ready,
            decision.reason if not ready else "AsDeclared", False, error.reason, message,
            instances, *counts,
        )  # fmt: skip
    return status.Report(
        phase, decision.reason, "", ready, "AsDeclared" if ready else decision.reason, True,
        "Reconciled", "", instances, *counts,
    )  # fmt: skip


@attrs.define
class Work:
    """One assembly being worked on in a pass: its decision and what its actions met."""

    item: WorkItem
    decision: Decision
    #: The specs of the instances to create, by ordinal.
    specs: dict[int, InstanceSpec] = attrs.Factory(dict)
    #: The declared flavor's size, when an instance is resized to it.
    size: SizeSpec | None = None
    errors: list[DriverError] = attrs.Factory(list)
    #: Instances the creates returned, by ordinal.
    created: dict[int, Instance] = attrs.Factory(dict)
    #: `(verb, ordinal)` of the calls that failed.
    failed: set[tuple[Verb, int]] = attrs.Factory(set)
    #: Of an assembly with a placement: its share in the pass's region.
    share: Share | None = None
    #: Creates the region refused for lack of capacity or quota, by ordinal (of an
    #: assembly with a placement: placed elsewhere by the next pass).
    refused: dict[int, DriverError] = attrs.Factory(dict)


def creates_of(decision: Decision) -> list[tuple[int, str]]:
    """`(ordinal, key)` of the decision's create actions."""
    return [(a.ordinal, a.target) for a in decision.actions if a.verb is Verb.CREATE]


def slots_after(
    item: WorkItem,
    decision: Decision,
    now: float,
    *,
    failed: frozenset[tuple[Verb, int]] | set[tuple[Verb, int]] = frozenset(),
    region: str = "",
    share: Share | None = None,
    refused: Collection[int] = (),
) -> tuple[InstanceSlot, ...]:
    """The instance rows of an assembly (in `region`, of an assembly with a placement)
    once the decision's actions are done.

    A create issued sets the marker (and its grace period) unless it failed, when it is
    retried after the backoff instead (the key keeps it safe); an instance listed under
    the marker's key clears it. A reboot that failed leaves the restarts as they were.
    A create the region `refused` drops the row: the ordinal is placed anew. A resize that
    failed leaves the flavor as it was.
    """
    stored = {s.ordinal: s for s in _mine(item, share)}
    creating = {ordinal for ordinal, _ in creates_of(decision)}
    return tuple(
        _slot_row(item.id, m, stored.get(m.slot.ordinal), now, creating, failed, region=region)
        for m in decision.members
        if m.slot.ordinal not in refused
    )


def _mine(item: WorkItem, share: Share | None) -> tuple[InstanceSlot, ...]:
    """The stored rows a pass plans and writes: all, or those placed in its region."""
    return item.slots if share is None else share.mine(item.slots)


def _slot_row(
    assembly_id: str,
    member: Member,
    before: InstanceSlot | None,
    now: float,
    creating: set[int],
    failed: frozenset[tuple[Verb, int]] | set[tuple[Verb, int]],
    *,
    region: str,
) -> InstanceSlot:
    slot, instance = member.slot, member.instance
    key = instance_key(assembly_id, slot.incarnation, slot.ordinal)
    create_key, create_at = slot.create_key, slot.create_started_at
    if slot.ordinal in creating:
        create_key = key
        create_at = None if (Verb.CREATE, slot.ordinal) in failed else now
    elif instance is not None and instance.key == create_key:
        create_key, create_at = None, None
    restarts = slot.restarts_done
    if before is not None and (
        (Verb.REBOOT, slot.ordinal) in failed or (Verb.HARD_REBOOT, slot.ordinal) in failed
    ):
        restarts = before.restarts_done
    flavor = slot.flavor
    if before is not None and (Verb.RESIZE, slot.ordinal) in failed:
        flavor = before.flavor_name
    state: str = instance.state if instance is not None else ""  # a StrEnum is its value
    since = before.since if before is not None and before.state == state else now
    return InstanceSlot(
        ordinal=slot.ordinal,
        incarnation=slot.incarnation,
        key=key,
        restarts_done=restarts,
        create_key=create_key,
        create_started_at=create_at,
        cloud_id=instance.cloud_id if instance is not None else "",
        state=state,
        public_ipv4=instance.public_ipv4 if instance is not None else "",
        private_ipv4=instance.private_ipv4 if instance is not None else "",
        since=since,
        replaced_done=slot.replaced_done,
        retiring=slot.retiring,
        drain_started_at=slot.drain_started_at,
        region_name=region,
        flavor_name=flavor,
    )


def write_of(
    item: WorkItem,
    report: status.Report,
    now: float,
    *,
    generation: int,
    attempts: int,
    due_at: float | None,
    restarts_done: int,
    slots: SlotChanges | None,
) -> StatusWrite:
    """The status write of one assembly: its report, with the conditions' transition
    times carried over from the stored ones, and the bookkeeping given."""
    prior = status.prior_of(item)
    return StatusWrite(
        id=item.id,
        generation=generation,
        phase=report.phase.value,
        reason=report.reason,
        message=report.message,
        status=status.status_document(report, prior, now),
        status_digest=report.digest(),
        attempts=attempts,
        due_at=due_at,
        restarts_done=restarts_done,
        ready=report.ready,
        ready_since=prior.since("Ready", report.ready, now),
        synced=report.synced,
        synced_since=prior.since("Synced", report.synced, now),
        slots=slots,
    )


def outcome(
    work: Work,
    now: float,
    *,
    settings: ReconcilerSettings,
    rng: random.Random,
    region: str = "",
    failed_at: float | None = None,
) -> tuple[StatusWrite, status.Report]:
    """The status write of one assembly after its actions (in `region`), and its report.

    A retry after a failed call is due its backoff's seconds after `failed_at` (when the
    calls returned; default `now`, the pass's start): a call that took long must not eat
    into the backoff. The due time and the status's message (which the Synced event
    quotes) are the one `status.Retry`."""
    item, share = work.item, work.share
    decision = _with_created(work)
    error = _worst(work.errors)
    terminal = isinstance(error, TerminalError)
    attempts = 0 if error is None or terminal else item.attempts + 1
    retry: status.Retry | None = None
    due_at: float | None = None
    if attempts:
        delay = retry_delay(
            attempts - 1,
            base=settings.backoff_base,
            cap=settings.backoff_cap,
            rng=rng,
            error=error,
        )
        retry = status.Retry.after(delay, now if failed_at is None else max(now, failed_at))
        due_at = retry.at
    failure = placed.failure_of(work.refused, now)
    if failure is not None:
        # The refused ordinals are placed anew by the next pass, maybe over another region.
        due_at = now if due_at is None else min(due_at, now)
    report = report_of(item, decision, error, retry, share=share, failure=failure)
    slots = slots_after(
        item, decision, now, failed=work.failed, region=region, share=share, refused=work.refused
    )
    write = write_of(
        item,
        report,
        now,
        generation=item.generation,
        attempts=attempts,
        due_at=due_at,
        restarts_done=_restarts(item, slots, share),
        # Creates wrote their markers ahead (`mark_creating`): those rows are rewritten
        # whatever `item.slots` (read before) says.
        slots=SlotChanges.between(
            _mine(item, share),
            slots,
            {ordinal for ordinal, _ in creates_of(decision)},
            now=now,
        ),
    )
    return write, report


def _restarts(item: WorkItem, slots: Sequence[InstanceSlot], share: Share | None) -> int:
    """The restart requests every wanted instance carried out (in every region)."""
    rows = list(slots)
    if share is not None:
        rows += [s for s in item.slots if s.region_name != share.region]
    wanted = [s.restarts_done for s in rows if s.ordinal < item.replicas]
    return min(wanted, default=item.restart_count)


def _with_created(work: Work) -> Decision:
    """The decision, with the instances the creates returned given to their members: not
    ready when the assembly has a probe (none has passed yet: routes must not send them
    requests before one does)."""
    if not work.created:
        return work.decision
    ready = not work.item.probed
    members = tuple(
        attrs.evolve(m, instance=work.created[m.slot.ordinal], ready=ready)
        if m.instance is None and m.slot.ordinal in work.created
        else m
        for m in work.decision.members
    )
    return attrs.evolve(work.decision, members=members)


def _worst(errors: Sequence[DriverError]) -> DriverError | None:
    """The error that decides the outcome: a terminal one wins over transient ones."""
    for error in errors:
        if isinstance(error, TerminalError):
            return error
    return errors[0] if errors else None


def backing_off(item: WorkItem, now: float) -> bool:
    """A transient failure's backoff is running (and the spec did not change since)."""
    return (
        item.attempts > 0
        and item.due_at is not None
        and item.due_at > now
        and item.generation == item.observed_generation
    )


def needs_work(
    item: WorkItem, decision: Decision, now: float, *, region: str = "", share: Share | None = None
) -> bool:
    """Whether the assembly must be claimed: something to do, or something to write."""
    if item.due_at is not None and item.due_at <= now:
        return True
    if item.generation != item.observed_generation or decision.actions:
        return True
    if decision.gone and (share is None or share.gone_elsewhere()):
        # Of an assembly with a placement, the last region to find nothing removes it.
        return True
    after = slots_after(item, decision, now, region=region, share=share)
    if _restarts(item, after, share) != item.restarts_done:
        return True
    if after != _mine(item, share):
        return True  # a marker to clear, an incarnation moved on, an instance changed
    if decision.phase is Phase.FAILED and item.phase == Phase.FAILED.value:
        return False  # a terminal failure keeps its reason and message until the spec changes
    return report_of(item, decision, share=share).digest() != item.status_digest
