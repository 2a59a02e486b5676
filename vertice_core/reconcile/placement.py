"""The pure placement planner: which region each ordinal of an assembly runs in. No I/O.

Tested as a table (`tests/core/reconcile/test_placement.py`). Given the
placement (policy and regions), the number of replicas, the region every
ordinal with an instance row was placed in, the regions that recently refused
a create for lack of capacity or quota, and the flavor's price per region, it
decides the region of every wanted ordinal:

* an ordinal already placed stays where it is (placement is sticky: a running
  instance is never moved to rebalance), unless its region is not one of the
  placement's (it was never placed by this planner: it is placed anew);
* a new ordinal, in ordinal order, goes where the policy says among the
  regions that have not failed (see `vertice_core.model.placement`);
* when every region failed, the ordinal is left unplaced (None) until a failure
  expires.

Every pass over every region of the assembly runs this with the same stored
inputs, so they agree on who creates what; the pass that acts writes the
instance row (with its region) while it holds the assembly's lease.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from vertice_core.model.placement import PlacementPolicy


def place(
    policy: PlacementPolicy,
    regions: Sequence[str],
    replicas: int,
    *,
    placed: Mapping[int, str],
    failed: Collection[str] = (),
    prices: Mapping[str, float] | None = None,
) -> dict[int, str | None]:
    """The region of every ordinal `0 .. replicas-1` (None: no region can take it now).

    `placed`: the region of ordinals that have an instance row; `failed`: regions left
    out of new placements; `prices`: the flavor's price per hour by region (`cheapest`).
    """
    listed = set(regions)
    open_regions = [r for r in regions if r not in failed]
    result: dict[int, str | None] = {}
    counts = dict.fromkeys(regions, 0)
    for ordinal in range(replicas):
        region = placed.get(ordinal)
        if region in listed:
            result[ordinal] = region
            counts[region] += 1
    for ordinal in range(replicas):
        if ordinal in result:
            continue
        choice = _choose(policy, open_regions, counts, prices or {})
        result[ordinal] = choice
        if choice is not None:
            counts[choice] += 1
    return dict(sorted(result.items()))


def _choose(
    policy: PlacementPolicy,
    candidates: Sequence[str],
    counts: Mapping[str, int],
    prices: Mapping[str, float],
) -> str | None:
    if not candidates:
        return None
    if policy is PlacementPolicy.SPREAD:
        return min(candidates, key=lambda r: (counts[r], candidates.index(r)))
    if policy is PlacementPolicy.CHEAPEST:
        return min(candidates, key=lambda r: (prices.get(r, 0.0), candidates.index(r)))
    return candidates[0]
