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
  stop a running one whose spec says stopped, reboot once per restart request,
  replace a broken or vanished one under a new incarnation;
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

import enum
from collections.abc import Sequence

import attrs

from vertice_core.driver import Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase


class Verb(enum.StrEnum):
    """What the reconciler asks a driver to do."""

    CREATE = "create"
    START = "start"
    STOP = "stop"
    REBOOT = "reboot"
    DELETE = "delete"


@attrs.frozen
class Action:
    """One driver call: a verb, its target (the key for create, else the cloud id) and
    the ordinal it is for (-1: an instance no slot owns)."""

    verb: Verb
    target: str
    ordinal: int = 0


@attrs.frozen
class Slot:
    """The bookkeeping of one ordinal (a row of the instances table)."""

    ordinal: int
    incarnation: int = 1
    restarts_done: int = 0
    #: Write-ahead marker: the key a create was issued for, and when (epoch seconds).
    create_key: str | None = None
    create_started_at: float | None = None
    #: Replacement requests (`replace_count`) this ordinal has carried out.
    replaced_done: int = 0
    #: The incarnation being replaced: it serves until the new one runs, then drains.
    retiring: int | None = None
    #: When the instance on its way out (scale down, or the retiring one) was drained:
    #: taken out of the routes; it is deleted `drain` seconds later.
    drain_started_at: float | None = None


@attrs.frozen
class Desired:
    """What `plan_actions` needs to know about one assembly (read from the store)."""

    assembly_id: str
    desired: DesiredState
    generation: int
    observed_generation: int
    restart_count: int
    phase: Phase
    replicas: int = 1
    #: The stored slots, in ordinal order (ordinals without a row use `Slot(ordinal)`).
    slots: tuple[Slot, ...] = ()
    #: Raised by one to replace every instance, one ordinal at a time.
    replace_count: int = 0
    #: Seconds a running instance on its way out is drained before it is deleted
    #: (0: deleted at once; the reconciler drains only assemblies with a route).
    drain: float = 0.0


# Enum members bound once: an attribute lookup on an enum class goes through a descriptor,
# and the planner runs for every assembly of every pass.
_I_PENDING, _I_RUNNING, _I_STOPPED = (
    InstanceState.PENDING,
    InstanceState.RUNNING,
    InstanceState.STOPPED,
)
_I_TERMINATED, _I_ERROR = InstanceState.TERMINATED, InstanceState.ERROR
_P_LAUNCHING, _P_RUNNING, _P_STOPPED = Phase.LAUNCHING, Phase.RUNNING, Phase.STOPPED
_P_DELETING, _P_DELETED, _P_FAILED = Phase.DELETING, Phase.DELETED, Phase.FAILED
_D_RUNNING, _D_STOPPED, _D_DELETED = (
    DesiredState.RUNNING,
    DesiredState.STOPPED,
    DesiredState.DELETED,
)
_V_CREATE, _V_START, _V_STOP, _V_REBOOT, _V_DELETE = (
    Verb.CREATE, Verb.START, Verb.STOP, Verb.REBOOT, Verb.DELETE,
)  # fmt: skip


def instance_key(assembly_id: str, incarnation: int, ordinal: int = 0) -> str:
    """The idempotency key of one instance: unique per ordinal and incarnation.

    Ordinal 0 keeps the key of single-instance assemblies (`<id>-<incarnation>`), so an
    upgraded installation adopts what it runs; other ordinals are `<id>-r<ordinal>i<n>`.
    The part after the id never holds a hyphen: drivers that can only read a key back
    from a name (SoftLayer's hostnames) find the assembly id before the last hyphen.
    """
    if ordinal == 0:
        return f"{assembly_id}-{incarnation}"
    return f"{assembly_id}-r{ordinal}i{incarnation}"


@attrs.frozen
class Member:
    """The decision for one ordinal: its slot after the decision and what it has."""

    slot: Slot
    phase: Phase
    reason: str
    busy: bool
    #: The live instance of the slot's key (None when there is none yet).
    instance: Instance | None = None
    #: False for an ordinal at or above `replicas`, on its way out.
    wanted: bool = True
    #: The live instance of the slot's retiring incarnation (a rolling replacement).
    retiring: Instance | None = None
    #: Whether the instance on its way out (`instance` of an unwanted ordinal, else
    #: `retiring`) is drained: routes no longer send it requests.
    draining: bool = False


@attrs.frozen
class Decision:
    """What to do for one assembly now, and what its state is."""

    actions: tuple[Action, ...]
    phase: Phase
    #: One entry per ordinal that keeps a slot after this decision, in ordinal order.
    members: tuple[Member, ...] = ()
    #: Restart requests every wanted instance has carried out once these actions succeed.
    restarts_done: int = 0
    #: A human reason for the phase (`Creating`, `Starting`, `WaitingForCloud`...).
    reason: str = ""
    #: True while something is in transition: the loop should observe again soon.
    busy: bool = False
    #: True when the spec is deleted and the cloud shows nothing: remove the row.
    gone: bool = False


