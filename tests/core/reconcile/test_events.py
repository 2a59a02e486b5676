"""Honest events (issue 16): routine transitions are Normal, a restart leaves one, and a
retry's time is the same in the status, its event and the due time."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from vertice_core.errors import TransientError
from vertice_core.model.status import Phase
from vertice_core.reconcile import status
from vertice_core.reconcile.outcome import Work, outcome
from vertice_core.reconcile.plan import Action, Decision, Member, Slot, Verb
from vertice_core.store.repositories import EventRepository
from vertice_core.store.repositories.work import WorkItem
from vertice_testing.plugin import FAST

pytestmark = pytest.mark.slow


def events_of(ctx, assembly_id: str) -> list[dict[str, Any]]:
    """Every event of the assembly, from the store (they outlive the assembly's row)."""
    with ctx.store.read() as session:
        rows = EventRepository(session).of_assembly(assembly_id, limit=1000)
        return [{"type": r.type, "reason": r.reason, "message": r.message} for r in rows]


def ready(alice, uri: str, replicas: int, state: str = "RUNNING") -> bool:
    found = alice.status(uri)
    return (
        found["phase"] == state
        and found["ready_replicas"] == replicas
        and alice.condition(uri, "Synced").get("status") == "True"
        and alice.condition(uri, "Ready").get("status") == "True"
    )


def test_a_normal_life_records_no_warning_and_a_restart_says_which_instances(
    ctx, alice, make_reconciler, converge, phases
):
    body = alice.declare("life").json
    uri = body["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: ready(alice, uri, 1))
    alice.replace(uri, "/replicas", 2)
    converge(reconciler, lambda: ready(alice, uri, 2))
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: ready(alice, uri, 2, "STOPPED"))
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: ready(alice, uri, 2))
    assert alice.status(uri)["restarts_done"] == 0
    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: alice.status(uri)["restarts_done"] == 1 and ready(alice, uri, 2))
    instances = alice.status(uri)["instances"]
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})

    events = events_of(ctx, body["id"])
    assert [e for e in events if e["type"] == "Warning"] == []
    reasons = [e["reason"] for e in events]
    for routine in ("Launching", "Running", "Stopping", "Stopped", "Restarted", "Deleted"):
        assert routine in reasons, (routine, reasons)
    (restarted,) = [e for e in events if e["reason"] == "Restarted"]
    assert restarted["type"] == "Normal"
    assert restarted["message"].startswith("restart_count 1: restarted ")
    for instance in instances:
        assert f"{instance['cloud_id']} (ordinal {instance['ordinal']})" in restarted["message"]


def test_a_failing_create_records_a_warning(ctx, alice, make_reconciler, converge, configure_sim):
    configure_sim(images=["no-such-image"])
    body = alice.declare("broken").json
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.status(body["uri"])["phase"] == "FAILED")
    warnings = [e for e in events_of(ctx, body["id"]) if e["type"] == "Warning"]
    assert [e["reason"] for e in warnings] == ["Failed"]
    assert "ImageNotFound" in alice.status(body["uri"])["reason"]


def test_a_transient_create_failure_records_one_warning(
    ctx, alice, make_reconciler, converge, configure_sim
):
    configure_sim(transient_error_rate=1.0, seed=3)
    body = alice.declare("flaky").json
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.condition(body["uri"], "Synced").get("status") == "False")
    events = events_of(ctx, body["id"])
    assert [e["reason"] for e in events if e["type"] == "Warning"] == ["SyncedFalse"]
    assert {e["reason"]: e["type"] for e in events}["ReadyFalse"] == "Normal"


def at_of(message: str) -> str:
    """The absolute time a retry message names (`HH:MM:SSZ`)."""
    found = re.search(r"retrying in \d+s, at (\d\d:\d\d:\d\dZ)\)", message)
    assert found, message
    return found.group(1)


def test_the_retry_time_is_one_in_the_status_its_event_and_the_due_time():
    """A batch whose calls took 40 s: the retry counts from when they returned, and the
    status's message, the Synced event and the due time all say that one time."""
    item = WorkItem(
        id="asm-1",
        project_id="prj-1",
        name="web",
        desired_state="running",
        restart_count=0,
        restarts_done=0,
        generation=1,
        observed_generation=1,
        phase="LAUNCHING",
        attempts=0,
        due_at=None,
        status_digest="",
        ready=False,
        ready_since=1.0,
        synced=True,
        synced_since=1.0,
        replicas=1,
        replace_count=0,
        build_wait=None,
        probed=False,
        placed=False,
        slots=(),
    )
    decision = Decision(
        (Action(Verb.CREATE, "asm-1-1", 0),),
        Phase.LAUNCHING,
        (Member(Slot(0), Phase.LAUNCHING, "Creating", True),),
        reason="Creating",
        busy=True,
    )
    work = Work(item, decision, errors=[TransientError("sim: busy")], failed={(Verb.CREATE, 0)})
    now, returned = 1_000_000.0, 1_000_040.0
    write, report = outcome(work, now, settings=FAST, rng=random.Random(1), failed_at=returned)
    assert write.due_at is not None and write.due_at > returned
    due = datetime.fromtimestamp(round(write.due_at), UTC).strftime("%H:%M:%SZ")
    assert at_of(write.message) == due
    (synced,) = [
        e
        for e in status.change_events(
            item.phase,
            report,
            status.prior_of(item),
            assembly_id="asm-1",
            project_id="prj-1",
            region="local",
        )
        if e["reason"] == "SyncedFalse"
    ]
    assert synced["type"] == "Warning"
    assert at_of(synced["message"]) == due
