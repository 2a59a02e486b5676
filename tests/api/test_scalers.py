"""Scalers: `/v3/scalers[/{id}]`, one per assembly, declared per project, validated up front.

The declaration-time check of a query against a real Prometheus is in
`tests/test_scaler_prometheus.py`; here no Prometheus is configured, so every
well-formed query is accepted.
"""

from __future__ import annotations

import pytest

QUERY = 'sum(rate(caddy_http_requests_total{server="srv0"}[1m]))'


def scaler(assembly="web-1", **fields):
    return {"assembly": assembly, "min": 1, "max": 5, "query": QUERY, "target": 100, **fields}


def patch(api, uri, changes):
    return api.client.simulate_patch(uri, json=changes, headers=api.headers())


def test_declare_read_list_change_delete(alice):
    assembly_id = alice.declare("web-1").json["id"]
    created = alice.post("/v3/scalers", scaler(target_type="total", scale_down_window=60))
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["location"] == body["uri"] == f"/v3/scalers/{body['id']}"
    assert body["type"] == "scaler"
    assert body["assembly_uri"] == f"/v3/assembly/{assembly_id}"
    assert (body["min"], body["max"], body["query"], body["target"]) == (1, 5, QUERY, 100)
    assert (body["target_type"], body["tolerance"], body["max_step"]) == ("total", 0.1, 4)
    assert (body["scale_up_window"], body["scale_down_window"], body["cooldown"]) == (0, 60, 30)
    assert body["generation"] == 1 and body["status"]["conditions"] == []
    assert alice.get(body["uri"]).json == body
    assert [i["id"] for i in alice.get("/v3/scalers").json["items"]] == [body["id"]]
    changed = patch(alice, body["uri"], {"max": 8, "target": 50.5})
    assert changed.status_code == 200, changed.json
    assert (changed.json["max"], changed.json["target"], changed.json["generation"]) == (8, 50.5, 2)
    same = patch(alice, body["uri"], {"max": 8})
    assert same.json["generation"] == 2
    assert alice.delete(body["uri"]).status_code == 204
    assert alice.get(body["uri"]).status_code == 404
    assert alice.delete(body["uri"]).status_code == 404
    assert alice.get("/v3/scalers").json["items"] == []


def test_one_scaler_per_assembly(alice):
    assembly_id = alice.declare("web-1").json["id"]
    first = alice.post("/v3/scalers", scaler()).json
    again = alice.post("/v3/scalers", scaler(assembly=assembly_id, max=3))
    assert again.status_code == 409
    assert first["id"] in again.json["description"]


def test_another_projects_assembly_and_scaler_are_not_found(alice, bob):
    alice.declare("web-1")
    theirs = bob.declare("only-bob").json["id"]
    for ref in ("only-bob", theirs, "missing"):
        answer = alice.post("/v3/scalers", scaler(assembly=ref))
        assert answer.status_code == 404, (ref, answer.json)
    bobs = bob.post("/v3/scalers", scaler(assembly="only-bob")).json
    assert alice.get(bobs["uri"]).status_code == 404
    assert patch(alice, bobs["uri"], {"max": 2}).status_code == 404
    # Not found comes first, whatever the body says.
    for body in ({"max": "many"}, {"assembly": "other"}, ["max"]):
        assert patch(alice, bobs["uri"], body).status_code == 404, body
    malformed = alice.client.simulate_patch(
        bobs["uri"], body="{not json", headers=alice.headers({"Content-Type": "application/json"})
    )
    assert malformed.status_code == 404, malformed.json
    assert alice.delete(bobs["uri"]).status_code == 404
    assert alice.get("/v3/scalers").json["items"] == []
    assert bob.get(bobs["uri"]).json["max"] == 5


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"min": -1}, "$.min"),
        ({"min": 6}, "$.max"),
        ({"max": 0, "min": 0}, "$.max"),
        ({"max": 101}, "$.max"),
        ({"max": "5"}, "$.max"),
        ({"query": ""}, "$.query"),
        ({"query": "   "}, "$.query"),
        ({"query": "x" * 4097}, "$.query"),
        ({"query": 5}, "$.query"),
        ({"target": 0}, "$.target"),
        ({"target": -3.5}, "$.target"),
        ({"target": "high"}, "$.target"),
        ({"target_type": "median"}, "$.target_type"),
        ({"tolerance": 1}, "$.tolerance"),
        ({"tolerance": -0.1}, "$.tolerance"),
        ({"scale_up_window": -1}, "$.scale_up_window"),
        ({"scale_down_window": 86401}, "$.scale_down_window"),
        ({"cooldown": True}, "$.cooldown"),
        ({"max_step": 0}, "$.max_step"),
        ({"max_step": 1001}, "$.max_step"),
        ({"project": "no-such-project"}, "$.project"),
        ({"unknown": 1}, "$.unknown"),
    ],
)
def test_bad_scalers_are_422_naming_the_field_and_store_nothing(alice, snapshot, fields, path):
    alice.declare("web-1")
    before = snapshot()
    answer = alice.post("/v3/scalers", scaler(**fields))
    assert answer.status_code == 422, answer.json
    assert path in [p["path"] for p in answer.json["problems"]], answer.json
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"min": 9}, "$.max"),
        ({"max": 101}, "$.max"),
        ({"target": 0}, "$.target"),
        ({"assembly": "web-2"}, "$.assembly"),
        ({"target_type": "total"}, "$.target_type"),
    ],
)
def test_bad_changes_are_422_naming_the_field_and_store_nothing(alice, snapshot, changes, path):
    alice.declare("web-1")
    uri = alice.post("/v3/scalers", scaler()).json["uri"]
    before = snapshot()
    answer = patch(alice, uri, changes)
    assert answer.status_code == 422, answer.json
    assert path in [p["path"] for p in answer.json["problems"]], answer.json
    assert snapshot() == before


def test_an_administrator_sees_every_projects_scalers(alice, admin):
    alice.declare("web-1")
    declared = alice.post("/v3/scalers", scaler()).json
    (seen,) = admin.get("/v3/scalers").json["items"]
    assert (seen["id"], seen["project"]) == (declared["id"], declared["project"])
    narrowed = admin.get("/v3/scalers", params={"project": declared["project"]})
    assert narrowed.json["items"] == [seen]