def _live(instances: Sequence[Instance]) -> list[Instance]:
    return [i for i in instances if i.state is not _I_TERMINATED]


def plan_actions(
    want: Desired, instances: Sequence[Instance], *, now: float, grace: float
) -> Decision:
    """Decide what to do for one assembly given every instance the cloud shows for it."""
    live = _live(instances)
    if want.desired is _D_DELETED:
        if not live:
            return Decision((), _P_DELETED, reason="Deleted", gone=True)
        deletes = tuple(Action(_V_DELETE, i.cloud_id, _owner(want, i)) for i in live)
        return Decision(deletes, _P_DELETING, reason="Deleting", busy=True)

    wanted = range(want.replicas)
    stored = {s.ordinal: s for s in want.slots}
    # A new ordinal runs the current declaration: it has nothing to replace.
    slots = [stored.get(o) or Slot(o, replaced_done=want.replace_count) for o in wanted]
    slots += [s for o, s in sorted(stored.items()) if o >= want.replicas]
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
    rolling = _next_to_roll(want, slots, by_ordinal)
    for stored_slot in slots:
        slot = stored_slot
        found = by_ordinal.get(slot.ordinal, [])
        old = old_by_ordinal.get(slot.ordinal, [])
        if slot.ordinal < want.replicas:
            if slot.ordinal == rolling:
                # Start replacing: the current incarnation retires, a new one is created.
                slot, found, old = _roll(want, slot), [], found
            member, acts = _one(want, slot, found, now=now, grace=grace)
            if slot.retiring is not None:
                member, more = _retire(want, member, _live(old), now=now)
                acts = acts + more
            members.append(member)
            actions.extend(acts)
            continue
        kept = _leaving(want, slot, found + old, now=now, grace=grace)
        if kept is not None:
            members.append(kept[0])
            leaving.extend((kept[0], a) for a in kept[1])
    # Scale down: instances that never became ready go first, then the highest ordinal.
    leaving.sort(key=lambda pair: (_was_ready(pair[0]), -pair[0].slot.ordinal))
    actions.extend(action for _, action in leaving)
    scaling_down = any(not m.wanted for m in members)
    return _aggregate(want, tuple(members), tuple(actions), scaling_down=scaling_down)


def _next_to_roll(
    want: Desired, slots: Sequence[Slot], by_ordinal: dict[int, list[Instance]]
) -> int | None:
    """The ordinal whose replacement starts now, or None.

    One ordinal at a time, and only while every wanted ordinal runs: a replacement
    adds an instance before it takes one away, so the assembly never serves with
    fewer instances than declared. A stopped assembly is replaced when it runs again.
    """
    if want.desired is not _D_RUNNING:
        return None
    wanted = [s for s in slots if s.ordinal < want.replicas]
    if any(s.retiring is not None for s in wanted):
        return None
    behind = [s.ordinal for s in wanted if s.replaced_done < want.replace_count]
    if not behind:
        return None
    for slot in wanted:
        running = [i for i in by_ordinal.get(slot.ordinal, []) if i.state is _I_RUNNING]
        if not running:
            return None
    return behind[0]


def _roll(want: Desired, slot: Slot) -> Slot:
    """The slot of an ordinal whose replacement starts: a new incarnation, the old retiring."""
    return attrs.evolve(
        slot,
        incarnation=slot.incarnation + 1,
        retiring=slot.incarnation,
        replaced_done=want.replace_count,
        create_key=None,
        create_started_at=None,
        drain_started_at=None,
    )


