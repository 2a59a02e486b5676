"""Flavors: `/v3/flavors[/{name}]` (everyone reads, `?region=` filters; admins write)."""

from __future__ import annotations

import pytest

FLAVOR = {"name": "xl", "cpu": 8, "ram": 16384, "disk": 160, "price_per_hour": 0.5}


@pytest.fixture
def regions(admin):
    for name in ("east", "west"):
        assert admin.post("/v3/regions", {"name": name, "cloud_type": "sim"}).status_code == 201
    admin.post("/v3/flavors", {**FLAVOR, "name": "east-only", "regions": ["east"]})
    admin.post("/v3/flavors", {**FLAVOR, "name": "both", "regions": ["east", "west"]})


def names(result):
    assert result.status_code == 200, result.text
    return [i["name"] for i in result.json["items"]]


def test_default_flavors_are_seeded(alice):
    result = alice.get("/v3/flavors")
    assert names(result) == ["large", "medium", "small"]
    small = alice.get("/v3/flavors/small").json
    assert (small["type"], small["cpu"], small["ram"], small["disk"]) == ("flavor", 1, 1024, 10)
    assert (small["price_per_hour"], small["currency"], small["regions"]) == (0.01, "USD", [])


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("east", ["both", "east-only", "large", "medium", "small"]),
        ("west", ["both", "large", "medium", "small"]),
        ("local", ["large", "medium", "small"]),
    ],
)
def test_region_filter(alice, regions, region, expected):
    assert names(alice.get("/v3/flavors", params={"region": region})) == expected


def test_an_unknown_region_filter_is_422(alice):
    result = alice.get("/v3/flavors", params={"region": "atlantis"})
    assert result.status_code == 422
    assert "atlantis" in result.json["description"]


def test_admin_creates_a_flavor(admin, alice):
    created = admin.post("/v3/flavors", FLAVOR)
    assert created.status_code == 201, created.json
    assert created.headers["location"] == "/v3/flavors/xl"
    assert alice.get("/v3/flavors/xl").json["price_per_hour"] == 0.5
    assert admin.post("/v3/flavors", FLAVOR).status_code == 409


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"cpu": 0}, "$.cpu"),
        ({"cpu": "8"}, "$.cpu"),
        ({"cpu": 2**31}, "$.cpu"),
        ({"ram": 1.5}, "$.ram"),
        ({"disk": -1}, "$.disk"),
        ({"price_per_hour": -0.1}, "$.price_per_hour"),
        ({"price_per_hour": "free"}, "$.price_per_hour"),
        ({"regions": ["atlantis"]}, "$.regions[0]"),
        ({"regions": "east"}, "$.regions"),
        ({"currency": "dollars"}, "$.currency"),
        ({"name": ""}, "$.name"),
        ({"gpu": 1}, "$.gpu"),
    ],
)
def test_invalid_flavors_are_422_with_paths(admin, snapshot, change, path):
    before = snapshot()
    result = admin.post("/v3/flavors", {**FLAVOR, **change})
    assert result.status_code == 422, result.json
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_a_missing_field_is_named(admin):
    result = admin.post("/v3/flavors", {"name": "tiny"})
    assert {p["path"] for p in result.json["problems"]} == {"$.cpu", "$.ram", "$.disk"}


def test_admin_replaces_a_flavor(admin, regions):
    body = {k: v for k, v in FLAVOR.items() if k != "name"}
    replaced = admin.put("/v3/flavors/both", {**body, "regions": ["west"], "cpu": 16})
    assert replaced.status_code == 200, replaced.json
    assert (replaced.json["name"], replaced.json["cpu"]) == ("both", 16)
    assert admin.get("/v3/flavors/both").json["regions"] == ["west"]
    renamed = admin.put("/v3/flavors/both", FLAVOR)
    assert renamed.status_code == 422
    assert renamed.json["problems"][0]["path"] == "$.name"
    assert admin.put("/v3/flavors/nothing", {**FLAVOR, "name": "nothing"}).status_code == 404


def test_admin_deletes_a_flavor(admin):
    admin.post("/v3/flavors", FLAVOR)
    assert admin.delete("/v3/flavors/xl").status_code == 204
    assert admin.get("/v3/flavors/xl").status_code == 404
    assert admin.delete("/v3/flavors/xl").status_code == 404


def test_a_flavor_in_use_cannot_go(admin, alice, snapshot):
    alice.declare("web-1", flavor="medium")
    before = snapshot()
    result = admin.delete("/v3/flavors/medium")
    assert result.status_code == 409
    assert "web-1" in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v3/flavors"), ("PUT", "/v3/flavors/small"), ("DELETE", "/v3/flavors/small")],
)
def test_users_may_not_write_flavors(alice, snapshot, method, path):
    before = snapshot()
    result = alice.client.simulate_request(method, path, json=FLAVOR, headers=alice.headers())
    assert result.status_code == 403
    assert snapshot() == before
