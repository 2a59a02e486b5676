"""Scalers: an assembly's replica count driven by a Prometheus metric (a HorizontalAssemblyScaler).

A scaler belongs to a project and watches one of its assemblies (one scaler per
assembly). Its `query` is PromQL evaluated by the installation's Prometheus; the
scaler controller (`vertice_core.scaling`) compares the value with `target` and
changes the assembly's replicas within `[min, max]` the way Kubernetes' HPA v2
does: a tolerance, stabilisation windows for up and down, a cooldown between
two changes and a maximum step per change.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable

import attrs

from vertice_core.model.types import Name, NonNegative, Positive

#: The most characters a scaler's PromQL query may hold.
QUERY_MAX = 4096
#: The longest stabilisation window or cooldown, in seconds (one day).
WINDOW_MAX = 86400.0
#: The most instances one decision may add or remove.
STEP_MAX = 1000


class TargetType(enum.StrEnum):
    """What the query's value measures."""

    #: Per instance (CPU of one VM, requests per second per replica): desired =
    #: ceil(current x value / target).
    AVERAGE = "average"
    #: For the whole assembly (requests per second through its route): desired =
    #: ceil(value / target).
    TOTAL = "total"


def _number(low: float, high: float, *, low_open: bool = False, high_open: bool = False
            ) -> Callable[[object, attrs.Attribute[float], float], None]:  # fmt: skip
    """A validator: a finite number in the range (brackets as the flags say)."""

    def check(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
        below = value <= low if low_open else value < low
        above = value >= high if high_open else value > high
        if not math.isfinite(value) or below or above:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise ValueError(
                f"{attribute.name}: must be a number in {left}{low:g}, {high:g}{right}"
            )

    return check


def _query(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip() or len(value) > QUERY_MAX:
        raise ValueError(f"{attribute.name}: must be a PromQL query of 1 to {QUERY_MAX} characters")


def _step(_instance: object, attribute: attrs.Attribute[Positive], value: Positive) -> None:
    if value > STEP_MAX:
        raise ValueError(f"{attribute.name}: must be at most {STEP_MAX}")


@attrs.frozen
class Behaviour:
    """How a scaler decides (what the pure `scaling.plan.decide` needs of its spec)."""

    min: int
    max: int
    target: float
    target_type: TargetType = TargetType.AVERAGE
    tolerance: float = 0.1
    scale_up_window: float = 0.0
    scale_down_window: float = 300.0
    cooldown: float = 30.0
    max_step: int = 4


@attrs.frozen
class ScalerInput:
    """A scaler as declared (`POST /v3/scalers`)."""

    #: The assembly it scales: its name (or id) in the scaler's project.
    assembly: str
    min: NonNegative
    #: At most the installation's `VERTICE_MAX_REPLICAS` (checked by the service).
    max: NonNegative
    #: PromQL whose value (one series or a scalar) is compared with `target`.
    query: str = attrs.field(validator=_query)
    target: float = attrs.field(validator=_number(0, 1e15, low_open=True))
    target_type: TargetType = TargetType.AVERAGE
    #: No change while |value / target - 1| is at most this (HPA's default 0.1).
    tolerance: float = attrs.field(default=0.1, validator=_number(0, 1, high_open=True))
    #: Seconds of recommendations whose lowest is taken when scaling up.
    scale_up_window: float = attrs.field(default=0.0, validator=_number(0, WINDOW_MAX))
    #: Seconds of recommendations whose highest is taken when scaling down.
    scale_down_window: float = attrs.field(default=300.0, validator=_number(0, WINDOW_MAX))
    #: The fewest seconds between two changes of the replicas.
    cooldown: float = attrs.field(default=30.0, validator=_number(0, WINDOW_MAX))
    #: The most instances one decision adds or removes.
    max_step: Positive = attrs.field(default=Positive(4), validator=_step)
    #: The project (by name); default: the caller's first.
    project: Name | None = None

    def __attrs_post_init__(self) -> None:
        if self.max < self.min:
            raise ValueError("max: must be at least min")
        if self.max < 1:
            raise ValueError("max: must be at least 1")

    def behaviour(self) -> Behaviour:
        """The fields the decision uses."""
        return Behaviour(
            min=self.min, max=self.max, target=self.target, target_type=self.target_type,
            tolerance=self.tolerance, scale_up_window=self.scale_up_window,
            scale_down_window=self.scale_down_window, cooldown=self.cooldown,
            max_step=self.max_step,
        )  # fmt: skip
