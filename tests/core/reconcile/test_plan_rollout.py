"""The planner draining instances on their way out, and replacing instances one at a time.

Each test walks the plan step by step, as passes would see it: the decision of
one step gives the slots of the next, and the cloud is moved by hand between
them (the instance a create asked for appears, a delete's instance goes).
"""

from __future__ import annotations

import attrs

from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import Phase
from vertice_core.reconcile.plan import (
    UNHEALTHY,
    Action,
    Health,
    Slot,
    Verb,
    instance_key,
    plan_actions,
)
from vertice_core.reconcile.status import instances_of

from .test_plan_replicas import GRACE, NOW, PENDING, RUNNING, create, delete, inst, want

DRAIN = 10.0


def slots_of(decision):
    return tuple(m.slot for m in decision.members)


def draining(decision):
    """`(ordinal, cloud id)` of the instances the status says are draining."""
    return [(v["ordinal"], v["cloud_id"]) for v in instances_of(decision.members)
            if v.get("draining")]  # fmt: skip


def test_a_running_instance_scaled_down_is_drained_then_deleted():
    desired = want(1, Slot(0), Slot(1), drain=DRAIN)
    cloud = [inst(0), inst(1)]
    first = plan_actions(desired, cloud, now=NOW, grace=GRACE)
    assert first.actions == ()
    assert first.members[1].slot.drain_started_at == NOW
    assert draining(first) == [(1, "i-1.1")]
    assert first.busy and first.phase is Phase.RUNNING

    later = attrs.evolve(desired, slots=slots_of(first))
    during = plan_actions(later, cloud, now=NOW + DRAIN - 1, grace=GRACE)
    assert during.actions == ()
    assert during.members[1].slot.drain_started_at == NOW  # kept, not restarted
    assert draining(during) == [(1, "i-1.1")]

    after = plan_actions(later, cloud, now=NOW + DRAIN, grace=GRACE)
    assert list(after.actions) == [delete(1)]


def test_a_drained_instance_the_routes_still_serve_is_kept_until_they_drop_it_or_the_limit():
    """The drain ends when `drain` seconds passed **and** the route controller recorded that
    the proxy no longer sends the instance requests (`served`); a proxy that never says so
    keeps it at most `drain_limit` seconds."""
    leaving_key = inst(1).key
    served = want(1, Slot(0), Slot(1), drain=DRAIN, served=frozenset({leaving_key}),
                  drain_limit=60.0)  # fmt: skip
    cloud = [inst(0), inst(1)]
    first = plan_actions(served, cloud, now=NOW, grace=GRACE)
    later = attrs.evolve(served, slots=slots_of(first))
    kept = plan_actions(later, cloud, now=NOW + DRAIN + 5, grace=GRACE)
    assert kept.actions == () and draining(kept) == [(1, "i-1.1")] and kept.busy
    dropped = attrs.evolve(later, served=frozenset({inst(0).key}))
    assert list(plan_actions(dropped, cloud, now=NOW + DRAIN + 5, grace=GRACE).actions) == [
        delete(1)
    ]
    assert list(plan_actions(later, cloud, now=NOW + 60, grace=GRACE).actions) == [delete(1)]


def test_a_replaced_instance_the_routes_still_serve_is_deleted_once_they_drop_it():
    desired = want(1, Slot(0, incarnation=2, retiring=1, replaced_done=1, drain_started_at=NOW),
                   replace_count=1, drain=DRAIN, served=frozenset({inst(0).key}))  # fmt: skip
    cloud = [inst(0), inst(0, RUNNING, 2)]
    kept = plan_actions(desired, cloud, now=NOW + DRAIN, grace=GRACE)
    assert kept.actions == () and draining(kept) == [(0, "i-0.1")]
    dropped = attrs.evolve(desired, served=frozenset({inst(0, RUNNING, 2).key}))
    assert list(plan_actions(dropped, cloud, now=NOW + DRAIN, grace=GRACE).actions) == [
        delete(0, 1)
    ]


def test_without_a_drain_or_for_an_instance_that_never_ran_scale_down_deletes_at_once():
    at_once = plan_actions(want(1, Slot(0), Slot(1)), [inst(0), inst(1)], now=NOW, grace=GRACE)
    assert list(at_once.actions) == [delete(1)]
    booting = plan_actions(
        want(1, Slot(0), Slot(1), drain=DRAIN), [inst(0), inst(1, PENDING)], now=NOW, grace=GRACE
    )
    assert list(booting.actions) == [delete(1)]


