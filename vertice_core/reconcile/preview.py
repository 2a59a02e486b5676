"""What the reconciler's next pass would do for one assembly, and why.

`GET /v3/assembly/{id}/plan` and the dry runs of a declaration or a patch
(`?dry_run=true`) answer with a `Preview`. It runs the pure planner
(`plan_actions`) on the assembly's stored rows as a pass reads them (slots,
probes, the routes in front of it, its share of each region of a placement)
and on the instances the last pass *observed* (the assembly's status), as a
pass would if the cloud still showed the same. No driver is called: what the
cloud did since the last pass (a host rebooted, an instance deleted by hand)
is not known until the next one looks, so the preview says which observation
it stands on (`observed_generation`, the status' instances).

Each step names its verb, the ordinal it is for (-1: an instance no slot
owns), the region, and why: the planner's reason for that ordinal, said in
words (`WHY`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import cattrs

from vertice_core.convert import structure
from vertice_core.driver import TAG_ASSEMBLY, Instance
from vertice_core.errors import NotFound
from vertice_core.model.placement import Placement
from vertice_core.model.status import InstanceState
from vertice_core.reconcile.decision import Verb
from vertice_core.reconcile.outcome import backing_off, desired_of
from vertice_core.reconcile.placed import Placed, Share, share_of
from vertice_core.reconcile.plan import UNHEALTHY, Decision, Member, plan_actions
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.reconcile.specs import adopted_id
from vertice_core.store.repositories.placements import PlacementRepository
from vertice_core.store.repositories.probes import ProbeRepository
from vertice_core.store.repositories.work import WorkItem, WorkRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The planner's reasons, said in words (a reason missing here is shown as it is).
WHY = {
    "Creating": "it has no instance in the cloud",
    "Starting": "its instance is stopped and the declaration says running",
    "Stopping": "its instance runs and the declaration says stopped",
    "Suspending": "its instance runs and the declaration says stopped, suspended (stop_mode)",
    "Restarting": "a restart was asked for (restart_count)",
    "Resizing": "it runs another flavor than declared: it is resized in place",
    "ReplacingBrokenInstance": "its instance is in error: it is replaced",
    UNHEALTHY: "its instance failed its probe too many times in a row: it is replaced",
    "Replacing": "every instance is replaced, one at a time (replace_count, or inputs changed)",
    "Draining": "it is on its way out: routes no longer send it requests, then it is deleted",
    "ScalingDown": "its ordinal is not below replicas any more",
    "WaitingForCloud": "a create was issued and the cloud does not list the instance yet",
    "Deleting": "the assembly is being deleted",
    "Booting": "its instance is booting",
    "Running": "it runs as declared",
    "Stopped": "it is stopped as declared",
    "WaitingForSpecChange": "it failed for good: nothing is tried until the declaration changes",
}
#: The reason of a create that adopts an instance already running (`adopt`).
ADOPTING = "Adopting"
WHY[ADOPTING] = "it is declared to adopt this instance, which runs already: tagged, not created"
#: The reason of a delete of an instance no slot owns (an older incarnation, a duplicate).
UNOWNED = "NotOwned"
WHY[UNOWNED] = "no ordinal owns this instance (an older incarnation or a duplicate)"


@attrs.frozen
class Step:
    """One driver call the pass would make."""

    verb: str
    #: The ordinal it is for; -1 for an instance no slot owns.
    ordinal: int
    region: str
    #: The key an instance would be created with, else the cloud's id of the instance.
    target: str
    reason: str
    why: str


@attrs.frozen
class Preview:
    """What the next pass would do for one assembly, and the state it would leave."""

    assembly_id: str
    generation: int
    #: The generation the last pass worked from (its observation is what this stands on).
    observed_generation: int
    #: The phase and reason the pass would write.
    phase: str
    reason: str
    steps: tuple[Step, ...] = ()
    #: Why the pass would not act yet ("" when it would): a failure's backoff.
    waiting: str = ""


def preview(
    session: Session,
    assembly_id: str,
    home: str,
    *,
    settings: ReconcilerSettings,
    converter: cattrs.Converter,
    now: float | None = None,
) -> Preview:
    """The next pass's plan for the assembly `assembly_id` homed in region `home` (read in
    `session`: a dry run's uncommitted change is seen)."""
    now = time.time() if now is None else now
    work = WorkRepository(session)
    found = work.items([assembly_id])
    if not found:
        raise NotFound(f"there is no assembly {assembly_id!r}")
    item = found[0]
    status = work.statuses([assembly_id]).get(assembly_id, {})
    by_region = _observed(assembly_id, status, home)
    served = PlacementRepository(session).served([assembly_id]).get(assembly_id)
    probes = ProbeRepository(session).states([assembly_id]).get(assembly_id)
    drain = settings.drain if served is not None else 0.0
    shares: list[tuple[str, Share | None]] = [*_shares(session, item, converter, settings, now)]
    decisions: list[tuple[str, Decision]] = []
    for region, share in shares or [(home, None)]:
        # resizable: the service accepts another flavor only where the drivers claim
        # `resize`, so a row running another flavor is one the region's driver resizes.
        want = desired_of(item, drain, probes, share, served, drain_limit=settings.drain_limit,
                          resizable=True)  # fmt: skip
        decisions.append(
            (region, plan_actions(want, by_region.get(region, []), now=now, grace=settings.grace))
        )
    spec_row = work.spec_rows([assembly_id]).get(assembly_id)
    adopts = (lambda key: adopted_id(spec_row, key)) if spec_row is not None else (lambda _: "")
    steps = tuple(
        step for region, decision in decisions for step in _steps(region, decision, adopts)
    )
    phase, reason = _overall(decisions)
    waiting = ""
    if backing_off(item, now) and item.due_at is not None:
        waiting = f"retrying after a failure in {max(0.0, item.due_at - now):.0f}s"
    return Preview(item.id, item.generation, item.observed_generation, phase, reason, steps,
                   waiting)  # fmt: skip


