"""`/v3/component/{id}` (declared and managed components) and `/v3/assembly/{id}/events`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from vertice_core.model.status import Event, EventType
from vertice_core.store.repositories import EventRepository
from vertice_core.store.tables import AssemblyRow

INSTANCES = [
    {"key": "k1", "cloud_id": "c1", "state": "running", "public_ipv4": "203.0.113.7",
     "private_ipv4": "10.0.0.7", "access": []},
    {"key": "k2", "cloud_id": "c2", "state": "running", "public_ipv4": "",
     "private_ipv4": "10.0.0.8", "access": []},
]  # fmt: skip


@pytest.fixture
def assembly(alice, store):
    """Alice's assembly with a declared database component and two observed instances."""
    created = alice.declare(
        "web-1",
        credential={"kind": "root_password", "password": "root-pass-123"},
        components=[{"tag": "databaseinstance", "name": "db", "attributes": {"engine": "pg"}}],
    )
    assert created.status_code == 201, created.json
    with store.write() as session:
        session.execute(
            update(AssemblyRow)
            .where(AssemblyRow.id == created.json["id"])
            .values(phase="RUNNING", status={"conditions": [], "instances": INSTANCES})
        )
    return created.json


def component(alice, assembly, index):
    result = alice.get(f"/v3/component/{assembly['id']}.{index}")
    assert result.status_code == 200, result.text
    return result.json


def test_links_name_every_component(assembly):
    assert [c["target_name"] for c in assembly["components"]] == [
        "small", "local", "launch credential", "public ipv4", "private ipv4", "db"
    ]  # fmt: skip
    assert assembly["components"][0]["href"] == f"/v3/component/{assembly['id']}.0"


@pytest.mark.parametrize(
    ("index", "tag", "attributes"),
    [
        (0, "flavor", {"flavor": "small", "cpu": 1, "ram": 1024, "disk": 10}),
        (1, "region", {"region": "local", "cloud_type": "sim", "provider_region": "local"}),
        (2, "security", {"kind": "root_password", "password_set": True}),
        (3, "network_public_ipv4", {"ipv4": ["203.0.113.7"]}),
        (4, "network_private_ipv4", {"ipv4": ["10.0.0.7", "10.0.0.8"]}),
        (5, "databaseinstance", {"engine": "pg"}),
    ],
)
def test_components(alice, assembly, index, tag, attributes):
    body = component(alice, assembly, index)
    assert body["type"] == "component"
    assert body["tag"] == tag
    assert body["attributes"] == attributes
    assert body["assembly_uri"] == assembly["uri"]
    assert body["uri"] == f"/v3/component/{assembly['id']}.{index}"
    assert "root-pass-123" not in str(body)


def test_observed_components_are_marked(alice, assembly):
    assert component(alice, assembly, 3)["observed"] is True
    assert component(alice, assembly, 0)["observed"] is False


def test_components_before_any_observation(alice):
    uri = alice.declare().headers["location"]
    assembly_id = uri.rsplit("/", 1)[1]
    body = alice.get(f"/v3/component/{assembly_id}.3").json
    assert body["attributes"] == {"ipv4": []}


@pytest.mark.parametrize(
    "suffix",
    ["6", "99", "-1", "x", "", "0.1", "1e3", "\u00b2", "\u0663", "+1"],
)
def test_unknown_components_are_404(alice, assembly, suffix):
    result = alice.get(f"/v3/component/{assembly['id']}.{suffix}")
    assert result.status_code == 404
    assert result.json["title"] == "Not found"


@pytest.mark.parametrize("component_id", ["nothing", "asm-0000000000000000.0", ".0", "0"])
def test_components_of_missing_assemblies_are_404(alice, component_id):
    assert alice.get(f"/v3/component/{component_id}").status_code == 404


def add_events(store, assembly_id, count):
    with store.write() as session:
        EventRepository(session).add(
            None,
            [
                Event(
                    time=datetime(2030, 1, 1, 0, i, tzinfo=UTC),
                    type=EventType.WARNING if i % 2 else EventType.NORMAL,
                    reason=f"Reason{i}",
                    message=f"event {i}",
                    assembly_id=assembly_id,
                    region="local",
                )
                for i in range(count)
            ],
        )


def test_events_oldest_first(alice, store, assembly):
    add_events(store, assembly["id"], 3)
    result = alice.get(assembly["events_uri"])
    assert result.status_code == 200
    items = result.json["items"]
    assert [e["reason"] for e in items] == ["Reason0", "Reason1", "Reason2"]
    assert items[1]["type"] == "Warning"
    assert items[0]["assembly_uri"] == assembly["uri"]
    assert items[0]["time"] == "2030-01-01T00:00:00Z"
    assert result.json["total_items"] == 3


def test_events_page_with_after(alice, store, assembly):
    add_events(store, assembly["id"], 5)
    first = alice.get(assembly["events_uri"], params={"items_per_page": "2"}).json["items"]
    assert [e["reason"] for e in first] == ["Reason0", "Reason1"]
    rest = alice.get(assembly["events_uri"], params={"after": str(first[-1]["id"])}).json
    assert [e["reason"] for e in rest["items"]] == ["Reason2", "Reason3", "Reason4"]


def test_events_of_another_assembly_stay_apart(alice, store, assembly):
    other = alice.declare("web-2").json
    add_events(store, other["id"], 2)
    assert alice.get(assembly["events_uri"]).json["items"] == []


@pytest.mark.parametrize(
    "params", [{"after": "x"}, {"after": "-1"}, {"after": str(10**30)}, {"items_per_page": "0"}]
)
def test_bad_event_paging_is_400(alice, assembly, params):
    assert alice.get(assembly["events_uri"], params=params).status_code == 400


def test_events_of_a_missing_assembly_are_404(alice):
    assert alice.get("/v3/assembly/asm-0000000000000000/events").status_code == 404