def test_a_rolling_replacement_adds_before_it_drains_and_goes_one_ordinal_at_a_time():
    desired = want(2, Slot(0), Slot(1), replace_count=1, drain=DRAIN)
    cloud = [inst(0), inst(1)]

    # 1. Ordinal 0 starts: a new incarnation is created beside the old one, which serves.
    start = plan_actions(desired, cloud, now=NOW, grace=GRACE)
    assert list(start.actions) == [create(0, 2)]
    assert start.members[0].slot == Slot(0, incarnation=2, retiring=1, replaced_done=1)
    assert (start.phase, start.reason) == (Phase.RUNNING, "Replacing")
    assert [v["cloud_id"] for v in instances_of(start.members)] == ["i-0.1", "i-1.1"]
    assert draining(start) == []

    # 2. The new instance boots: nothing to do; ordinal 1 waits its turn.
    marked = attrs.evolve(start.members[0].slot, create_key=instance_key("asm-1", 2, 0),
                          create_started_at=NOW)  # fmt: skip
    desired = attrs.evolve(desired, slots=(marked, Slot(1)))
    cloud = [inst(0, PENDING, 2), inst(0), inst(1)]
    booting = plan_actions(desired, cloud, now=NOW + 1, grace=GRACE)
    assert booting.actions == ()
    assert (booting.phase, booting.reason) == (Phase.RUNNING, "Replacing")
    assert draining(booting) == []

    # 3. It runs: the old one is drained (out of the routes) and kept for the drain.
    cloud = [inst(0, RUNNING, 2), inst(0), inst(1)]
    drain = plan_actions(desired, cloud, now=NOW + 2, grace=GRACE)
    assert drain.actions == ()
    assert drain.members[0].slot.drain_started_at == NOW + 2
    assert draining(drain) == [(0, "i-0.1")]
    assert drain.reason == "Draining"

    # 4. The drain is over: the old one is deleted.
    desired = attrs.evolve(desired, slots=slots_of(drain))
    done = plan_actions(desired, cloud, now=NOW + 2 + DRAIN, grace=GRACE)
    assert list(done.actions) == [delete(0, 1)]

    # 5. It is gone: the slot forgets it, and the next pass rolls ordinal 1.
    cloud = [inst(0, RUNNING, 2), inst(1)]
    gone = plan_actions(desired, cloud, now=NOW + 3 + DRAIN, grace=GRACE)
    assert gone.actions == ()
    assert gone.members[0].slot.retiring is None
    assert gone.members[0].slot.drain_started_at is None
    desired = attrs.evolve(desired, slots=slots_of(gone))
    second = plan_actions(desired, cloud, now=NOW + 4 + DRAIN, grace=GRACE)
    assert list(second.actions) == [create(1, 2)]


def test_a_replacement_waits_while_an_ordinal_does_not_run():
    desired = want(2, Slot(0), Slot(1), replace_count=1)
    decision = plan_actions(desired, [inst(0), inst(1, PENDING)], now=NOW, grace=GRACE)
    assert decision.actions == ()
    assert [m.slot.incarnation for m in decision.members] == [1, 1]


def test_new_ordinals_run_the_current_declaration_and_are_not_replaced():
    desired = want(2, Slot(0, replaced_done=3), replace_count=3)
    decision = plan_actions(desired, [inst(0)], now=NOW, grace=GRACE)
    assert list(decision.actions) == [create(1)]
    assert decision.members[1].slot.replaced_done == 3


def test_a_stopped_assembly_is_replaced_when_it_runs_again():
    stopped = want(1, Slot(0), replace_count=1, desired=DesiredState.STOPPED)
    decision = plan_actions(stopped, [inst(0, RUNNING)], now=NOW, grace=GRACE)
    assert list(decision.actions) == [Action(Verb.STOP, "i-0.1", 0)]
    assert decision.members[0].slot.incarnation == 1


def test_scaling_down_an_ordinal_being_replaced_removes_both_of_its_instances():
    rolling = Slot(1, incarnation=2, retiring=1, replaced_done=1)
    desired = want(1, Slot(0, replaced_done=1), rolling, replace_count=1)
    decision = plan_actions(desired, [inst(0), inst(1, RUNNING, 2), inst(1)], now=NOW, grace=GRACE)
    assert set(decision.actions) == {delete(1, 2), delete(1, 1)}


# -- probes: readiness and replacement --


def healthy(ordinal: int, incarnation: int = 1, failures: int = 0, ready: bool = True) -> Health:
    key = instance_key("asm-1", incarnation, ordinal)
    return Health(key, failures, ready, threshold=3, message="GET / answered 500")


def test_a_probed_instance_is_ready_only_once_its_last_probe_passed():
    probed = want(2, Slot(0), Slot(1), probed=True, health={0: healthy(0)})
    decision = plan_actions(probed, [inst(0), inst(1)], now=NOW, grace=GRACE)
    assert decision.actions == ()
    assert [m.ready for m in decision.members] == [True, False]  # ordinal 1: never probed
    views = instances_of(decision.members)
    assert ["ready" in v for v in views] == [False, True] and views[1]["ready"] is False
    # A finding about an older incarnation says nothing about the current instance.
    older = attrs.evolve(probed, health={0: healthy(0), 1: healthy(1, incarnation=0)})
    assert not plan_actions(older, [inst(0), inst(1)], now=NOW, grace=GRACE).members[1].ready


def test_an_instance_failing_its_probe_threshold_times_is_replaced():
    failing = want(1, Slot(0), probed=True, health={0: healthy(0, failures=2, ready=False)})
    still = plan_actions(failing, [inst(0)], now=NOW, grace=GRACE)
    assert still.actions == () and not still.members[0].ready
    assert still.phase is Phase.RUNNING

    failed = attrs.evolve(failing, health={0: healthy(0, failures=3, ready=False)})
    decision = plan_actions(failed, [inst(0)], now=NOW, grace=GRACE)
    assert list(decision.actions) == [delete(0)]
    assert decision.members[0].slot.incarnation == 2
    assert decision.members[0].reason == UNHEALTHY
    assert "3 times in a row (GET / answered 500)" in decision.members[0].note


def test_a_replacement_drains_the_old_instance_only_once_the_new_one_is_ready():
    rolling = Slot(0, incarnation=2, retiring=1, replaced_done=1)
    desired = want(1, rolling, replace_count=1, drain=DRAIN, probed=True, health={})
    cloud = [inst(0, RUNNING, 2), inst(0)]
    waiting = plan_actions(desired, cloud, now=NOW, grace=GRACE)
    assert waiting.actions == () and draining(waiting) == []
    assert (waiting.reason, waiting.members[0].slot.drain_started_at) == ("Replacing", None)

    ready = attrs.evolve(desired, health={0: healthy(0, incarnation=2)})
    drain = plan_actions(ready, cloud, now=NOW, grace=GRACE)
    assert draining(drain) == [(0, "i-0.1")]
