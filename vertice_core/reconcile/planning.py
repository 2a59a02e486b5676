"""Planning a part of a region's pass: what each assembly that may need work needs.

`RegionPass` reads its region's rows, observes once and hands the rows that may need
work to a `PartPlanner` a part at a time (`region._PART` batches): the planner reads
those assemblies' instance rows, builds their work items, works out the share of the
placed ones, and plans each (`plan.plan_actions`). What it plans is acted upon by the
pass while the next part is planned; an assembly found settled is remembered by one
number (`fingerprints.seen_as`) instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from vertice_core.driver import Instance
from vertice_core.reconcile.fingerprints import seen_as
from vertice_core.reconcile.outcome import backing_off, desired_of, needs_work
from vertice_core.reconcile.placed import Share, share_of
from vertice_core.reconcile.plan import Decision, plan_actions
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.store.repositories.work import WorkItem

#: What a pass reads once for its whole region when something may need work: the
#: assemblies with a route in front of them, and their probes' findings.
RegionWide = tuple[dict[str, frozenset[str]], dict[str, Any]]


@attrs.define
class PartPlan:
    """What a part needs: its items that need work and their decisions, those of them
    with driver calls to make, and whether something in it is in transition."""

    wanted: dict[str, WorkItem] = attrs.Factory(dict)
    planned: dict[str, Decision] = attrs.Factory(dict)
    acting: set[str] = attrs.Factory(set)
    busy: bool = False


@attrs.define
class PartPlanner:
    """Plans the parts of one pass over `region` (see the module)."""

    region: str
    settings: ReconcilerSettings
    #: The pass's store operations (`storeops.PassStore`).
    ops: Any
    #: Whether the region's driver resizes instances in place.
    resizable: bool
    #: Of the assemblies with a placement planned this pass: their share in the region.
    shares: dict[str, Share] = attrs.Factory(dict)

    def plan(
        self,
        part: Sequence[tuple[Any, ...]],
        by_assembly: Mapping[str, list[Instance]],
        now: float,
        region_wide: RegionWide,
        settled: dict[str, tuple[int, bool]],
    ) -> PartPlan:
        """Plan a part of the region's rows; the assemblies found settled go to `settled`.
        Instance rows are read only of assemblies that may need work (an idle pass reads
        none); rows are written with a lease held, and the claim re-reads them before
        acting."""
        routed, probes = region_wide
        slots = self.ops.slots([row[0] for row in part])
        items = [WorkItem.of(row, slots.get(row[0], ())) for row in part]
        row_of = {row[0]: row for row in part}
        self.shares.update(self._shares_of([i for i in items if i.placed], now, routed, probes))
        found = PartPlan()
        for item in items:
            if backing_off(item, now):
                continue
            share = self.shares.get(item.id)
            drain = self.settings.drain if item.id in routed else 0.0
            decision = plan_actions(
                desired_of(
                    item,
                    drain,
                    probes.get(item.id),
                    share,
                    routed.get(item.id),
                    drain_limit=self.settings.drain_limit,
                    resizable=self.resizable,
                ),
                by_assembly.get(item.id, []),
                now=now,
                grace=self.settings.grace,
            )
            if needs_work(item, decision, now, region=self.region, share=share):
                found.wanted[item.id] = item
                found.planned[item.id] = decision
                if decision.actions:
                    found.acting.add(item.id)
            elif _timeless(item) and (share is None or not share.failed):
                seen = seen_as(row_of[item.id], by_assembly.get(item.id, ()))
                settled[item.id] = (seen, decision.busy)
            found.busy = found.busy or decision.busy
        return found

    def _shares_of(
        self,
        items: Sequence[WorkItem],
        now: float,
        routed: dict[str, frozenset[str]],
        probes: dict[str, Any],
    ) -> dict[str, Share]:
        """The region's share of each assembly with a placement (and, for those homed in
        another region, whether a route is in front of them and their probes' findings)."""
        if not items:
            return {}
        ids = [i.id for i in items]
        facts = self.ops.placed(ids)
        routed.update(self.ops.served_ids(ids))
        probes.update(self.ops.probe_states_of(ids))
        return {
            i.id: share_of(
                self.region,
                i.replicas,
                i.slots,
                facts[i.id],
                now=now,
                retry=self.settings.placement_retry,
            )
            for i in items
            if i.id in facts
        }


def _timeless(item: WorkItem) -> bool:
    """Whether the plan of this item cannot change with time alone (no grace, no backoff,
    no drain running; a placement's refusals, which expire, are checked by the caller)."""
    return (
        item.attempts == 0
        and item.due_at is None
        and all(s.create_key is None and s.drain_started_at is None for s in item.slots)
    )
