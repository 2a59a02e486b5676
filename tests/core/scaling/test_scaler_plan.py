"""The scaler's pure decision, as a table: HPA v2's ratio, tolerance, windows, limits, cooldown.

Each row gives a behaviour, the current replicas, a reading (None: no value),
the recommendations already remembered, the time and the last change; and
expects the replicas decided and the reason of the condition that tells why.
"""

from __future__ import annotations

import itertools
import math

import pytest

from vertice_core.model.scaler import Behaviour, TargetType
from vertice_core.scaling.plan import HISTORY_MAX, Reading, Recommendation, decide

AVG = Behaviour(min=1, max=10, target=100.0)
TOTAL = Behaviour(min=0, max=10, target=50.0, target_type=TargetType.TOTAL)
NOW = 10_000.0


def hist(*pairs: tuple[float, int]) -> tuple[Recommendation, ...]:
    """Recommendations made `ago` seconds before NOW."""
    return tuple(Recommendation(NOW - ago, n) for ago, n in pairs)


def row(name, b, current, value, history, last, replicas, cond, reason):
    return pytest.param(b, current, value, history, last, replicas, cond, reason, id=name)


TABLE = [
    row("on target: no change", AVG, 3, 100.0, (), None, 3, "AbleToScale", "ReadyForNewScale"),
    row("within tolerance above", AVG, 3, 109.0, (), None, 3, "AbleToScale", "ReadyForNewScale"),
    row("within tolerance below", AVG, 3, 91.0, (), None, 3, "AbleToScale", "ReadyForNewScale"),
    row("average doubles: up at once (up window 0)", AVG, 2, 200.0, (), None, 4,
        "AbleToScale", "ScaledUp"),
    row("average: ceil of current x ratio", AVG, 3, 150.0, (), None, 5, "AbleToScale", "ScaledUp"),
    row("total: ceil of value / target", TOTAL, 1, 160.0, (), None, 4, "AbleToScale", "ScaledUp"),
    row("total from zero instances", TOTAL, 0, 10.0, (), None, 1, "AbleToScale", "ScaledUp"),
    row("total zero load with min 0: down to 0 after the window", TOTAL, 2, 0.0,
        hist((400, 2)), None, 0, "AbleToScale", "ScaledDown"),
    row("down held by a recent higher recommendation", AVG, 4, 50.0, hist((100, 4)), None, 4,
        "AbleToScale", "ScaleDownStabilized"),
    row("down to the highest of the window", AVG, 6, 10.0, hist((400, 6), (100, 3)), None, 3,
        "AbleToScale", "ScaledDown"),
    row("down after the window passed", AVG, 4, 50.0, hist((301, 4)), None, 2,
        "AbleToScale", "ScaledDown"),
    row("up held by an up window's lower recommendation",
        attrs_b := Behaviour(min=1, max=10, target=100.0, scale_up_window=60), 2, 300.0,
        hist((30, 2)), None, 2, "AbleToScale", "ScaleUpStabilized"),
    row("up to the lowest of the up window", attrs_b, 2, 300.0, hist((30, 4)), None, 4,
        "AbleToScale", "ScaledUp"),
    row("max step up", AVG, 1, 1000.0, (), None, 5, "ScalingLimited", "ScaleUpLimit"),
    row("max step down", Behaviour(min=0, max=20, target=100.0, scale_down_window=0), 10, 1.0,
        (), None, 6, "ScalingLimited", "ScaleDownLimit"),
    row("clamped to max", AVG, 8, 200.0, (), None, 10, "ScalingLimited", "TooManyReplicas"),
    row("clamped to min", Behaviour(min=2, max=10, target=100.0, scale_down_window=0), 3, 1.0,
        (), None, 2, "ScalingLimited", "TooFewReplicas"),
    row("a current count above max comes down to max", AVG, 12, 100.0, (), None, 10,
        "ScalingLimited", "TooManyReplicas"),
    row("cooldown holds a change", AVG, 2, 200.0, (), NOW - 10, 2, "AbleToScale", "Cooldown"),
    row("cooldown over", AVG, 2, 200.0, (), NOW - 31, 4, "AbleToScale", "ScaledUp"),
    row("no value: hold", AVG, 3, None, (), None, 3, "ScalingActive", "NoData"),
    row("no value below min: still hold", AVG, 0, None, (), None, 0, "ScalingActive", "NoData"),
    row("NaN: hold", AVG, 3, math.nan, (), None, 3, "ScalingActive", "InvalidValue"),
    row("average with no instance: the limits decide", AVG, 0, 500.0, (), None, 1,
        "ScalingLimited", "TooFewReplicas"),
]  # fmt: skip


@pytest.mark.parametrize(("b", "current", "value", "history", "last", "replicas", "cond",
                          "reason"), TABLE)  # fmt: skip
def test_decide(b, current, value, history, last, replicas, cond, reason):
    reading = Reading(value) if value is not None else Reading(None, "NoData", "no data")
    decision = decide(b, current, reading, history, NOW, last)
    assert decision.replicas == replicas
    found = {c.type: c for c in decision.conditions}
    assert set(found) == {"AbleToScale", "ScalingActive", "ScalingLimited"}
    assert found[cond].reason == reason, found
    assert found["ScalingActive"].status is (value is not None and math.isfinite(value))


def run(b, current, values, step=15.0, last=None):
    """Decisions every `step` seconds over `values`; the replicas after each."""
    history: tuple[Recommendation, ...] = ()
    seen = []
    for i, value in enumerate(values):
        now = NOW + i * step
        reading = Reading(value) if value is not None else Reading(None, "NoData", "no data")
        decision = decide(b, current, reading, history, now, last)
        if decision.changed(current):
            last = now
        current, history = decision.replicas, decision.history
        seen.append(current)
    return seen


def test_never_flaps_around_the_target():
    """A value wandering inside the tolerance moves nothing."""
    values = [95.0, 105.0, 92.0, 108.0] * 20
    assert set(run(AVG, 4, values)) == {4}


def test_never_flaps_on_spikes_and_dips_shorter_than_the_down_window():
    """Load that drops for less than the down window never scales down; it scales up once."""
    values = ([200.0] * 2 + [10.0] * 5) * 6
    seen = run(AVG, 2, values)
    assert seen[-1] == max(seen)
    assert all(later >= earlier for earlier, later in itertools.pairwise(seen))


def test_gaps_in_the_metric_hold_and_do_not_count_as_low():
    """Prometheus down for a while: the replicas stay, whatever the window says afterwards."""
    b = Behaviour(min=1, max=10, target=100.0, scale_down_window=60)
    seen = run(b, 4, [400.0] + [None] * 40)
    assert set(seen) == {8}


def test_scales_down_once_the_load_stays_low_for_the_window():
    b = Behaviour(min=1, max=10, target=100.0, scale_down_window=60, cooldown=0)
    seen = run(b, 4, [10.0] * 10)
    assert seen[:4] == [4, 4, 4, 4]  # 0 to 45 s: the count found (4) is still in the window
    assert seen[5] == 1  # by 75 s the window holds only low recommendations


def test_history_is_bounded_and_merges_equal_neighbours():
    b = Behaviour(min=1, max=1000, target=1.0, scale_down_window=86400, max_step=1000)
    history: tuple[Recommendation, ...] = ()
    for i in range(1000):
        history = decide(b, 500, Reading(float(i % 2 + 500)), history, NOW + i, None).history
    assert len(history) <= HISTORY_MAX
    steady = ()
    for i in range(50):
        steady = decide(b, 5, Reading(1.0), steady, NOW + i, None).history
    assert steady == (Recommendation(NOW + 49, 5),)
