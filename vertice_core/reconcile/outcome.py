"""What a pass writes for one assembly: its status report and its bookkeeping. Pure.

`report_of` turns a decision (and the error its actions met, if any) into a
`Report`; `outcome` adds what the reconciler remembers for next time: the
backoff after a transient failure, the create marker and its grace period,
the restarts carried out, the incarnation.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import attrs

from vertice_core.driver import Instance, InstanceSpec
from vertice_core.errors import DriverError, TerminalError
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import Phase
from vertice_core.reconcile import status
from vertice_core.reconcile.plan import Decision, Desired, Verb
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.store.repositories.work import StatusWrite, WorkItem


def desired_of(item: WorkItem) -> Desired:
    """The planner's view of a work item."""
    return Desired(
        assembly_id=item.id,
        desired=DesiredState(item.desired_state),
        generation=item.generation,
        observed_generation=item.observed_generation,
        restart_count=item.restart_count,
        restarts_done=item.restarts_done,
        incarnation=item.incarnation,
        phase=Phase(item.phase),
        create_key=item.create_key,
        create_started_at=item.create_started_at,
    )


def report_of(
    item: WorkItem, decision: Decision, error: DriverError | None = None, retry_in: float = 0.0
) -> status.Report:
    """The status report of an assembly after a decision and the outcome of its actions."""
    desired = DesiredState(item.desired_state)
    instances = status.instances_of([decision.instance] if decision.instance else [])
    if isinstance(error, TerminalError):
        return status.Report(
            Phase.FAILED,
            error.reason,
            error.message,
            False,
            error.reason,
            False,
            error.reason,
            error.message,
            instances,
        )
    phase = decision.phase
    ready = status.is_ready(phase, desired)
    if error is not None:
        message = f"{error.message} (retrying in {retry_in:.0f}s)"
        return status.Report(
            phase,
            decision.reason,
            message,
            ready,
            decision.reason if not ready else "AsDeclared",
            False,
            error.reason,
            message,
            instances,
        )
    return status.Report(
        phase,
        decision.reason,
        "",
        ready,
        "AsDeclared" if ready else decision.reason,
        True,
        "Reconciled",
        "",
        instances,
    )


@attrs.define
class Work:
    """One assembly being worked on in a pass: its decision and what its actions met."""

    item: WorkItem
    decision: Decision
    spec: InstanceSpec | None = None
    errors: list[DriverError] = attrs.Factory(list)
    created: Instance | None = None
    failed_verbs: set[Verb] = attrs.Factory(set)


def create_key_of(work: Work) -> str:
    """The key the work's create action is for."""
    return next(a.target for a in work.decision.actions if a.verb is Verb.CREATE)


def outcome(
    work: Work,
    now: float,
    *,
    settings: ReconcilerSettings,
    rng: random.Random,
) -> tuple[StatusWrite, status.Report]:
    """The status write of one assembly after its actions, and its report."""
    item, decision = work.item, work.decision
    decision = _with_created(work, decision)
    error = _worst(work.errors)
    terminal = isinstance(error, TerminalError)
    attempts = 0 if error is None or terminal else item.attempts + 1
    retry_in = 0.0
    due_at: float | None = None
    if attempts:
        retry_in = status.backoff(
            attempts - 1,
            base=settings.backoff_base,
            cap=settings.backoff_cap,
            rng=rng,
        )
        due_at = now + retry_in
    report = report_of(item, decision, error, retry_in)
    prior = status.prior_of(item)
    create_key, create_at = item.create_key, item.create_started_at
    if Verb.CREATE in {a.verb for a in decision.actions}:
        create_key = create_key_of(work)
        # A create that succeeded may not be listed yet: the grace period applies.
        # One that failed is retried after the backoff instead (the key keeps it safe).
        create_at = now if Verb.CREATE not in work.failed_verbs else None
    elif decision.instance is not None and decision.instance.key == create_key:
        create_key, create_at = None, None
    restarts = item.restarts_done if Verb.REBOOT in work.failed_verbs else decision.restarts_done
    write = StatusWrite(
        id=item.id,
        generation=item.generation,
        phase=report.phase.value,
        reason=report.reason,
        message=report.message,
        status=status.status_document(report, prior, now),
        status_digest=report.digest(),
        attempts=attempts,
        due_at=due_at,
        incarnation=decision.incarnation,
        restarts_done=restarts,
        create_key=create_key,
        create_started_at=create_at,
        ready=report.ready,
        ready_since=prior.since("Ready", report.ready, now),
        synced=report.synced,
        synced_since=prior.since("Synced", report.synced, now),
    )
    return write, report


def _with_created(work: Work, decision: Decision) -> Decision:
    if work.created is not None and decision.instance is None:
        return attrs.evolve(decision, instance=work.created)
    return decision


def _worst(errors: Sequence[DriverError]) -> DriverError | None:
    """The error that decides the outcome: a terminal one wins over transient ones."""
    for error in errors:
        if isinstance(error, TerminalError):
            return error
    return errors[0] if errors else None