def _retire(
    want: Desired, member: Member, old: list[Instance], *, now: float
) -> tuple[Member, list[Action]]:
    """A replacement in progress: the old instance serves until the new one runs, then it
    is drained for `drain` seconds and deleted; the slot forgets it once it is gone."""
    slot = member.slot
    if not old:
        done = attrs.evolve(slot, retiring=None, drain_started_at=None)
        return attrs.evolve(member, slot=done), []
    current, dupes = old[0], [Action(_V_DELETE, i.cloud_id, slot.ordinal) for i in old[1:]]
    serving = member.phase is _P_RUNNING and not member.busy
    if want.desired is _D_RUNNING and not serving:
        # The new instance is on its way: the old one still serves, so the ordinal runs.
        phase = _P_RUNNING if current.state is _I_RUNNING else member.phase
        waiting = attrs.evolve(member, phase=phase, reason="Replacing", busy=True,
                               retiring=current)  # fmt: skip
        return waiting, dupes
    drained = current.state is not _I_RUNNING or want.desired is not _D_RUNNING
    started = slot.drain_started_at if slot.drain_started_at is not None else now
    if not drained and want.drain > 0 and now - started < want.drain:
        slot = attrs.evolve(slot, drain_started_at=started)
        draining = attrs.evolve(member, slot=slot, reason="Draining", busy=True,
                                retiring=current, draining=True)  # fmt: skip
        return draining, dupes
    deleting = attrs.evolve(member, slot=slot, reason="Replacing", busy=True, retiring=current,
                            draining=True)  # fmt: skip
    return deleting, [*dupes, Action(_V_DELETE, current.cloud_id, slot.ordinal)]


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
        live = _live(by_ordinal.get(slot.ordinal, []))
        if slot.ordinal >= want.replicas and not live and slot.create_key is None:
            continue
        members.append(
            Member(
                attrs.evolve(slot, restarts_done=want.restart_count),
                _P_FAILED,
                "WaitingForSpecChange",
                False,
                instance=live[0] if live else None,
                wanted=slot.ordinal < want.replicas,
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


def _leaving(
    want: Desired, slot: Slot, found: list[Instance], *, now: float, grace: float
) -> tuple[Member, list[Action]] | None:
    """An ordinal at or above `replicas`: drain its running instance for `drain` seconds
    (others go at once), then delete it; None once its slot can go."""
    live = _live(found)
    if live:
        started = slot.drain_started_at if slot.drain_started_at is not None else now
        running = any(i.state is _I_RUNNING for i in live)
        if running and want.drain > 0 and now - started < want.drain:
            slot = attrs.evolve(slot, drain_started_at=started)
            member = Member(slot, _P_DELETING, "Draining", True, instance=live[0],
                            wanted=False, draining=True)  # fmt: skip
            return member, [
                Action(_V_DELETE, i.cloud_id, slot.ordinal)
                for i in live
                if i.state is not _I_RUNNING
            ]
        member = Member(slot, _P_DELETING, "ScalingDown", True, instance=live[0], wanted=False,
                        draining=True)  # fmt: skip
        return member, [Action(_V_DELETE, i.cloud_id, slot.ordinal) for i in live]
    recent = slot.create_started_at is not None and now - slot.create_started_at < grace
    if recent:
        # A create just issued may not be listed yet: keep the slot until it shows or
        # the grace period ends, so its instance is deleted rather than left as a ghost.
        return Member(slot, _P_DELETING, "WaitingForCloud", True, wanted=False), []
    return None


def _one(
    want: Desired, slot: Slot, found: list[Instance], *, now: float, grace: float
) -> tuple[Member, list[Action]]:
    """The single-instance plan of one wanted ordinal (`found`: instances of its key)."""
    live = _live(found)
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
    # What is created runs the current declaration: it has nothing left to replace.
    done = attrs.evolve(done, replaced_done=max(done.replaced_done, want.replace_count))
    return (
        Member(done, _P_LAUNCHING, "Creating", True),
        [Action(_V_CREATE, key, slot.ordinal)],
    )


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
        if want.restart_count > slot.restarts_done:
            member = Member(done, _P_RUNNING, "Restarting", True, instance=current)
            return member, [Action(_V_REBOOT, current.cloud_id, slot.ordinal)]
        return Member(slot, _P_RUNNING, "Running", False, instance=current), []
    # pending or unknown: booting, or the cloud does not say yet
    return Member(slot, _P_LAUNCHING, "Booting", True, instance=current), []


def _should_stop(want: Desired, slot: Slot, current: Instance) -> tuple[Member, list[Action]]:
    # A restart asked while the spec says stopped is satisfied by the stop itself.
    done = _done(slot, want.restart_count)
    if current.state is _I_STOPPED:
        return Member(done, _P_STOPPED, "Stopped", False, instance=current), []
    phase = _P_RUNNING if current.state is _I_RUNNING else _P_LAUNCHING
    member = Member(done, phase, "Stopping", True, instance=current)
    return member, [Action(_V_STOP, current.cloud_id, slot.ordinal)]


def _aggregate(
    want: Desired,
    members: tuple[Member, ...],
    actions: tuple[Action, ...],
    *,
    scaling_down: bool,
) -> Decision:
    """The assembly's phase and reason from its members' (like a Deployment's status).

    Some wanted instance launching: LAUNCHING; else some running: RUNNING (all of them
    when the spec says running); else STOPPED. Scaled to zero: RUNNING or STOPPED as
    declared. The reason is that of the lowest ordinal in the assembly's phase that is
    in transition, else of the lowest ordinal.
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
    elif _P_RUNNING in phases:
        phase = _P_RUNNING
    else:
        phase = _P_STOPPED
    moving = [m for m in wanted if m.phase is phase and m.busy]
    reason = (moving or wanted)[0].reason
    if scaling_down and not moving:
        reason = "ScalingDown"
    return Decision(actions, phase, members, restarts, reason, busy)
