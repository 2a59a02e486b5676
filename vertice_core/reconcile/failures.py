"""When a whole region fails (observe failed, driver unavailable): tell its due assemblies.

Nothing can be decided for a region that cannot be observed, but the users of
its assemblies should see why nothing happens. Every assembly that was due is
claimed and marked not Synced with the error's reason, and backs off like any
transient failure; its phase and instances stay as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertice_core.errors import DriverError
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import Phase
from vertice_core.reconcile import status
from vertice_core.store.repositories.work import StatusWrite

if TYPE_CHECKING:
    from vertice_core.reconcile.loop import Reconciler


def record_region_failure(reconciler: Reconciler, region: str, error: DriverError) -> None:
    """Mark the region's due assemblies as not synced because of `error`."""
    ops, settings = reconciler.ops, reconciler.settings
    now = reconciler.clock()
    due = [i for i in ops.region_items(region) if i.due_at is not None and i.due_at <= now]
    if not due:
        return
    claimed = ops.claim([i.id for i in due], now)
    items = [i for i in ops.items(sorted(claimed)) if i.id in claimed]
    previous = ops.statuses([i.id for i in items])
    writes: list[StatusWrite] = []
    events: list[dict[str, Any]] = []
    for item in items:
        before = previous.get(item.id, {})
        prior = status.prior_of(item)
        retry_in = status.backoff(
            item.attempts, base=settings.backoff_base, cap=settings.backoff_cap, rng=reconciler.rng
        )
        message = f"region {region}: {error.message} (retrying in {retry_in:.0f}s)"
        phase = Phase(item.phase)
        ready = status.is_ready(phase, DesiredState(item.desired_state))
        report = status.Report(
            phase=phase,
            reason=error.reason,
            message=message,
            ready=ready,
            ready_reason="AsDeclared" if ready else error.reason,
            synced=False,
            synced_reason=error.reason,
            synced_message=message,
            instances=tuple(before.get("instances", [])),
        )
        writes.append(
            StatusWrite(
                id=item.id,
                generation=item.observed_generation,
                phase=phase.value,
                reason=error.reason,
                message=message,
                status=status.status_document(report, prior, now),
                status_digest=report.digest(),
                attempts=item.attempts + 1,
                due_at=now + retry_in,
                incarnation=item.incarnation,
                restarts_done=item.restarts_done,
                create_key=item.create_key,
                create_started_at=item.create_started_at,
                ready=report.ready,
                ready_since=prior.since("Ready", report.ready, now),
                synced=False,
                synced_since=prior.since("Synced", False, now),
            )
        )
        if report.digest() != item.status_digest:
            events.extend(
                status.change_events(
                    item.phase,
                    report,
                    prior,
                    assembly_id=item.id,
                    project_id=item.project_id,
                    region=region,
                )
            )
    ops.commit_pass(writes, events, [])
