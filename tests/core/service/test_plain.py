"""The GET's form of an assembly, made straight from its row, equals the record's (pure).

`plain.plain_assembly` writes `records.assembly_of` + the converter's Assembly hook a
second time (see its module). These tests hold the two equal: a row that sets every
column and every key of the status the reconciler writes, rows with the keys it may
leave out or get wrong, and the rules that rewrite a status as it is read (a deletion
asked for, a generation not reconciled yet). A field added to the record, or to a
record inside it, appears in the converter's form and fails `test_every_field_...`
until `plain` makes it too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from tests.core.service.test_records import instance, row
from vertice_core.convert import make_converter
from vertice_core.model.assembly import Assembly
from vertice_core.service.plain import plain_assembly, plain_stored
from vertice_core.service.records import assembly_of, stored_assembly
from vertice_core.store.repositories.views import RECORD, UNIT

CONVERTER = make_converter()
CREATED = datetime(2026, 12, 4, 5, 0, 0, 123456, tzinfo=UTC)


def condition(type_: str, status: str, at: str = "2026-12-04T05:00:01.5Z", **more: Any) -> dict:
    return {"type": type_, "status": status, "last_transition_time": at, **more}


def everything(**changes: Any) -> Any:
    """A row with every column and every key of spec and status set to something other
    than its default."""
    spec = {
        "components": [
            {"tag": "databaseinstance", "name": "web", "description": "d", "attributes": {"a": 1}},
            {"tag": "flavor", "attributes": {}},
        ],
        "credential": {"kind": "root_password", "key_name": "", "public_key": "",
                       "sealed_password": "gAAAA-sealed"},
        "metadata": {"type_definition": "t", "mutable": ["/a"], "consumer_mutable": ["/b"]},
        "metrics_port": 9100,
        "command": ["serve"],
        "args": ["--port", "80"],
        "sealed_env": {"B": "x", "A": "y"},
        "source": {"url": "http://127.0.0.1/repo.git", "ref": "main", "subdirectory": "app",
                   "recipe": "python", "sealed_token": "t", "sealed_deploy_key": ""},
        "release": {"revision": 3, "build_id": "bld-1", "image": "img:3", "commit": "a" * 40},
        "inputs": {"size": "10"},
        "sealed_inputs": {"password": "s"},
        "bindings": [{"name": "db", "assembly": "pg", "env": {"DB": "url"}}],
        "snapshot": {"name": "snap-1", "id": "snp-1"},
        "adopt": {"cloud_id": "i-123"},
    }  # fmt: skip
    status = {
        "conditions": [condition("Ready", "True", reason="AsDeclared", message="m"),
                       condition("Synced", "True", at="2026-12-04T05:00:02+00:00")],
        "instances": [
            instance("k0", "running", ordinal=0, access=["127.0.0.1:8080"], region="east",
                     revision=3, flavor="large", ready=True),
            instance("k1", "running", ordinal=1, draining=True),
            instance("k2", "stopped", ordinal=2, ready=False),
            instance("k3", "rebooting", ordinal=3),
        ],
        "replicas": 4, "ready_replicas": 1, "updated_replicas": 3,
        "placement": [
            {"region": "east", "phase": "RUNNING", "reason": "r", "message": "m", "synced": False,
             "replicas": 2, "ready_replicas": 1, "updated_replicas": 2},
            {"region": "west", "phase": "FAILED",
             "failed": {"at": 1796598683.5, "reason": "Quota", "message": "full"}},
        ],
    }  # fmt: skip
    columns: dict[str, Any] = {
        "name": "web-9", "description": "a web", "tags": ["x", "y"], "desired_state": "stopped",
        "restart_count": 2, "restart_mode": "hard", "stop_mode": "suspend", "replicas": 4,
        "replace_count": 1, "generation": 5, "observed_generation": 5, "restarts_done": 2,
        "probe": {"port": 8080, "path": "/healthz", "interval": 5.0, "timeout": 1.0,
                  "failure_threshold": 2},
        "placement": {"policy": "spread", "regions": ["east", "west"]},
        "spec": spec, "status": status, "phase": "STOPPED", "reason": "AsDeclared",
        "message": "stopped as declared", "created_at": CREATED,
        "updated_at": CREATED + timedelta(seconds=7),
    }  # fmt: skip
    columns.update(changes)
    return row(**columns)


def record_form(stored: Any) -> dict[str, Any]:
    return CONVERTER.unstructure(assembly_of(stored))


def test_every_field_of_the_record_is_made_straight_from_the_row():
    stored = everything()
    assert plain_assembly(CONVERTER, stored) == record_form(stored)
    # and the row did set every field to something but its default, nested ones included
    record = assembly_of(stored)
    for field in attrs.fields(Assembly):
        if field.name not in ("components", "plan"):  # left out of the form (links instead)
            assert getattr(record, field.name) != _default(field), field.name


def _default(field: Any) -> Any:
    default = field.default
    return default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {},  # a fresh row: no spec, no status
        {"spec": {"credential": {"kind": "ssh_key", "key_name": "k", "public_key": "",
                                 "sealed_password": ""}}},
        {"spec": {"credential": {"kind": "ssh_public_key", "public_key": "ssh-ed25519 AAAA x"}}},
        {"status": {"conditions": [condition("Ready", "Maybe")],
                    "instances": [{"key": "k", "state": "running", "replicas": True}],
                    "ready_replicas": True, "replicas": "2"}},
        {"status": {"instances": [instance("a", "running"), instance("b", "pending")]},
         "replicas": 2},
    ],
    ids=["fresh", "ssh-key", "inline-key", "odd-status", "status-before-replicas"],
)  # fmt: skip
def test_rows_with_keys_left_out_or_wrong_give_the_same_form(changes):
    stored = row(**changes)
    assert plain_assembly(CONVERTER, stored) == record_form(stored)


@pytest.mark.parametrize("phase", ["RUNNING", "FAILED", "DELETING"])
def test_a_deletion_asked_for_shows_as_the_record_shows_it(phase):
    stored = everything(desired_state="deleted", phase=phase, message="")
    assert plain_assembly(CONVERTER, stored) == record_form(stored)
    stored = everything(desired_state="deleted", phase=phase)
    assert plain_assembly(CONVERTER, stored)["status"]["phase"] == "DELETING"
    assert plain_assembly(CONVERTER, stored) == record_form(stored)


def test_a_generation_not_reconciled_yet_is_not_synced_in_either_form():
    stored = everything(generation=6, observed_generation=5)
    form = plain_assembly(CONVERTER, stored)
    assert form == record_form(stored)
    synced = form["status"]["conditions"][1]
    assert (synced["status"], synced["reason"]) == ("False", "NotObserved")


def test_the_plain_read_carries_what_the_document_links_and_versions():
    routes = RECORD.join(
        UNIT.join([f"rte-{n}", f"{n}.example.test", "/", "8080", "off", "READY", "{}"])
        for n in "ba"
    )
    stored = everything(routes=routes)
    plain = plain_stored(CONVERTER, stored)
    record = stored_assembly(stored)
    assert plain.status_version == record.status_version
    assert plain.routes == record.routes and len(plain.routes) == 2
    assert plain.plan == record.assembly.plan
    assert plain.component_names == ("web", "flavor")
