"""`select_attr` on every resource and collection: only the named attributes; unknown: 400."""

from __future__ import annotations

import pytest

RESOURCES = [
    ("alice", "/v3/platform"),
    ("alice", "/v3/plan/1_virtualmachine_ubuntu"),
    ("alice", "/v3/assembly/{assembly}"),
    ("alice", "/v3/component/{assembly}.0"),
    ("alice", "/v3/regions/local"),
    ("admin", "/v3/regions/local"),
    ("alice", "/v3/flavors/small"),
    ("alice", "/v3/sshkeys/laptop"),
    ("alice", "/v3/projects/{project}"),
    ("alice", "/v3/users/alice"),
    ("alice", "/v3/tokens/{token}"),
]
COLLECTIONS = [
    ("alice", "/v3/plan_factory"),
    ("alice", "/v3/assembly_factory"),
    ("alice", "/v3/assembly/{assembly}/events"),
    ("alice", "/v3/regions"),
    ("alice", "/v3/flavors"),
    ("alice", "/v3/sshkeys"),
    ("alice", "/v3/projects"),
    ("admin", "/v3/users"),
    ("alice", "/v3/tokens"),
    ("admin", "/v3/drivers"),
]


@pytest.fixture
def world(admin, alice, public_key):
    """One of each resource; returns a function making a route's path and caller."""
    assembly = alice.declare("web-1").json["id"]
    alice.post("/v3/sshkeys", {"name": "laptop", "public_key": public_key()})
    values = {
        "assembly": assembly,
        "project": alice.get("/v3/projects").json["items"][0]["name"],
        "token": alice.get("/v3/tokens").json["items"][0]["id"],
    }
    callers = {"admin": admin, "alice": alice}
    return lambda caller, path: (callers[caller], path.format(**values))


@pytest.mark.parametrize(("caller", "path"), RESOURCES + COLLECTIONS)
def test_select_attr_keeps_only_the_named_attributes(world, caller, path):
    api, path = world(caller, path)
    whole = api.get(path).json
    assert {"uri", "name", "type"} <= set(whole)
    one = api.get(path, params={"select_attr": "name"})
    assert one.status_code == 200
    assert one.json == {"name": whole["name"]}
    two = api.get(path, query_string="select_attr=uri&select_attr=type")
    assert two.json == {"uri": whole["uri"], "type": whole["type"]}
    listed = api.get(path, params={"select_attr": "type,name"})
    assert listed.json == {"type": whole["type"], "name": whole["name"]}


@pytest.mark.parametrize(("caller", "path"), COLLECTIONS)
def test_select_attr_on_collections_reaches_the_counters(world, caller, path):
    api, path = world(caller, path)
    result = api.get(path, params={"select_attr": "total_items,items"})
    assert set(result.json) == {"total_items", "items"}
    assert result.json["total_items"] == len(result.json["items"])


@pytest.mark.parametrize(("caller", "path"), RESOURCES + COLLECTIONS)
def test_an_unknown_attribute_is_400(world, caller, path):
    api, path = world(caller, path)
    for unknown in ("colour", "name,colour", "Name", "items.name"):
        result = api.get(path, params={"select_attr": unknown})
        assert result.status_code == 400, unknown
        assert "select_attr" in result.json["description"]
        assert unknown.split(",")[-1] in result.json["description"]


def test_an_empty_select_attr_selects_everything(world):
    api, path = world("alice", "/v3/platform")
    assert api.get(path, query_string="select_attr=").json == api.get(path).json


@pytest.mark.parametrize(
    ("caller", "path", "attribute"),
    [
        ("alice", "/v3/assembly/{assembly}", "generated_inputs"),  # only in a declare's answer
        ("alice", "/v3/regions/local", "settings"),  # administrators only
    ],
)
def test_an_attribute_the_document_lists_but_this_answer_lacks_is_left_out(
    world, caller, path, attribute
):
    """The stateful schemathesis run sent `select_attr=generated_inputs`, which the
    document allows, and got a 400."""
    api, path = world(caller, path)
    result = api.get(path, params={"select_attr": f"name,{attribute}"})
    assert result.status_code == 200, result.json
    assert result.json == {"name": api.get(path).json["name"]}
