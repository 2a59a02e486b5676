"""Assemblies placed across regions: a region pass's share of one, and its merged status. Pure.

An assembly with a placement is planned by the pass over each of its regions.
Every pass places the ordinals with the same stored inputs
(`reconcile.placement.place`) and plans only those placed in its own region
(`Share.ordinals`), with the instance rows placed there. Its status is written
by whichever pass last acted, so it is built to come out the same whoever
builds it: each region's *part* (phase, reason, counts, a recent capacity
failure) is computed by that region's pass only, stored in the status
document's `placement` list, and copied verbatim by the other passes; the
instances are listed with their region, and the assembly's phase, conditions
and counts are a function of the parts. A pass whose rows moved meanwhile
(another region wrote) does not write (`RegionPass` re-reads before acting).

A create refused with `QuotaExceeded` does not fail the assembly: the region's
part records the failure for `placement_retry` seconds, the ordinal's row is
dropped, and the next pass places it in the next region the policy picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from vertice_core.errors import DriverError, QuotaExceeded
from vertice_core.model.assembly import DesiredState
from vertice_core.model.placement import Placement, PlacementPolicy
from vertice_core.model.status import EventType, Phase
from vertice_core.reconcile.decision import Verb
from vertice_core.reconcile.placement import place
from vertice_core.reconcile.status import Report, event_row, is_ready
from vertice_core.store.repositories.slots import InstanceSlot

#: The reason of a region's part after it refused a create for lack of capacity or quota.
REFUSED = "PlacingElsewhere"
#: The reason of an assembly some of whose instances no region can take now.
NO_REGION = "NoRegionAvailable"
#: The reason of a region's part its own pass has not written yet.
WAITING = "WaitingForRegion"


@attrs.frozen
class Placed:
    """What a pass reads about an assembly with a placement, besides its work item."""

    placement: Placement
    #: The flavor's price per hour by region (what `cheapest` compares).
    prices: Mapping[str, float] = attrs.Factory(dict)
    #: The stored status document (the other regions' parts and instances).
    status: Mapping[str, Any] = attrs.Factory(dict)


@attrs.frozen
class Share:
    """One region's share of an assembly with a placement, as a pass plans it."""

    region: str
    #: Where every wanted ordinal goes (None: no region can take it now).
    mapping: Mapping[int, str | None]
    regions: tuple[str, ...]
    #: The stored parts of the regions, by region.
    stored: Mapping[str, Mapping[str, Any]]
    #: The stored instance views of the other regions.
    others: tuple[dict[str, Any], ...]
    #: Regions left out of new placements now: `{region: failure}`.
    failed: Mapping[str, Mapping[str, Any]]

    @property
    def ordinals(self) -> frozenset[int]:
        """The wanted ordinals placed in this pass's region."""
        return frozenset(o for o, r in self.mapping.items() if r == self.region)

    def mine(self, slots: Sequence[InstanceSlot]) -> tuple[InstanceSlot, ...]:
        """The instance rows placed in this pass's region."""
        return tuple(s for s in slots if s.region_name == self.region)

    def gone_elsewhere(self) -> bool:
        """Whether every other region's pass found none of the assembly's instances left
        (a deleted assembly's row is removed by the last region to find nothing)."""
        return all(
            self.stored.get(r, {}).get("phase") == Phase.DELETED.value
            for r in self.regions
            if r != self.region
        )


def refused(verb: Verb, answer: object) -> bool:
    """Whether a call's answer is a create the region refused for lack of capacity or quota
    (for an assembly with a placement: the ordinal is placed anew, maybe elsewhere)."""
    return verb is Verb.CREATE and isinstance(answer, QuotaExceeded)


def refusal_events(
    refused: Mapping[int, DriverError],
    *,
    region: str,
    retry: float,
    assembly_id: str,
    project_id: str,
) -> list[dict[str, Any]]:
    """A Warning (as `EventRow` columns) for each create the region refused."""
    return [
        event_row(
            EventType.WARNING,
            "PlacementRefused",
            f"region {region} refused instance {ordinal}: {error.reason}: "
            f"{error.message}; new instances go to the other regions for {retry:.0f}s",
            assembly_id=assembly_id,
            project_id=project_id,
            region=region,
        )
        for ordinal, error in sorted(refused.items())
    ]


def failure_of(refused: Mapping[int, Any], now: float) -> dict[str, Any] | None:
    """What a region's part remembers of creates it refused for lack of capacity, or None."""
    if not refused:
        return None
    error = refused[min(refused)]
    return {"at": now, "reason": error.reason, "message": error.message}


def share_of(
    region: str,
    replicas: int,
    slots: Sequence[InstanceSlot],
    placed: Placed,
    *,
    now: float,
    retry: float,
) -> Share:
    """The share of `region` in an assembly, from its stored rows and status document."""
    regions = tuple(placed.placement.regions)
    stored = {
        str(part.get("region")): part
        for part in placed.status.get("placement") or ()
        if isinstance(part, Mapping)
    }
    failed = {
        name: part["failed"]
        for name, part in stored.items()
        if isinstance(part.get("failed"), Mapping) and now - part["failed"].get("at", 0) < retry
    }
    mapping = place(
        PlacementPolicy(placed.placement.policy),
        regions,
        replicas,
        placed={s.ordinal: s.region_name for s in slots},
        failed=failed,
        prices=placed.prices,
    )
    others = tuple(
        dict(view)
        for view in placed.status.get("instances") or ()
        if isinstance(view, Mapping) and view.get("region") in regions and view["region"] != region
    )
    return Share(region, mapping, regions, stored, others, failed)


