"""The pure decision of a scaler: from a metric's value to the assembly's replicas.

`decide` follows Kubernetes' HPA v2 and reads no clock (`now` is an argument),
so it is tested as a table (`tests/core/scaling/test_scaler_plan.py`):

1. No value (Prometheus down, an empty result, NaN): hold the replicas as they
   are and say why (`ScalingActive` False). Nothing is recorded, so a gap in the
   metric never moves the assembly.
2. The raw recommendation: `average` scales the current count by value/target,
   `total` divides the value by the target; within `tolerance` of the target it
   is the current count.
3. Stabilisation: the recommendation is added to the history; scaling up takes
   the *lowest* recommendation of the last `scale_up_window` seconds, scaling
   down the *highest* of the last `scale_down_window` seconds. A spike or a dip
   shorter than the window moves nothing: the scaler does not flap.
4. Limits: at most `max_step` instances per change, then within `[min, max]`.
5. Cooldown: no change within `cooldown` seconds of the last one.

A new scaler's history starts with the count it found, recommended just
before its first reading: it waits a whole `scale_down_window` before it scales
down, as one that has been running would. The history keeps only what the
windows can still use, and consecutive equal recommendations as one (the latest
time): a window's minimum or maximum is the same, and the history stays small
(at most `HISTORY_MAX` entries).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from vertice_core.model.scaler import Behaviour, TargetType

#: The most recommendations a scaler keeps (distinct consecutive values in its windows).
HISTORY_MAX = 128
#: How long before its first reading a new scaler takes the count it found as recommended
#: (so a new scaler, like one that has been running, waits a whole window to scale down).
SEED_AGE = 0.001


@attrs.frozen
class Recommendation:
    """What the metric asked for at one moment (epoch seconds)."""

    at: float
    replicas: int


@attrs.frozen
class Reading:
    """A metric's value, or why there is none (`reason`, `message`)."""

    value: float | None
    reason: str = "ValidMetricFound"
    message: str = ""


@attrs.frozen
class Condition:
    """One of a scaler's conditions, as HPA names them."""

    type: str
    status: bool
    reason: str
    message: str


@attrs.frozen
class Decision:
    """What a scaler does now: the replicas to declare, and what it says about it."""

    replicas: int
    history: tuple[Recommendation, ...]
    #: The raw recommendation of this value (None: there was no value).
    recommended: int | None
    conditions: tuple[Condition, ...]

    def changed(self, current: int) -> bool:
        """Whether the decision changes the assembly's replicas."""
        return self.replicas != current


def raw_recommendation(b: Behaviour, current: int, value: float) -> int:
    """The replicas the value asks for, before stabilisation and limits."""
    if b.target_type is TargetType.TOTAL:
        if current > 0 and abs(value / (b.target * current) - 1) <= b.tolerance:
            return current
        return max(0, math.ceil(value / b.target - 1e-9))
    if current == 0:  # nothing to average over: the limits decide (min)
        return 0
    ratio = value / b.target
    if abs(ratio - 1) <= b.tolerance:
        return current
    return max(0, math.ceil(current * ratio - 1e-9))


def remember(
    history: Sequence[Recommendation], new: Recommendation, keep: float
) -> tuple[Recommendation, ...]:
    """The history with `new` added: older than `keep` seconds dropped, equal neighbours merged."""
    kept = [r for r in history if r.at >= new.at - keep and r.at <= new.at]
    if kept and kept[-1].replicas == new.replicas:
        kept[-1] = new
    else:
        kept.append(new)
    return tuple(kept[-HISTORY_MAX:])


def stabilised(b: Behaviour, current: int, history: Sequence[Recommendation], now: float) -> int:
    """HPA's stabilisation: up to the lowest recent recommendation, down to the highest."""
    ups = [r.replicas for r in history if r.at >= now - b.scale_up_window]
    downs = [r.replicas for r in history if r.at >= now - b.scale_down_window]
    result = current
    if ups and min(ups) > result:
        result = min(ups)
    if downs and max(downs) < result:
        result = max(downs)
    return result


def limited(b: Behaviour, current: int, wanted: int) -> tuple[int, Condition]:
    """`wanted` within `max_step` of `current`, then within `[min, max]`; and whether it was cut."""
    result, reason = wanted, ""
    if result > current + b.max_step:
        result, reason = current + b.max_step, "ScaleUpLimit"
    elif result < current - b.max_step:
        result, reason = current - b.max_step, "ScaleDownLimit"
    if result > b.max:
        result, reason = b.max, "TooManyReplicas"
    elif result < b.min:
        result, reason = b.min, "TooFewReplicas"
    if reason:
        message = f"the recommendation of {wanted} is limited to {result} ({reason})"
        return result, Condition("ScalingLimited", True, reason, message)
    return result, Condition("ScalingLimited", False, "DesiredWithinRange",
                             "the recommendation is within the limits")  # fmt: skip


def decide(
    b: Behaviour,
    current: int,
    reading: Reading,
    history: Sequence[Recommendation],
    now: float,
    last_scale_at: float | None,
) -> Decision:
    """What the scaler does at `now` (see the module's docstring)."""
    value = reading.value
    if value is None or not math.isfinite(value):
        why = reading.message or "the metric has no value"
        conditions = (
            Condition("AbleToScale", True, "HoldingReplicas", f"holding {current} replicas"),
            Condition("ScalingActive", False, reading.reason if value is None else "InvalidValue",
                      why if value is None else f"the metric is {value}"),
            Condition("ScalingLimited", False, "DesiredWithinRange", "no decision without a value"),
        )  # fmt: skip
        return Decision(current, tuple(history), None, conditions)
    raw = raw_recommendation(b, current, value)
    keep = max(b.scale_up_window, b.scale_down_window)
    if not history:  # a new scaler: the count it found was recommended just before
        history = (Recommendation(now - SEED_AGE, current),)
    remembered = remember(history, Recommendation(now, raw), keep)
    wanted = stabilised(b, current, remembered, now)
    replicas, limit = limited(b, current, wanted)
    measured = f"the metric is {value:g} (target {b.target:g}, {b.target_type.value})"
    active = Condition("ScalingActive", True, "ValidMetricFound", measured)
    if replicas != current and last_scale_at is not None and now - last_scale_at < b.cooldown:
        wait = b.cooldown - (now - last_scale_at)
        waiting = f"{current} -> {replicas} waits for the cooldown ({wait:.0f}s left)"
        able = Condition("AbleToScale", False, "Cooldown", waiting)
        return Decision(current, remembered, raw, (able, active, limit))
    if replicas > current:
        able = Condition("AbleToScale", True, "ScaledUp", f"{current} -> {replicas}")
    elif replicas < current:
        able = Condition("AbleToScale", True, "ScaledDown", f"{current} -> {replicas}")
    elif raw < current and wanted == current:
        able = Condition("AbleToScale", True, "ScaleDownStabilized",
                         f"recent recommendations keep {current} replicas "
                         f"(scale_down_window {b.scale_down_window:g}s)")  # fmt: skip
    elif raw > current and wanted == current:
        able = Condition("AbleToScale", True, "ScaleUpStabilized",
                         f"recent recommendations keep {current} replicas "
                         f"(scale_up_window {b.scale_up_window:g}s)")  # fmt: skip
    else:
        able = Condition("AbleToScale", True, "ReadyForNewScale", f"{current} replicas fit")
    return Decision(replicas, remembered, raw, (able, active, limit))
