"""Resizing in place, as a table: an instance whose row says it runs another flavor than
declared is resized (`Verb.RESIZE`) where the region's driver can, and only there."""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_ASSEMBLY, Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase
from vertice_core.reconcile.plan import Action, Desired, Slot, Verb, plan_actions

NOW, GRACE = 1_000.0, 30.0
A = "asm-1"
RUNNING, STOPPED, PENDING = InstanceState.RUNNING, InstanceState.STOPPED, InstanceState.PENDING


def want(slot_flavor: str = "small", **changes) -> Desired:
    fields = {
        "assembly_id": A,
        "desired": DesiredState.RUNNING,
        "generation": 2,
        "observed_generation": 1,
        "restart_count": 0,
        "phase": Phase.RUNNING,
        "slots": (Slot(0, flavor=slot_flavor),),
        "flavor": "large",
        "resizable": True,
    }
    fields.update(changes)
    return Desired(**fields)


def inst(state: InstanceState) -> Instance:
    return Instance(key=f"{A}-1", cloud_id="i-1", state=state, tags={TAG_ASSEMBLY: A})


RESIZE = [Action(Verb.RESIZE, "i-1")]
CASES = [
    # (id, desired, instances, actions, phase, reason, the slot's flavor after)
    ("a running instance of another flavor is resized", want(), [inst(RUNNING)], RESIZE,
     Phase.LAUNCHING, "Resizing", "large"),
    ("not where the driver cannot resize", want(resizable=False), [inst(RUNNING)], [],
     Phase.RUNNING, "Running", "small"),
    ("not when the row never knew its flavor", want(slot_flavor=""), [inst(RUNNING)], [],
     Phase.RUNNING, "Running", ""),
    ("not when it runs the declared flavor", want(slot_flavor="large"), [inst(RUNNING)], [],
     Phase.RUNNING, "Running", "large"),
    ("a stopped one that should stay stopped is resized stopped",
     want(desired=DesiredState.STOPPED), [inst(STOPPED)], RESIZE, Phase.STOPPED, "Resizing",
     "large"),
    ("a running one that should stop is stopped first", want(desired=DesiredState.STOPPED),
     [inst(RUNNING)], [Action(Verb.STOP, "i-1")], Phase.STOPPING, "Stopping", "small"),
    ("a stopped one that should run is resized (then started)", want(), [inst(STOPPED)], RESIZE,
     Phase.LAUNCHING, "Resizing", "large"),
    ("a booting one is left to boot", want(), [inst(PENDING)], [], Phase.LAUNCHING, "Booting",
     "small"),
    ("a restart asked meanwhile waits for the resize", want(restart_count=1), [inst(RUNNING)],
     RESIZE, Phase.LAUNCHING, "Resizing", "large"),
    ("a created instance runs the declared flavor", want(slots=()), [],
     [Action(Verb.CREATE, f"{A}-1")], Phase.LAUNCHING, "Creating", "large"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "desired", "instances", "actions", "phase", "reason", "flavor"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_resize(case, desired, instances, actions, phase, reason, flavor):
    decision = plan_actions(desired, instances, now=NOW, grace=GRACE)
    assert list(decision.actions) == actions
    assert (decision.phase, decision.reason) == (phase, reason)
    (member,) = decision.members
    assert member.slot.flavor == flavor
    if reason == "Resizing" and desired.desired is DesiredState.RUNNING:
        assert not member.ready  # routes stop sending it requests while it is resized
    if case.startswith("a restart"):
        assert member.slot.restarts_done == 0  # carried out by a later pass