def own_part(
    share: Share, report: Report, *, busy: bool, failure: Mapping[str, Any] | None
) -> dict[str, Any]:
    """This region's part, from the report of its own ordinals (and a new capacity
    failure, else the one it still remembers)."""
    part: dict[str, Any] = {
        "region": share.region,
        "phase": report.phase.value,
        "reason": report.reason,
        "message": report.message,
        "busy": busy,
        "synced": report.synced,
        "synced_reason": report.synced_reason,
        "replicas": report.replicas,
        "ready_replicas": report.ready_replicas,
        "updated_replicas": report.updated_replicas,
    }
    kept = failure if failure is not None else share.failed.get(share.region)
    if kept is not None:
        part["failed"] = dict(kept)
    return part


def _other_part(share: Share, region: str) -> dict[str, Any]:
    """Another region's stored part, or one saying it has not caught up (its stored part
    does not cover the ordinals placed there now)."""
    expected = sum(1 for r in share.mapping.values() if r == region)
    part = share.stored.get(region)
    if part is not None and part.get("replicas") == expected:
        return dict(part)
    waiting: dict[str, Any] = {
        "region": region,
        "phase": (Phase.LAUNCHING if expected else Phase.RUNNING).value,
        "reason": WAITING,
        "message": "",
        "busy": True,
        "synced": True,
        "replicas": expected,
        "ready_replicas": 0,
        "updated_replicas": 0,
    }
    if region in share.failed:
        waiting["failed"] = dict(share.failed[region])
    return waiting


def merged(
    share: Share, own: dict[str, Any], report: Report, desired: DesiredState, replicas: int
) -> Report:
    """The assembly's report: every region's part, and the phase, conditions and counts
    they make together (the lowest region in the placement's order speaks first)."""
    parts = tuple(own if r == share.region else _other_part(share, r) for r in share.regions)
    unplaced = sum(1 for r in share.mapping.values() if r is None)
    instances = tuple(
        sorted(
            (*({**v, "region": share.region} for v in report.instances), *share.others),
            key=lambda v: (v.get("ordinal", 0), v.get("region", "")),
        )
    )
    counts = (
        replicas,
        sum(int(p["ready_replicas"]) for p in parts),
        sum(int(p["updated_replicas"]) for p in parts),
    )
    phase, reason = _phase(parts, desired)
    unsynced = [p for p in parts if not p["synced"]]
    if unplaced:
        message = f"{unplaced} instance(s) wait for a region: " + "; ".join(
            f"{r}: {f.get('reason')}: {f.get('message')}" for r, f in share.failed.items()
        )
        phase = Phase.FAILED if phase is Phase.FAILED else Phase.LAUNCHING
        return Report(
            phase, NO_REGION, message, False, NO_REGION, False, NO_REGION, message,
            instances, *counts, parts=parts,
        )  # fmt: skip
    if unsynced:
        first = unsynced[0]
        message = f"region {first['region']}: {first['message']}"
        synced, synced_reason = False, str(first.get("synced_reason") or first["reason"])
    else:
        message, synced, synced_reason = "", True, "Reconciled"
    ready = is_ready(phase, desired)
    return Report(
        phase, reason, message, ready, "AsDeclared" if ready else reason, synced,
        synced_reason, message, instances, *counts, parts=parts,
    )  # fmt: skip


def _phase(parts: Sequence[Mapping[str, Any]], desired: DesiredState) -> tuple[Phase, str]:
    """The phase of the parts together, and the reason of the first part that has it."""
    if desired is DesiredState.DELETED:
        left = [p for p in parts if p["phase"] != Phase.DELETED.value]
        return (Phase.DELETING, str(left[0]["reason"])) if left else (Phase.DELETED, "Deleted")
    placed = [_heading(p, desired) for p in parts if p["replicas"]]
    phases = {p["phase"] for p in placed}
    for phase in _ORDER:
        if phase.value in phases:
            having = [p for p in placed if p["phase"] == phase.value]
            moving = [p for p in having if p["busy"]]
            return phase, str((moving or having)[0]["reason"])
    phase = Phase.STOPPED if desired is DesiredState.STOPPED else Phase.RUNNING
    moving = [p for p in parts if p["busy"]]
    return phase, str((moving or parts)[0]["reason"])


#: Which phase of a part speaks for the assembly first.
_ORDER = (
    Phase.FAILED, Phase.DELETING, Phase.LAUNCHING, Phase.STOPPING, Phase.RUNNING, Phase.STOPPED,
)  # fmt: skip

#: A part's phase no pass of its region writes under the declared state, and the phase
#: it counts as: its region has not acted on a stop or a start yet, so its instances
#: are on their way to what is declared (a stop must never merge into RUNNING).
_BEHIND = {
    (DesiredState.STOPPED, Phase.RUNNING.value): Phase.STOPPING,
    (DesiredState.RUNNING, Phase.STOPPING.value): Phase.LAUNCHING,
    (DesiredState.RUNNING, Phase.STOPPED.value): Phase.LAUNCHING,
}


def _heading(part: Mapping[str, Any], desired: DesiredState) -> Mapping[str, Any]:
    """The part as it counts toward the assembly's phase: one its region's pass wrote
    before the declared state changed counts as heading there, waiting for its region."""
    phase = _BEHIND.get((desired, part["phase"]))
    if phase is None:
        return part
    return {**part, "phase": phase.value, "reason": WAITING}
