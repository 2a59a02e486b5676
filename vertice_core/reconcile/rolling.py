"""Instances on their way out and rolling replacements: the planner's drain, roll and probe
rules (see `reconcile.plan`). Pure.

* An ordinal scaled away is *drained* for `drain` seconds before its running
  instance is deleted (`leaving`), and until no route sends it requests any more
  (at most `drain_limit` seconds: `drained_out`).
* Raising `replace_count` replaces one ordinal at a time, only while every wanted
  ordinal runs and is ready (`next_to_roll`): a new incarnation is created beside
  the retiring one (`roll`), which is drained once the new one is ready, then
  deleted (`retire`).
* With a probe, an instance is ready once its last probe passed (`passes`), and
  is replaced after `threshold` failures in a row (`unhealthy`).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from vertice_core.driver import Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile.decision import Action, Desired, Health, Member, Slot, Verb, live_of

RUNNING = InstanceState.RUNNING


def next_to_roll(
    want: Desired, slots: Sequence[Slot], by_ordinal: dict[int, list[Instance]]
) -> int | None:
    """The ordinal whose replacement starts now, or None.

    One ordinal at a time, and only while every wanted ordinal runs: a replacement
    adds an instance before it takes one away, so the assembly never serves with
    fewer instances than declared. A stopped assembly is replaced when it runs again.
    """
    if want.desired is not DesiredState.RUNNING:
        return None
    wanted = [s for s in slots if want.wants(s.ordinal)]
    if any(s.retiring is not None for s in wanted):
        return None
    behind = [s.ordinal for s in wanted if s.replaced_done < want.replace_count]
    if not behind:
        return None
    for slot in wanted:
        running = [i for i in by_ordinal.get(slot.ordinal, []) if i.state is RUNNING]
        if not running or not passes(want, slot.ordinal, running[0]):
            return None
    return behind[0]


def passes(want: Desired, ordinal: int, instance: Instance) -> bool:
    """Whether a running instance is ready: no probe, or its last probe passed."""
    if not want.probed:
        return True
    health = want.health.get(ordinal)
    return health is not None and health.key == instance.key and health.ready


def unhealthy(want: Desired, ordinal: int, instance: Instance) -> Health | None:
    """The prober's finding when the instance failed its probe `threshold` times in a row."""
    health = want.health.get(ordinal) if want.probed else None
    if health is not None and health.key == instance.key and health.failures >= health.threshold:
        return health
    return None


def roll(want: Desired, slot: Slot) -> Slot:
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


def retire(
    want: Desired, member: Member, old: list[Instance], *, now: float
) -> tuple[Member, list[Action]]:
    """A replacement in progress: the old instance serves until the new one runs, then it
    is drained for `drain` seconds and deleted; the slot forgets it once it is gone."""
    slot = member.slot
    if not old:
        done = attrs.evolve(slot, retiring=None, drain_started_at=None)
        return attrs.evolve(member, slot=done), []
    current, dupes = old[0], [Action(Verb.DELETE, i.cloud_id, slot.ordinal) for i in old[1:]]
    serving = member.phase is Phase.RUNNING and not member.busy and member.ready
    if want.desired is DesiredState.RUNNING and not serving:
        # The new instance is on its way: the old one still serves, so the ordinal runs.
        phase = Phase.RUNNING if current.state is RUNNING else member.phase
        waiting = attrs.evolve(member, phase=phase, reason="Replacing", busy=True,
                               retiring=current)  # fmt: skip
        return waiting, dupes
    drained = current.state is not RUNNING or want.desired is not DesiredState.RUNNING
    started = slot.drain_started_at if slot.drain_started_at is not None else now
    if not drained and not drained_out(want, current, started, now):
        slot = attrs.evolve(slot, drain_started_at=started)
        draining = attrs.evolve(member, slot=slot, reason="Draining", busy=True,
                                retiring=current, draining=True)  # fmt: skip
        return draining, dupes
    deleting = attrs.evolve(member, slot=slot, reason="Replacing", busy=True, retiring=current,
                            draining=True)  # fmt: skip
    return deleting, [*dupes, Action(Verb.DELETE, current.cloud_id, slot.ordinal)]


def drained_out(want: Desired, instance: Instance, started: float, now: float) -> bool:
    """Whether a running instance drained since `started` may be deleted: no drain, or
    `drain` seconds passed and no route sends it requests any more (`served`: what the
    route controller last recorded the proxy took: a proxy slow to drop it must not send
    requests to an instance already deleted), or `drain_limit` seconds passed."""
    if want.drain <= 0:
        return True
    elapsed = now - started
    if elapsed < want.drain:
        return False
    return instance.key not in want.served or elapsed >= want.drain_limit


def leaving(
    want: Desired, slot: Slot, found: list[Instance], *, now: float, grace: float
) -> tuple[Member, list[Action]] | None:
    """An ordinal at or above `replicas`: drain its running instance for `drain` seconds
    (others go at once), then delete it; None once its slot can go."""
    live = live_of(found)
    if live:
        started = slot.drain_started_at if slot.drain_started_at is not None else now
        running = [i for i in live if i.state is RUNNING]
        if not all(drained_out(want, i, started, now) for i in running):
            slot = attrs.evolve(slot, drain_started_at=started)
            member = Member(slot, Phase.DELETING, "Draining", True, instance=live[0],
                            wanted=False, draining=True)  # fmt: skip
            return member, [
                Action(Verb.DELETE, i.cloud_id, slot.ordinal)
                for i in live
                if i.state is not RUNNING
            ]
        member = Member(slot, Phase.DELETING, "ScalingDown", True, instance=live[0], wanted=False,
                        draining=True)  # fmt: skip
        return member, [Action(Verb.DELETE, i.cloud_id, slot.ordinal) for i in live]
    recent = slot.create_started_at is not None and now - slot.create_started_at < grace
    if recent:
        # A create just issued may not be listed yet: keep the slot until it shows or
        # the grace period ends, so its instance is deleted rather than left as a ghost.
        return Member(slot, Phase.DELETING, "WaitingForCloud", True, wanted=False), []
    return None