def _observed(assembly_id: str, status: Mapping[str, Any], home: str) -> dict[str, list[Instance]]:
    """The instances the last pass observed, by region, as a driver would list them."""
    found: dict[str, list[Instance]] = {}
    for view in status.get("instances") or ():
        if not isinstance(view, Mapping):
            continue
        try:
            state = InstanceState(str(view.get("state")))
        except ValueError:
            state = InstanceState.UNKNOWN
        instance = Instance(
            key=str(view.get("key", "")),
            cloud_id=str(view.get("cloud_id", "")),
            state=state,
            tags={TAG_ASSEMBLY: assembly_id},
        )
        found.setdefault(str(view.get("region") or home), []).append(instance)
    return found


def _shares(
    session: Session,
    item: WorkItem,
    converter: cattrs.Converter,
    settings: ReconcilerSettings,
    now: float,
) -> list[tuple[str, Share]]:
    """Of an assembly with a placement: its share of each of its regions, as the passes of
    those regions would compute it; [] otherwise."""
    if not item.placed:
        return []
    rows = PlacementRepository(session).placed([item.id])
    if item.id not in rows:
        return []
    placement, prices, status = rows[item.id]
    placed = Placed(structure(converter, placement, Placement), prices, status)
    retry = settings.placement_retry
    return [
        (region, share_of(region, item.replicas, item.slots, placed, now=now, retry=retry))
        for region in placed.placement.regions
    ]


def _steps(region: str, decision: Decision, adopts: Callable[[str], str]) -> list[Step]:
    """The decision's actions, each with the reason of the ordinal it is for (a create
    that adopts an instance, `adopts(key)` naming it, is an `adopt` of that instance)."""
    members: dict[int, Member] = {m.slot.ordinal: m for m in decision.members}
    steps = []
    for action in decision.actions:
        member = members.get(action.ordinal)
        if member is None:  # an instance no slot owns, or the assembly is deleted
            reason = UNOWNED if decision.members else decision.reason
        else:
            reason = member.reason
        why = WHY.get(reason, reason)
        if member is not None and member.note:
            why = f"{why}: {member.note}"
        adopted = adopts(action.target) if action.verb is Verb.CREATE else ""
        if adopted:
            steps.append(Step("adopt", action.ordinal, region, adopted, ADOPTING, WHY[ADOPTING]))
            continue
        steps.append(Step(action.verb.value, action.ordinal, region, action.target, reason, why))
    return steps


def _overall(decisions: Sequence[tuple[str, Decision]]) -> tuple[str, str]:
    """The phase and reason of the assembly: its one region's, or (placed) the first
    region's that acts, else the first region's."""
    acting = [d for _, d in decisions if d.actions]
    chosen = (acting or [d for _, d in decisions])[0]
    return chosen.phase.value, chosen.reason
