"""Placement: one assembly's instances across several regions, hence across clouds.

An assembly names one `region`, or a `placement`: a policy and two to eight
regions. Each instance (ordinal) is placed in one of them when it is first
created and stays there (placement is sticky: a running instance is never
moved to rebalance); the reconciler's pass over a region creates and watches
the instances placed in it, and the assembly's status lists all of them, each
with its region, so a route in front of the assembly balances across every
region.

* `spread`: a new instance goes to the region holding the fewest of the
  assembly's instances (ties: the first listed), so replicas are spread evenly.
* `fallback`: a new instance goes to the first region listed.
* `cheapest`: a new instance goes to the region where the flavor's price per
  hour is lowest (`Flavor.region_prices`, else its `price_per_hour`; ties: the
  first listed).

Under every policy, a region whose driver refused a create with a terminal
capacity or quota error (`QuotaExceeded`) is left out for a while (the
reconciler's `placement_retry`, 300 s by default) and the instance is placed
in the next region the policy picks. The pure planner is
`vertice_core.reconcile.placement`.
"""

from __future__ import annotations

import enum

import attrs

from vertice_core.model.types import Name, name_problem

__all__ = ["MAX_REGIONS", "Placement", "PlacementPolicy"]

#: The most regions one placement may name.
MAX_REGIONS = 8


class PlacementPolicy(enum.StrEnum):
    """How new instances pick their region (see the module's docstring)."""

    SPREAD = "spread"
    FALLBACK = "fallback"
    CHEAPEST = "cheapest"


def _regions(_instance: object, attribute: attrs.Attribute[list[Name]], value: list[Name]) -> None:
    if not 2 <= len(value) <= MAX_REGIONS:
        raise ValueError(f"{attribute.name}: must name from 2 to {MAX_REGIONS} regions")
    for name in value:
        problem = name_problem(name)
        if problem is not None:
            raise ValueError(f"{attribute.name}: {problem}")
    if len(set(value)) != len(value):
        raise ValueError(f"{attribute.name}: names a region more than once")


@attrs.frozen
class Placement:
    """Where an assembly's instances go: a policy over two or more regions, in order."""

    policy: PlacementPolicy
    regions: list[Name] = attrs.field(validator=_regions)
