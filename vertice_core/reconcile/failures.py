"""When a whole region fails (observe failed, driver unavailable): tell its due assemblies.

Nothing can be decided for a region that cannot be observed, but the users of
its assemblies should see why nothing happens. Every assembly that was due is
claimed and marked not Synced with the error's reason, and backs off like any
transient failure; its phase, instances and counts stay as they were. The
writes are built by the same `outcome.write_of` as every other status write.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from vertice_core.backoff import retry_delay
from vertice_core.errors import DriverError
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import Phase
from vertice_core.reconcile import status
from vertice_core.reconcile.outcome import write_of
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.reconcile.storeops import PassStore
from vertice_core.store.repositories.work import StatusWrite


def record_region_failure(
    ops: PassStore,
    region: str,
    error: DriverError,
    *,
    settings: ReconcilerSettings,
    rng: random.Random,
    clock: Callable[[], float],
) -> None:
    """Mark the region's due assemblies as not synced because of `error`."""
    now = clock()
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
        delay = retry_delay(
            item.attempts,
            base=settings.backoff_base,
            cap=settings.backoff_cap,
            rng=rng,
            error=error,
        )
        retry = status.Retry.after(delay, now)
        message = f"region {region}: {error.message} {retry.text()}"
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
            replicas=item.replicas,
            ready_replicas=int(before.get("ready_replicas", 0)),
            updated_replicas=int(before.get("updated_replicas", 0)),
            parts=tuple(before.get("placement", [])),
        )
        writes.append(
            write_of(
                item,
                report,
                now,
                generation=item.observed_generation,
                attempts=item.attempts + 1,
                due_at=retry.at,
                restarts_done=item.restarts_done,
                slots=None,
            )
        )
        if report.digest() != item.status_digest:
            events.extend(
                status.change_events(
                    item.phase,
                    report,
                    status.prior_of(item),
                    assembly_id=item.id,
                    project_id=item.project_id,
                    region=region,
                )
            )
    ops.commit_pass(writes, events, [])
