"""The prober's pure decisions, as tables: what is probed, when, and what a result changes."""

from __future__ import annotations

import pytest

from vertice_core.model.probe import Probe
from vertice_core.probing.plan import after, changed, next_at, targets_of, wakes
from vertice_core.store.repositories import ProbeState

PROBE = Probe(port=8080, path="/healthz", interval=10.0, failure_threshold=3)


def view(ordinal, state="running", **more):
    return {"ordinal": ordinal, "key": f"k{ordinal}", "state": state, "access": [],
            "private_ipv4": "10.0.0.9", "public_ipv4": "", **more}  # fmt: skip


def test_only_running_instances_not_on_their_way_out_are_probed_at_their_address():
    instances = [view(0), view(1, "pending"), view(2, draining=True), view(3, access=["h:1"])]
    found = targets_of("asm-1", PROBE, instances, plan_ports=[8080])
    assert [(t.ordinal, t.address) for t in found] == [(0, "10.0.0.9:8080"), (3, "h:1")]


def test_the_old_instance_of_an_ordinal_being_replaced_is_not_probed():
    # Both ran at ordinal 0 and were probed in turn into the ordinal's one probes row, so
    # a new instance that kept failing was never counted failing (nor ever replaced).
    new, old = view(0, key="k0-new"), view(0, key="k0-old", retiring=True)
    assert [t.key for t in targets_of("asm-1", PROBE, [new, old], plan_ports=[8080])] == ["k0-new"]


def state(failures=0, ready=True, key="k0", at=100.0):
    return ProbeState(0, key, failures, ready, 3, at, "" if ready else "down")


(TARGET,) = targets_of("asm-1", PROBE, [view(0)], [])


@pytest.mark.parametrize(
    ("before", "checked", "expected"),
    [
        (None, None, 0.0),  # never probed: now
        (state(key="other"), None, 0.0),  # another instance holds the ordinal: now
        (state(at=100.0), None, 110.0),  # interval after the row's probe
        (state(at=100.0), 105.0, 115.0),  # ...or after this process's last probe
    ],
)
def test_when_an_instance_is_probed_next(before, checked, expected):
    assert next_at(TARGET, before, checked) == expected


@pytest.mark.parametrize(
    ("before", "failure", "failures", "ready", "wake"),
    [
        (None, None, 0, True, True),  # first probe passes: ready, the reconciler looks
        (None, "refused", 1, False, True),
        (state(), None, 0, True, False),  # steady: nothing to say
        (state(), "refused", 1, False, True),  # unready at the first failure
        (state(1, False), "refused", 2, False, False),  # still failing, below the threshold
        (state(2, False), "refused", 3, False, True),  # reaches the threshold: replace it
        (state(3, False), "refused", 4, False, False),  # already said
        (state(2, False), None, 0, True, True),  # recovers
        (state(2, False, key="old"), "refused", 1, False, True),  # a new instance starts at 1
    ],
)
def test_what_a_probe_changes(before, failure, failures, ready, wake):
    found = after(TARGET, before, failure, now=200.0)
    assert (found.failures, found.ready, found.checked_at) == (failures, ready, 200.0)
    assert found.message == (failure or "")
    assert wakes(before, found) is wake


def test_only_a_changed_finding_is_written():
    assert not changed(state(at=100.0), after(TARGET, state(at=100.0), None, now=200.0))
    assert changed(state(), after(TARGET, state(), "refused", now=200.0))
    assert changed(None, after(TARGET, None, None, now=200.0))
