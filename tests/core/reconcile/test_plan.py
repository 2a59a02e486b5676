"""The planning function as a table: (spec, observed instances, markers) -> actions and phase."""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_ASSEMBLY, Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile.plan import Action, Desired, Slot, Verb, plan_actions

NOW = 1_000.0
GRACE = 30.0
A = "asm-1"


def want(**changes) -> Desired:
    """One assembly with one replica; the slot fields set its ordinal 0's row."""
    slot = {
        k: changes.pop(k)
        for k in ("incarnation", "restarts_done", "create_key", "create_started_at")
        if k in changes
    }
    fields = {
        "assembly_id": A,
        "desired": DesiredState.RUNNING,
        "generation": 1,
        "observed_generation": 0,
        "restart_count": 0,
        "phase": Phase.PENDING,
        "slots": (Slot(0, **slot),),
    }
    fields.update(changes)
    return Desired(**fields)


def fact(decision, field):
    """A field of the decision, or of its only member's slot (incarnation)."""
    if field == "incarnation":
        return decision.members[0].slot.incarnation
    return getattr(decision, field)


def inst(state: InstanceState, key: str = f"{A}-1", cloud_id: str = "i-1") -> Instance:
    return Instance(key=key, cloud_id=cloud_id, state=state, tags={TAG_ASSEMBLY: A})


RUNNING, STOPPED, PENDING = InstanceState.RUNNING, InstanceState.STOPPED, InstanceState.PENDING
TERMINATED, ERROR = InstanceState.TERMINATED, InstanceState.ERROR

CASES = [
    # (id, desired, instances, expected actions, expected phase, extra checks)
    ("create missing", want(), [], [Action(Verb.CREATE, f"{A}-1")], Phase.LAUNCHING, {}),
    (
        "adopt found by key after a crash",
        want(create_key=f"{A}-1", create_started_at=NOW - 500),
        [inst(RUNNING)],
        [],
        Phase.RUNNING,
        {},
    ),
    (
        "wait during the grace period after a create",
        want(create_key=f"{A}-1", create_started_at=NOW - 5),
        [],
        [],
        Phase.LAUNCHING,
        {"reason": "WaitingForCloud"},
    ),
    (
        "create again (same key) once the grace period is over",
        want(create_key=f"{A}-1", create_started_at=NOW - 60),
        [],
        [Action(Verb.CREATE, f"{A}-1")],
        Phase.LAUNCHING,
        {},
    ),
    ("booting", want(), [inst(PENDING)], [], Phase.LAUNCHING, {"busy": True}),
    (
        "start a stopped instance whose spec says running (host reboot)",
        want(observed_generation=1, phase=Phase.RUNNING),
        [inst(STOPPED)],
        [Action(Verb.START, "i-1")],
        Phase.LAUNCHING,
        {},
    ),
    (
        "stop a running instance whose spec says stopped: STOPPING, not RUNNING",
        want(desired=DesiredState.STOPPED),
        [inst(RUNNING)],
        [Action(Verb.STOP, "i-1")],
        Phase.STOPPING,
        {"reason": "Stopping", "busy": True},
    ),
    (
        "stop a booting instance whose spec says stopped: STOPPING, not LAUNCHING",
        want(desired=DesiredState.STOPPED),
        [inst(PENDING)],
        [Action(Verb.STOP, "i-1")],
        Phase.STOPPING,
        {"reason": "Stopping"},
    ),
    (
        "stopped as declared",
        want(desired=DesiredState.STOPPED),
        [inst(STOPPED)],
        [],
        Phase.STOPPED,
        {},
    ),
    (
        "restart once per restart request",
        want(restart_count=2, restarts_done=1),
        [inst(RUNNING)],
        [Action(Verb.REBOOT, "i-1")],
        Phase.RUNNING,
        {"restarts_done": 2},
    ),
    (
        "a restart already done is not repeated",
        want(restart_count=2, restarts_done=2),
        [inst(RUNNING)],
        [],
        Phase.RUNNING,
        {},
    ),
    (
        "delete when the spec says deleted",
        want(desired=DesiredState.DELETED),
        [inst(RUNNING), inst(STOPPED, key=f"{A}-0", cloud_id="i-0")],
        [Action(Verb.DELETE, "i-1"), Action(Verb.DELETE, "i-0", -1)],
        Phase.DELETING,
        {},
    ),
    (
        "deleted and gone: remove the row",
        want(desired=DesiredState.DELETED),
        [inst(TERMINATED)],
        [],
        Phase.DELETED,
        {"gone": True},
    ),
    (
        "nothing when all agrees",
        want(observed_generation=1),
        [inst(RUNNING)],
        [],
        Phase.RUNNING,
        {"busy": False},
    ),
    (
        "an extra instance of an older incarnation is deleted",
        want(incarnation=2),
        [inst(RUNNING, key=f"{A}-2", cloud_id="i-2"), inst(RUNNING, key=f"{A}-1", cloud_id="i-1")],
        [Action(Verb.DELETE, "i-1", -1)],
        Phase.RUNNING,
        {},
    ),
    (
        "a terminated instance of the key is replaced under a new key",
        want(),
        [inst(TERMINATED)],
        [Action(Verb.CREATE, f"{A}-2")],
        Phase.LAUNCHING,
        {"incarnation": 2},
    ),
    (
        "a broken instance is deleted and the incarnation moves on",
        want(),
        [inst(ERROR)],
        [Action(Verb.DELETE, "i-1")],
        Phase.LAUNCHING,
        {"incarnation": 2},
    ),
    (
        "a terminal failure waits for a spec change",
        want(phase=Phase.FAILED, observed_generation=1),
        [],
        [],
        Phase.FAILED,
        {},
    ),
    (
        "a spec change retries after a failure",
        want(phase=Phase.FAILED, generation=2, observed_generation=1),
        [],
        [Action(Verb.CREATE, f"{A}-1")],
        Phase.LAUNCHING,
        {},
    ),
]


@pytest.mark.parametrize(
    ("case", "desired", "instances", "actions", "phase", "extra"), CASES, ids=[c[0] for c in CASES]
)
def test_plan(case, desired, instances, actions, phase, extra):
    decision = plan_actions(desired, instances, now=NOW, grace=GRACE)
    assert list(decision.actions) == actions
    assert decision.phase is phase
    for field, value in extra.items():
        assert fact(decision, field) == value, field
