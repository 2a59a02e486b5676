"""Stored rows as records: status documents of every age read gracefully (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from vertice_core.model.status import InstanceState, Phase
from vertice_core.service.records import assembly_of, status_of, status_version

TIME = "2026-12-04T05:00:00Z"


def row(**changes: Any) -> SimpleNamespace:
    """A stored assembly row as the store returns it (a fresh one unless changed)."""
    columns: dict[str, Any] = {
        "id": "asm-0000000000000001", "name": "web-1", "project_name": "proj",
        "plan_name": "1_virtualmachine_ubuntu", "region_name": "local", "flavor_name": "small",
        "description": "", "tags": [], "desired_state": "running", "restart_count": 0,
        "restart_mode": "soft", "stop_mode": "soft",
        "replicas": 3, "replace_count": 0, "probe": None, "placement": None, "generation": 1,
        "spec": {},
        "phase": "PENDING",
        "reason": "", "message": "", "status": {}, "status_digest": "", "observed_generation": 0,
        "restarts_done": 0,
        "ready": None, "ready_since": None, "synced": None, "synced_since": None,
        "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
    }  # fmt: skip
    columns.update(changes)
    return SimpleNamespace(**columns)


def instance(key: str, state: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "cloud_id": f"c-{key}", "state": state, "public_ipv4": "",
            "private_ipv4": "", "access": [], **more}  # fmt: skip


def test_a_fresh_assembly_shows_the_declared_replicas_and_nothing_ready():
    status = status_of(row())
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (3, 0, 0)
    assert status.instances == [] and status.conditions == []


def test_counts_the_reconciler_wrote_are_shown_as_written():
    written = {
        "conditions": [],
        "instances": [instance("a", "running", ordinal=0), instance("b", "pending", ordinal=1)],
        "replicas": 2,
        "ready_replicas": 1,
        "updated_replicas": 2,
    }
    status = status_of(row(status=written, replicas=4, phase="LAUNCHING"))
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (2, 1, 2)
    assert [i.ordinal for i in status.instances] == [0, 1]


@pytest.mark.parametrize(
    ("desired", "states", "ready"),
    [
        ("running", ["running"], 1),
        ("running", ["pending"], 0),
        ("stopped", ["stopped"], 1),
        ("stopped", ["running"], 0),
        ("running", ["running", "terminated"], 1),
    ],
)
def test_a_status_written_before_replicas_counts_from_its_instances(desired, states, ready):
    old = {"conditions": [], "instances": [instance(f"k{i}", s) for i, s in enumerate(states)]}
    status = status_of(row(status=old, replicas=1, desired_state=desired))
    assert status.replicas == 1
    assert status.ready_replicas == ready
    assert status.updated_replicas == len(states)
    assert {i.ordinal for i in status.instances} == {0}  # instances of old documents: ordinal 0


def test_conditions_and_unknown_instance_states_are_read():
    stored = {
        "conditions": [{"type": "Ready", "status": "True", "reason": "Running", "message": "",
                        "last_transition_time": TIME}],
        "instances": [instance("a", "melting")],
    }  # fmt: skip
    status = status_of(row(status=stored, phase="RUNNING"))
    assert status.phase is Phase.RUNNING
    assert status.conditions[0].last_transition_time == datetime(2026, 12, 4, 5, tzinfo=UTC)
    assert status.instances[0].state is InstanceState.UNKNOWN


def test_the_status_version_moves_with_what_the_status_shows():
    base = row()
    same = status_version(row(description="spec changes are the generation's business"))
    assert status_version(base) == same
    for change in (
        {"phase": "SCHEDULED"},
        {"status_digest": "abc"},
        {"observed_generation": 1},
        {"restarts_done": 1},
        {"ready": True, "ready_since": 1.0},
        {"synced_since": 2.0},
    ):
        assert status_version(row(**change)) != status_version(base), change


def test_a_record_leaves_secrets_out():
    spec = {"credential": {"kind": "root_password", "sealed_password": "gAAAA-sealed"},
            "components": [{"tag": "flavor", "name": "small"}]}  # fmt: skip
    record = assembly_of(row(spec=spec))
    assert record.credential.password_set is True
    assert "gAAAA" not in repr(record)
    assert record.project == "proj" and record.replicas == 3


def test_the_status_shows_the_restarts_done():
    assert status_of(row(restart_count=2, restarts_done=1)).restarts_done == 1
