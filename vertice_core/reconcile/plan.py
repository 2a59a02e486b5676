"""The pure heart of the reconciler: from (spec, observed instances, slots) to actions.

`plan_actions` does no I/O and keeps no state; it is tested as a table
(`tests/core/reconcile/test_plan.py`, `test_plan_replicas.py`). An assembly
runs `replicas` instances, one per *ordinal* `0 .. replicas-1`; each ordinal
has a *slot* (a row of the instances table) with its incarnation, restarts and
write-ahead create marker. Given the declared state and everything the cloud
shows for the assembly, it decides what to do now:

* per wanted ordinal, as for a single instance: create the missing instance
  (unless a recent create of the same key may not be listed yet: the grace
  period), adopt an instance found by key (a crash between create and its
  record), start a stopped one whose spec says running (the host-reboot case),
  stop a running one whose spec says stopped, reboot once per restart request
  (both the hard way when `restart_mode` / `stop_mode` say so; a stop suspends
  when `stop_mode` says `suspend`, and the start of a suspended one resumes it),
  resize one running another flavor than declared, in place (where the region's
  driver can: `Desired.resizable`), replace a broken or vanished one under a new
  incarnation;
* delete the instances of ordinals at or above `replicas` (scale down: those
  that never became ready first, then the highest ordinal first) and drop
  their slots once the cloud shows nothing for them; a running one is first
  *drained* for `drain` seconds (taken out of the routes in front of the
  assembly, so requests in flight finish) when `drain` is not 0;
* replace every instance, one ordinal at a time, when `replace_count` is
  raised (a rolling replacement): the new incarnation is created beside the
  old one (the *retiring* one), and once it runs the old one is drained and
  deleted, so the assembly never serves with fewer instances than declared;
* delete every instance no slot owns (an older incarnation), and every
  instance when the spec says deleted;
* nothing when all agrees.

It also says which phase the assembly is in and whether the loop should look
again soon (something is in transition).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from vertice_core.driver import Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile import rolling
from vertice_core.reconcile.decision import (
    UNHEALTHY,
    Action,
    Decision,
    Desired,
    Health,
    Member,
    Slot,
    Verb,
    instance_key,
    live_of,
)

__all__ = [
    "UNHEALTHY",
    "Action",
    "Decision",
    "Desired",
    "Health",
    "Member",
    "Slot",
    "Verb",
    "instance_key",
    "plan_actions",
]

# Enum members bound once: an attribute lookup on an enum class goes through a descriptor,
# and the planner runs for every assembly of every pass.
_I_RUNNING, _I_STOPPED = InstanceState.RUNNING, InstanceState.STOPPED
_I_ERROR = InstanceState.ERROR
_P_LAUNCHING, _P_RUNNING, _P_STOPPED = Phase.LAUNCHING, Phase.RUNNING, Phase.STOPPED
_P_STOPPING = Phase.STOPPING
_P_DELETING, _P_DELETED, _P_FAILED = Phase.DELETING, Phase.DELETED, Phase.FAILED
_D_RUNNING, _D_STOPPED, _D_DELETED = (
    DesiredState.RUNNING,
    DesiredState.STOPPED,
    DesiredState.DELETED,
)
_V_CREATE, _V_START, _V_STOP, _V_REBOOT, _V_DELETE, _V_RESIZE = (
    Verb.CREATE, Verb.START, Verb.STOP, Verb.REBOOT, Verb.DELETE, Verb.RESIZE,
)  # fmt: skip
_V_HARD_REBOOT, _V_HARD_STOP, _V_SUSPEND = Verb.HARD_REBOOT, Verb.HARD_STOP, Verb.SUSPEND


def plan_actions(
    want: Desired, instances: Sequence[Instance], *, now: float, grace: float
) -> Decision:
    """Decide what to do for one assembly given every instance the cloud shows for it."""
    live = live_of(instances)
    if want.desired is _D_DELETED:
        if not live:
            return Decision((), _P_DELETED, reason="Deleted", gone=True)
        deletes = tuple(Action(_V_DELETE, i.cloud_id, _owner(want, i)) for i in live)
        return Decision(deletes, _P_DELETING, reason="Deleting", busy=True)

    wanted = range(want.replicas) if want.ordinals is None else sorted(want.ordinals)
    stored = {s.ordinal: s for s in want.slots}
    # A new ordinal runs the current declaration: it has nothing to replace.
    slots = [stored.get(o) or Slot(o, replaced_done=want.replace_count) for o in wanted]
    slots += [s for o, s in sorted(stored.items()) if not want.wants(o)]
    owned = {instance_key(want.assembly_id, s.incarnation, s.ordinal): s.ordinal for s in slots}
    retiring = {
        instance_key(want.assembly_id, s.retiring, s.ordinal): s.ordinal
        for s in slots
        if s.retiring is not None
    }
    extras = tuple(
        Action(_V_DELETE, i.cloud_id, -1)
        for i in live
        if owned.get(i.key) is None and i.key not in retiring
    )
    by_ordinal: dict[int, list[Instance]] = {}
    old_by_ordinal: dict[int, list[Instance]] = {}
    for i in instances:
        ordinal = owned.get(i.key)
        if ordinal is not None:
            by_ordinal.setdefault(ordinal, []).append(i)
        elif i.key in retiring:
            old_by_ordinal.setdefault(retiring[i.key], []).append(i)

    if want.phase is _P_FAILED and want.observed_generation == want.generation:
        return _failed(want, slots, by_ordinal, extras)

    members: list[Member] = []
    actions: list[Action] = list(extras)
    leaving: list[tuple[Member, Action]] = []
    next_roll = rolling.next_to_roll(want, slots, by_ordinal)
    for stored_slot in slots:
        slot = stored_slot
        found = by_ordinal.get(slot.ordinal, [])
        old = old_by_ordinal.get(slot.ordinal, [])
        if want.wants(slot.ordinal):
            if slot.ordinal == next_roll:
                # Start replacing: the current incarnation retires, a new one is created.
                slot, found, old = rolling.roll(want, slot), [], found
            member, acts = _one(want, slot, found, now=now, grace=grace)
            if slot.retiring is not None:
                member, more = rolling.retire(want, member, live_of(old), now=now)
                acts = acts + more
            members.append(member)
            actions.extend(acts)
            continue
        kept = rolling.leaving(want, slot, found + old, now=now, grace=grace)
        if kept is not None:
            members.append(kept[0])
            leaving.extend((kept[0], a) for a in kept[1])
    # Scale down: instances that never became ready go first, then the highest ordinal.
    leaving.sort(key=lambda pair: (_was_ready(pair[0]), -pair[0].slot.ordinal))
    actions.extend(action for _, action in leaving)
    scaling_down = any(not m.wanted for m in members)
    return _aggregate(want, tuple(members), tuple(actions), scaling_down=scaling_down)


def _owner(want: Desired, instance: Instance) -> int:
    for slot in want.slots:
        if instance.key == instance_key(want.assembly_id, slot.incarnation, slot.ordinal):
            return slot.ordinal
    return -1


def _was_ready(member: Member) -> bool:
    return member.instance is not None and member.instance.state is _I_RUNNING


def _failed(
    want: Desired,
    slots: list[Slot],
    by_ordinal: dict[int, list[Instance]],
    extras: tuple[Action, ...],
) -> Decision:
    """A terminal failure waits for a spec change; only extras are cleaned up."""
    members = []
    for slot in slots:
        live = live_of(by_ordinal.get(slot.ordinal, []))
        if not want.wants(slot.ordinal) and not live and slot.create_key is None:
            continue
        members.append(
            Member(
                attrs.evolve(slot, restarts_done=want.restart_count),
                _P_FAILED,
                "WaitingForSpecChange",
                False,
                instance=live[0] if live else None,
                wanted=want.wants(slot.ordinal),
            )
        )
    return Decision(
        extras,
        _P_FAILED,
        members=tuple(members),
        restarts_done=want.restart_count,
        reason="WaitingForSpecChange",
        busy=bool(extras),
    )


def _one(
    want: Desired, slot: Slot, found: list[Instance], *, now: float, grace: float
) -> tuple[Member, list[Action]]:
    """The single-instance plan of one wanted ordinal (`found`: instances of its key)."""
    live = live_of(found)
    current = live[0] if live else None
    dupes = [Action(_V_DELETE, i.cloud_id, slot.ordinal) for i in live[1:]]
    if current is None:
        member, acts = _without_instance(want, slot, found, now=now, grace=grace)
        return member, dupes + acts
    if current.state is _I_ERROR:
        # A broken instance is replaced: delete it, and the next key creates anew.
        nxt = attrs.evolve(slot, incarnation=slot.incarnation + 1, create_key=None,
                           create_started_at=None)  # fmt: skip
        member = Member(nxt, _P_LAUNCHING, "ReplacingBrokenInstance", True, instance=current)
        return member, [*dupes, Action(_V_DELETE, current.cloud_id, slot.ordinal)]
    if _resizes(want, slot) and (
        current.state is _I_STOPPED or (current.state is _I_RUNNING and want.desired is _D_RUNNING)
    ):  # one that should stop is stopped first
        member, acts = _resize(want, slot, current)
        return member, dupes + acts
    if want.desired is _D_RUNNING:
        member, acts = _should_run(want, slot, current)
    else:
        member, acts = _should_stop(want, slot, current)
    return member, dupes + acts


def _without_instance(
    want: Desired, slot: Slot, found: list[Instance], *, now: float, grace: float
) -> tuple[Member, list[Action]]:
    """No live instance has the slot's key: create one, or wait for a recent create."""
    key = instance_key(want.assembly_id, slot.incarnation, slot.ordinal)
    done = _done(slot, want.restart_count)  # a restart of nothing is moot
    if found:
        # The key's instance is terminated (someone deleted it behind our back, or the
        # cloud lost it). Clouds keep idempotency tokens of terminated instances, so the
        # replacement needs a new key.
        nxt = attrs.evolve(done, incarnation=slot.incarnation + 1, create_key=None,
                           create_started_at=None)  # fmt: skip
        return _without_instance(want, nxt, [], now=now, grace=grace)
    recent = (
        slot.create_key == key
        and slot.create_started_at is not None
        and now - slot.create_started_at < grace
    )
    if recent:
        return Member(done, _P_LAUNCHING, "WaitingForCloud", True), []
    # What is created runs the current declaration: nothing left to replace or resize.
    done = attrs.evolve(done, replaced_done=max(done.replaced_done, want.replace_count),
                        flavor=want.flavor)  # fmt: skip
    return (
        Member(done, _P_LAUNCHING, "Creating", True),
        [Action(_V_CREATE, key, slot.ordinal)],
    )


