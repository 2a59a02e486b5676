"""The planner with several replicas, as a table: which ordinals are created, kept, deleted."""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_ASSEMBLY, Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile.plan import (
    Action,
    Desired,
    Slot,
    Verb,
    instance_key,
    plan_actions,
)

NOW = 1_000.0
GRACE = 30.0
A = "asm-1"
RUNNING, STOPPED, PENDING = InstanceState.RUNNING, InstanceState.STOPPED, InstanceState.PENDING
TERMINATED, ERROR = InstanceState.TERMINATED, InstanceState.ERROR


def want(replicas: int, *slots: Slot, **changes) -> Desired:
    fields = {
        "assembly_id": A,
        "desired": DesiredState.RUNNING,
        "generation": 2,
        "observed_generation": 1,
        "restart_count": 0,
        "phase": Phase.RUNNING,
        "replicas": replicas,
        "slots": slots or tuple(Slot(o) for o in range(replicas)),
    }
    fields.update(changes)
    return Desired(**fields)


def inst(ordinal: int, state: InstanceState = RUNNING, incarnation: int = 1) -> Instance:
    return Instance(
        key=instance_key(A, incarnation, ordinal),
        cloud_id=f"i-{ordinal}.{incarnation}",
        state=state,
        tags={TAG_ASSEMBLY: A},
    )


def create(ordinal: int, incarnation: int = 1) -> Action:
    return Action(Verb.CREATE, instance_key(A, incarnation, ordinal), ordinal)


def delete(ordinal: int, incarnation: int = 1, owner: int | None = None) -> Action:
    return Action(Verb.DELETE, f"i-{ordinal}.{incarnation}", ordinal if owner is None else owner)


def slots(*ordinals: int) -> tuple[Slot, ...]:
    return tuple(Slot(o) for o in ordinals)


CASES = [
    # (id, desired, instances, actions in order, phase, reason, kept ordinals)
    (
        "a new assembly of three creates three",
        want(3, phase=Phase.PENDING, observed_generation=0),
        [],
        [create(0), create(1), create(2)],
        Phase.LAUNCHING,
        "Creating",
        [0, 1, 2],
    ),
    (
        "scale up from one to three creates the two missing ordinals only",
        want(3, *slots(0)),
        [inst(0)],
        [create(1), create(2)],
        Phase.LAUNCHING,
        "Creating",
        [0, 1, 2],
    ),
    (
        "all running as declared: nothing to do",
        want(3),
        [inst(0), inst(1), inst(2)],
        [],
        Phase.RUNNING,
        "Running",
        [0, 1, 2],
    ),
    (
        "scale down deletes the never-ready first, then the highest ordinal first",
        want(1, *slots(0, 1, 2, 3)),
        [inst(0), inst(1), inst(2, PENDING), inst(3)],
        [delete(2), delete(3), delete(1)],
        Phase.RUNNING,
        "ScalingDown",
        [0, 1, 2, 3],
    ),
    (
        "a scaled-down ordinal whose instance is gone loses its slot",
        want(1, *slots(0, 1)),
        [inst(0), inst(1, TERMINATED)],
        [],
        Phase.RUNNING,
        "Running",
        [0],
    ),
    (
        "a scaled-down ordinal created moments ago keeps its slot for the grace period",
        want(1, Slot(0), Slot(1, create_key=instance_key(A, 1, 1), create_started_at=NOW - 5)),
        [inst(0)],
        [],
        Phase.RUNNING,
        "ScalingDown",
        [0, 1],
    ),
    (
        "scaled to zero is RUNNING with no instance",
        want(0, *slots(0)),
        [inst(0, TERMINATED)],
        [],
        Phase.RUNNING,
        "ScaledToZero",
        [],
    ),
    (
        "one replica stopped behind our back is started, the others left alone",
        want(3),
        [inst(0), inst(1, STOPPED), inst(2)],
        [Action(Verb.START, "i-1.1", 1)],
        Phase.LAUNCHING,
        "Starting",
        [0, 1, 2],
    ),
    (
        "a broken replica is replaced under a new incarnation of its ordinal only",
        want(2),
        [inst(0), inst(1, ERROR)],
        [delete(1)],
        Phase.LAUNCHING,
        "ReplacingBrokenInstance",
        [0, 1],
    ),
    (
        "an instance of an older incarnation of an ordinal is an extra",
        want(2, Slot(0), Slot(1, incarnation=2)),
        [inst(0), inst(1, incarnation=2), inst(1, incarnation=1)],
        [delete(1, 1, owner=-1)],
        Phase.RUNNING,
        "Running",
        [0, 1],
    ),
    (
        "stop every replica when the spec says stopped: STOPPING until the last stopped",
        want(2, desired=DesiredState.STOPPED),
        [inst(0), inst(1, STOPPED)],
        [Action(Verb.STOP, "i-0.1", 0)],
        Phase.STOPPING,
        "Stopping",
        [0, 1],
    ),
    (
        "an ordinal being created while the others stop: LAUNCHING speaks first",
        want(2, *slots(0), desired=DesiredState.STOPPED),
        [inst(0)],
        [Action(Verb.STOP, "i-0.1", 0), create(1)],
        Phase.LAUNCHING,
        "Creating",
        [0, 1],
    ),
    (
        "restart reboots every running replica once",
        want(2, restart_count=1),
        [inst(0), inst(1)],
        [Action(Verb.REBOOT, "i-0.1", 0), Action(Verb.REBOOT, "i-1.1", 1)],
        Phase.RUNNING,
        "Restarting",
        [0, 1],
    ),
    (
        "delete while scaling removes every instance, wanted or not",
        want(1, *slots(0, 1, 2), desired=DesiredState.DELETED),
        [inst(0), inst(1), inst(2, PENDING)],
        [delete(0), delete(1), delete(2)],
        Phase.DELETING,
        "Deleting",
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "desired", "instances", "actions", "phase", "reason", "kept"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_replica_plan(case, desired, instances, actions, phase, reason, kept):
    decision = plan_actions(desired, instances, now=NOW, grace=GRACE)
    assert list(decision.actions) == actions
    assert decision.phase is phase
    assert decision.reason == reason
    assert [m.slot.ordinal for m in decision.members] == kept


def test_the_replaced_ordinal_moves_to_its_next_incarnation():
    decision = plan_actions(want(2), [inst(0), inst(1, ERROR)], now=NOW, grace=GRACE)
    assert [m.slot.incarnation for m in decision.members] == [1, 2]
    follow = plan_actions(want(2, Slot(0), Slot(1, incarnation=2)), [inst(0)], now=NOW, grace=GRACE)
    assert list(follow.actions) == [create(1, 2)]


def test_restarts_count_as_done_when_every_wanted_replica_carried_them_out():
    decision = plan_actions(
        want(2, Slot(0, restarts_done=1), Slot(1), restart_count=1),
        [inst(0), inst(1)],
        now=NOW,
        grace=GRACE,
    )
    assert list(decision.actions) == [Action(Verb.REBOOT, "i-1.1", 1)]
    assert decision.restarts_done == 1


def test_keys_keep_the_single_instance_form_at_ordinal_zero():
    assert instance_key("asm-0a", 3) == "asm-0a-3"
    assert instance_key("asm-0a", 3, 0) == "asm-0a-3"
    assert instance_key("asm-0a", 1, 12) == "asm-0a-r12i1"
    # Drivers that read a key back from a name find the assembly before the last hyphen.
    assert instance_key("asm-0a", 1, 12).rsplit("-", 1)[0] == "asm-0a"
