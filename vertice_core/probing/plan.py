"""The prober's pure decisions: which instances to probe now, and what a result changes.

No I/O: the controller reads the probed assemblies and the probes table and
calls these. Tested as a table (`tests/core/probing/test_probe_plan.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from vertice_core.model.probe import Probe
from vertice_core.reach import address_of
from vertice_core.store.repositories import ProbeState


@attrs.frozen
class Target:
    """One instance to probe: where, with what probe."""

    assembly_id: str
    ordinal: int
    key: str
    #: `host:port` of the probe's port, or None when the instance has no address yet.
    address: str | None
    probe: Probe


def targets_of(
    assembly_id: str,
    probe: Probe,
    instances: Sequence[Mapping[str, Any]],
    plan_ports: Sequence[int],
) -> list[Target]:
    """The instances of an assembly to probe: running, and not on their way out. The old
    instance of an ordinal being replaced (`retiring`) is not probed: the probes row of
    the ordinal follows its new instance, whose readiness the replacement waits for (and
    which is replaced in turn when it keeps failing)."""
    return [
        Target(
            assembly_id,
            int(i.get("ordinal", 0)),
            str(i.get("key", "")),
            address_of(i, probe.port, plan_ports),
            probe,
        )
        for i in instances
        if i.get("state") == "running" and not i.get("draining") and not i.get("retiring")
    ]


def next_at(target: Target, state: ProbeState | None, checked: float | None) -> float:
    """When the instance is probed next: now when it never was (or another instance
    holds its ordinal), else `interval` after its last probe (`checked`, kept by the
    prober, or the row's)."""
    if state is None or state.key != target.key:
        return 0.0
    last = checked if checked is not None else state.checked_at
    return last + target.probe.interval


def after(target: Target, state: ProbeState | None, failure: str | None, now: float) -> ProbeState:
    """The state after a probe: `failure` is why it failed, None when it passed."""
    same = state is not None and state.key == target.key
    failures = 0 if failure is None else (state.failures + 1 if same and state else 1)
    return ProbeState(
        ordinal=target.ordinal,
        key=target.key,
        failures=failures,
        ready=failure is None,
        threshold=target.probe.failure_threshold,
        checked_at=now,
        message=failure or "",
    )


def changed(before: ProbeState | None, state: ProbeState) -> bool:
    """Whether a new state must be written (anything but the time of the probe moved)."""
    return before is None or attrs.evolve(before, checked_at=state.checked_at) != state


def wakes(before: ProbeState | None, state: ProbeState) -> bool:
    """Whether the reconciler must look at the assembly: the instance became ready or
    unready, or its failures in a row just reached the threshold (replace it)."""
    if before is None or before.key != state.key:
        return True
    if before.ready != state.ready:
        return True
    return before.failures < state.threshold <= state.failures
