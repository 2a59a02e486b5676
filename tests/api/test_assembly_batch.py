"""`POST /v3/assembly_factory/batch`: many declarations in one request, each answered as
the single POST would have, the refused ones storing nothing and costing the others nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_quotas import set_quota
from vertice_core.service.assemblies import MAX_BATCH

BATCH = "/v3/assembly_factory/batch"


def declaration(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local",
            "flavor": "small", **fields}  # fmt: skip


def names(client: Any) -> list[str]:
    listing = client.get("/v3/assembly_factory", params={"items_per_page": "500"})
    return sorted(item["name"] for item in listing.json["items"])


def test_a_batch_declares_each_and_answers_each_in_order(alice):
    answer = alice.post(BATCH, {"declarations": [declaration(f"b{i}") for i in range(3)]})
    assert answer.status_code == 200, answer.json
    assert answer.json["created"] == 3 and answer.json["refused"] == 0
    results = answer.json["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["name"] for r in results] == ["b0", "b1", "b2"]
    for result in results:
        assert result["status"] == 201 and result["generation"] == 1
        read = alice.get(result["uri"])
        assert read.status_code == 200 and read.json["id"] == result["id"]
        assert read.json["status"]["phase"] == "PENDING"
    assert names(alice) == ["b0", "b1", "b2"]


def test_a_refused_declaration_stores_nothing_and_the_others_are_stored(alice):
    assert alice.declare("taken").status_code == 201
    answer = alice.post(BATCH, {"declarations": [
        declaration("ok-1"),
        declaration("taken"),  # a name the project uses
        declaration("bad", plan_uri="/v3/plan/no_such_plan"),
        declaration("ok-1"),  # the first one of this batch took the name
        declaration("ok-2"),
    ]})  # fmt: skip
    assert answer.status_code == 200, answer.json
    statuses = [r["status"] for r in answer.json["results"]]
    assert statuses == [201, 409, 422, 409, 201]
    taken = answer.json["results"][1]
    assert taken["title"] == "Conflict" and "taken" in taken["description"]
    plan = answer.json["results"][2]
    assert any("no_such_plan" in p["message"] for p in plan["problems"]), plan
    assert (answer.json["created"], answer.json["refused"]) == (2, 3)
    assert names(alice) == ["ok-1", "ok-2", "taken"]


def test_a_malformed_document_is_refused_in_its_place_as_the_single_post_refuses_it(alice):
    documents = [
        declaration("ok-1"),
        declaration("ok-2", flavor=7),
        declaration("ok-3", colour="red"),
        declaration("ok-4", replicas=10_000),  # over VERTICE_MAX_REPLICAS
    ]
    answer = alice.post(BATCH, {"declarations": documents})
    assert answer.status_code == 200, answer.json
    results = answer.json["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 422]
    for document, result in zip(documents[1:], results[1:], strict=True):
        single = alice.post("/v3/assembly_factory", document)
        assert single.status_code == 422
        assert result["problems"] == single.json["problems"], result
    assert names(alice) == ["ok-1"]


def test_each_declaration_counts_against_the_quota_of_those_before_it(admin, alice):
    project = alice.get("/v3/projects").json["items"][0]["name"]
    set_quota(admin, project, instances=2)
    answer = alice.post(BATCH, {"declarations": [declaration(f"q{i}") for i in range(3)]})
    statuses = [r["status"] for r in answer.json["results"]]
    assert statuses == [201, 201, 403], answer.json
    assert "instances" in answer.json["results"][2]["description"]
    assert names(alice) == ["q0", "q1"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([declaration("a")], "$"),
        ({"declarations": []}, "$.declarations"),
        ({"declarations": declaration("a")}, "$.declarations"),
        ({"declarations": [declaration("a"), ["b"]]}, "$.declarations[1]"),
        ({"declarations": [declaration("a")], "dry_run": True}, "$"),
        ({"declarations": [declaration(f"n{i}") for i in range(MAX_BATCH + 1)]}, "$.declarations"),
    ],
    ids=["a list", "empty", "not a list", "not an object", "another member", "too many"],
)
def test_a_body_that_is_not_a_batch_is_a_422_and_declares_nothing(alice, body, path):
    answer = alice.post(BATCH, body)
    assert answer.status_code == 422, answer.json
    assert answer.json["problems"][0]["path"] == path
    assert names(alice) == []


def test_a_batch_needs_a_token(alice):
    answer = alice.client.simulate_post(BATCH, json={"declarations": [declaration("a")]})
    assert answer.status_code == 401