def _resizes(want: Desired, slot: Slot) -> bool:
    """Whether the ordinal's instance runs another flavor than declared and the region's
    driver resizes in place (a flavor never recorded is not resized)."""
    return want.resizable and bool(slot.flavor) and bool(want.flavor) and slot.flavor != want.flavor


def _resize(want: Desired, slot: Slot, current: Instance) -> tuple[Member, list[Action]]:
    """Resize the instance in place (the driver stops it first where the cloud needs it,
    and starts it again if it ran); the slot runs the declared flavor once it succeeds.
    A running one is not ready meanwhile: routes stop sending it requests."""
    done = attrs.evolve(slot, flavor=want.flavor)
    if want.desired is _D_RUNNING:
        member = Member(done, _P_LAUNCHING, "Resizing", True, instance=current, ready=False)
    else:
        member = Member(done, _P_STOPPED, "Resizing", True, instance=current)
    return member, [Action(_V_RESIZE, current.cloud_id, slot.ordinal)]


def _done(slot: Slot, restart_count: int) -> Slot:
    """The slot with every restart request carried out (itself when it already is)."""
    if slot.restarts_done == restart_count:
        return slot
    return attrs.evolve(slot, restarts_done=restart_count)


def _should_run(want: Desired, slot: Slot, current: Instance) -> tuple[Member, list[Action]]:
    done = _done(slot, want.restart_count)
    if current.state is _I_STOPPED:
        member = Member(done, _P_LAUNCHING, "Starting", True, instance=current)
        return member, [Action(_V_START, current.cloud_id, slot.ordinal)]
    if current.state is _I_RUNNING:
        health = rolling.unhealthy(want, slot.ordinal, current)
        if health is not None:
            # Failed its probe `threshold` times in a row: replaced like a broken one.
            nxt = attrs.evolve(slot, incarnation=slot.incarnation + 1, create_key=None,
                               create_started_at=None)  # fmt: skip
            note = f"{health.failures} times in a row ({health.message})"
            member = Member(nxt, _P_LAUNCHING, UNHEALTHY, True, instance=current, ready=False,
                            note=note)  # fmt: skip
            return member, [Action(_V_DELETE, current.cloud_id, slot.ordinal)]
        ready = rolling.passes(want, slot.ordinal, current)
        if want.restart_count > slot.restarts_done:
            member = Member(done, _P_RUNNING, "Restarting", True, instance=current, ready=ready)
            verb = _V_HARD_REBOOT if want.hard_restart else _V_REBOOT
            return member, [Action(verb, current.cloud_id, slot.ordinal)]
        return Member(slot, _P_RUNNING, "Running", False, instance=current, ready=ready), []
    # pending or unknown: booting, or the cloud does not say yet
    return Member(slot, _P_LAUNCHING, "Booting", True, instance=current), []


