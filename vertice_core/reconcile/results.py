"""What a region pass writes of the assemblies it worked on (no I/O).

Each worked-on assembly gets its status write (`outcome.outcome`) and the events of
what changed (refusals of a placement, restarts and resizes carried out, members
found unhealthy, a phase left); an assembly that was deleted and whose instances
are gone everywhere is removed instead, with a `Deleted` event. `RegionPass` calls
`pass_results` for the batches it acted on and for the assemblies it only settles.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from vertice_core.model.status import EventType
from vertice_core.reconcile import placed, status
from vertice_core.reconcile.outcome import Work, outcome
from vertice_core.reconcile.plan import Verb
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.store.repositories.work import StatusWrite


def removes(work: Work) -> bool:
    """Whether the pass removes the assembly's row: it was deleted and no region (this
    one, and the others of its placement) shows an instance of it any more."""
    return work.decision.gone and (work.share is None or work.share.gone_elsewhere())


def pass_results(
    works: Sequence[Work],
    now: float,
    *,
    region: str,
    settings: ReconcilerSettings,
    rng: random.Random,
    failed_at: float | None = None,
) -> tuple[bool, list[StatusWrite], list[dict[str, Any]], list[str]]:
    """`(busy, writes, events, removed)` of worked-on assemblies: whether one is still
    busy, their status writes, their events, and the ids of those removed."""
    writes: list[StatusWrite] = []
    events: list[dict[str, Any]] = []
    removed: list[str] = []
    busy = False
    for work in works:
        item, decision = work.item, work.decision
        busy = busy or decision.busy
        where = {"assembly_id": item.id, "project_id": item.project_id, "region": region}
        if removes(work):
            removed.append(item.id)
            gone = "the cloud shows no instance"
            events.append(status.event_row(EventType.NORMAL, "Deleted", gone, **where))
            continue
        write, report = outcome(
            work, now, settings=settings, rng=rng, region=region, failed_at=failed_at
        )
        writes.append(write)
        events.extend(
            placed.refusal_events(
                work.refused,
                region=region,
                retry=settings.placement_retry,
                assembly_id=item.id,
                project_id=item.project_id,
            )
        )
        for verb, request in ((Verb.REBOOT, item.restart_count),
                              (Verb.HARD_REBOOT, item.restart_count),
                              (Verb.RESIZE, item.flavor_name)):  # fmt: skip
            events.extend(status.done_events(verb, decision.actions, work.failed, request, **where))
        events.extend(status.unhealthy_events(decision.members, work.failed, **where))
        if report.digest() != item.status_digest:
            events.extend(status.change_events(item.phase, report, status.prior_of(item), **where))
    return busy, writes, events, removed
