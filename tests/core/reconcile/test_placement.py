"""The placement planner, as a table: which region each ordinal runs in."""

from __future__ import annotations

import pytest

from vertice_core.model.placement import Placement, PlacementPolicy
from vertice_core.reconcile.placement import place

SPREAD, FALLBACK, CHEAPEST = (
    PlacementPolicy.SPREAD,
    PlacementPolicy.FALLBACK,
    PlacementPolicy.CHEAPEST,
)
AB, ABC = ("a", "b"), ("a", "b", "c")


@pytest.mark.parametrize(
    ("policy", "regions", "replicas", "placed", "failed", "prices", "expected"),
    [
        # spread: evenly, in the order listed
        (SPREAD, AB, 4, {}, (), {}, {0: "a", 1: "b", 2: "a", 3: "b"}),
        (SPREAD, ABC, 5, {}, (), {}, {0: "a", 1: "b", 2: "c", 3: "a", 4: "b"}),
        # sticky: placed ordinals stay; a new one goes where there are fewest
        (SPREAD, AB, 3, {0: "b", 1: "b"}, (), {}, {0: "b", 1: "b", 2: "a"}),
        # scaled down: rows of ordinals above replicas do not count
        (SPREAD, AB, 2, {0: "a", 1: "b", 2: "a", 3: "b"}, (), {}, {0: "a", 1: "b"}),
        # a failed region takes no new instance, and keeps those it runs
        (SPREAD, AB, 4, {0: "a"}, ("b",), {}, {0: "a", 1: "a", 2: "a", 3: "a"}),
        (SPREAD, ABC, 4, {0: "a", 1: "b"}, ("b",), {}, {0: "a", 1: "b", 2: "c", 3: "a"}),
        # fallback: the first region until it fails, then the next
        (FALLBACK, ABC, 3, {}, (), {}, {0: "a", 1: "a", 2: "a"}),
        (FALLBACK, ABC, 3, {0: "a"}, ("a",), {}, {0: "a", 1: "b", 2: "b"}),
        (FALLBACK, ABC, 2, {}, ("a", "b"), {}, {0: "c", 1: "c"}),
        # every region failed: unplaced until a failure expires
        (FALLBACK, AB, 2, {0: "a"}, ("a", "b"), {}, {0: "a", 1: None}),
        (SPREAD, AB, 1, {}, ("a", "b"), {}, {0: None}),
        # cheapest: the lowest price; ties go to the first listed; failures skipped
        (CHEAPEST, ABC, 2, {}, (), {"a": 0.3, "b": 0.1, "c": 0.2}, {0: "b", 1: "b"}),
        (CHEAPEST, ABC, 1, {}, (), {"a": 0.1, "b": 0.1, "c": 0.2}, {0: "a"}),
        (CHEAPEST, ABC, 2, {}, ("b",), {"a": 0.3, "b": 0.1, "c": 0.2}, {0: "c", 1: "c"}),
        # a row in a region the placement does not list is placed anew
        (FALLBACK, AB, 1, {0: "elsewhere"}, (), {}, {0: "a"}),
        # none wanted
        (SPREAD, AB, 0, {0: "a"}, (), {}, {}),
    ],
)
def test_place(policy, regions, replicas, placed, failed, prices, expected):
    assert place(policy, regions, replicas, placed=placed, failed=failed, prices=prices) == expected


@pytest.mark.parametrize(
    ("regions", "problem"),
    [
        (["a"], "from 2 to 8"),
        (["a", "b", "c", "d", "e", "f", "g", "h", "i"], "from 2 to 8"),
        (["a", "a"], "more than once"),
        (["a", "Not A Name"], "not a valid name"),
    ],
)
def test_a_placement_names_two_to_eight_distinct_regions(regions, problem):
    with pytest.raises(ValueError, match=problem):
        Placement(SPREAD, regions)