def _should_stop(want: Desired, slot: Slot, current: Instance) -> tuple[Member, list[Action]]:
    # A restart asked while the spec says stopped is satisfied by the stop itself.
    done = _done(slot, want.restart_count)
    if current.state is _I_STOPPED:
        return Member(done, _P_STOPPED, "Stopped", False, instance=current), []
    # STOPPING, not RUNNING, while it still runs: the phase says where the ordinal is
    # going, so a stop is never shown as RUNNING once the reconciler has seen it.
    member = Member(done, _P_STOPPING, "Suspending" if want.suspend else "Stopping", True,
                    instance=current)  # fmt: skip
    verb = _V_SUSPEND if want.suspend else _V_HARD_STOP if want.hard_stop else _V_STOP
    return member, [Action(verb, current.cloud_id, slot.ordinal)]


def _aggregate(
    want: Desired,
    members: tuple[Member, ...],
    actions: tuple[Action, ...],
    *,
    scaling_down: bool,
) -> Decision:
    """The assembly's phase and reason from its members' (like a Deployment's status).

    Some wanted instance launching: LAUNCHING; else some being stopped: STOPPING; else
    some running: RUNNING (all of them when the spec says running); else STOPPED. Scaled
    to zero: RUNNING or STOPPED as declared. The reason is that of the lowest ordinal in
    the assembly's phase that is in transition, else of the lowest ordinal.
    """
    wanted = [m for m in members if m.wanted]
    busy = bool(actions) or any(m.busy for m in members)
    restarts = min((m.slot.restarts_done for m in wanted), default=want.restart_count)
    if not wanted:
        phase = _P_STOPPED if want.desired is _D_STOPPED else _P_RUNNING
        reason = "ScalingDown" if scaling_down else "ScaledToZero"
        return Decision(actions, phase, members, restarts, reason, busy)
    phases = {m.phase for m in wanted}
    if _P_LAUNCHING in phases:
        phase = _P_LAUNCHING
    elif _P_STOPPING in phases:
        phase = _P_STOPPING
    elif _P_RUNNING in phases:
        phase = _P_RUNNING
    else:
        phase = _P_STOPPED
    moving = [m for m in wanted if m.phase is phase and m.busy]
    reason = (moving or wanted)[0].reason
    if scaling_down and not moving:
        reason = "ScalingDown"
    return Decision(actions, phase, members, restarts, reason, busy)
