"""Placement across regions end to end in-process: two simulated regions (two accounts of
the sim cloud), spread, fallback on a capacity error, cheapest, and their 4xx."""

from __future__ import annotations

from collections import Counter

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def east(admin, ctx):
    """A second sim region (`east`: another account of the same simulated cloud)."""
    created = admin.post(
        "/v3/regions", {"name": "east", "cloud_type": "sim", "settings": {"account": "east"}}
    )
    assert created.status_code == 201, created.json
    return "east"


def placed_in(sim_cloud) -> Counter[str]:
    """Live instances per account (region) of the simulated cloud."""
    return Counter(
        account
        for account in ("default", "east")
        for row in sim_cloud.all_rows(account)
        if row["state"] != "terminated"
    )


def settled(alice, uri, replicas) -> bool:
    status = alice.status(uri)
    return (status["phase"], status.get("ready_replicas")) == ("RUNNING", replicas)


def test_spread_places_replicas_evenly_and_a_deleted_assembly_leaves_no_instance(
    alice, east, make_reconciler, converge, sim_cloud
):
    uri = alice.declare(
        "web", region=None, replicas=4, placement={"policy": "spread", "regions": ["local", east]}
    ).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: settled(alice, uri, 4))
    assert placed_in(sim_cloud) == {"default": 2, "east": 2}
    status = alice.status(uri)
    assert [(i["ordinal"], i["region"]) for i in status["instances"]] == [
        (0, "local"), (1, "east"), (2, "local"), (3, "east"),
    ]  # fmt: skip
    assert [(p["region"], p["replicas"], p["ready_replicas"]) for p in status["placement"]] == [
        ("local", 2, 2),
        (east, 2, 2),
    ]
    assert alice.condition(uri, "Ready")["status"] == "True"
    assert alice.condition(uri, "Synced")["status"] == "True"
    document = alice.get(uri).json
    assert document["region"] == "local"
    assert document["placement"] == {"policy": "spread", "regions": ["local", "east"]}
    # A settled assembly costs no write: a pass over each region leaves the row alone.
    before = alice.get(uri).json["status"]
    for _ in range(3):
        reconciler.run_pass()
    assert alice.get(uri).json["status"] == before

    alice.replace(uri, "/replicas", 5)
    converge(reconciler, lambda: settled(alice, uri, 5))
    assert placed_in(sim_cloud) == {"default": 3, "east": 2}
    alice.replace(uri, "/replicas", 2)
    converge(reconciler, lambda: settled(alice, uri, 2) and sum(placed_in(sim_cloud).values()) == 2)
    assert placed_in(sim_cloud) == {"default": 1, "east": 1}

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    assert placed_in(sim_cloud) == {}


def test_fallback_places_in_the_next_region_when_the_first_refuses_for_capacity(
    alice, admin, east, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(capacity=1)
    uri = alice.declare(
        "web", replicas=3, placement={"policy": "fallback", "regions": ["local", east]}
    ).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: settled(alice, uri, 3))
    assert placed_in(sim_cloud) == {"default": 1, "east": 2}
    status = alice.status(uri)
    assert sorted(i["region"] for i in status["instances"]) == ["east", "east", "local"]
    local = next(p for p in status["placement"] if p["region"] == "local")
    assert local["failed"]["reason"] == "QuotaExceeded"
    assert alice.condition(uri, "Synced")["status"] == "True"
    warnings = [e for e in alice.get(uri + "/events").json["items"] if e["type"] == "Warning"]
    # The three creates went to `local` at once (it had not refused yet): whichever came
    # first got the room, and each of the other two was refused with a Warning.
    (kept,) = [i["ordinal"] for i in status["instances"] if i["region"] == "local"]
    assert sorted(e["message"].split(":")[0] for e in warnings) == [
        f"region local refused instance {o}" for o in (0, 1, 2) if o != kept
    ]
    assert {e["reason"] for e in warnings} == {"PlacementRefused"}


def test_every_region_refusing_leaves_instances_waiting_with_a_reason(
    alice, admin, east, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(capacity=1)
    capped = admin.put(
        f"/v3/regions/{east}",
        {"name": east, "cloud_type": "sim", "settings": {"account": "east", "capacity": 1}},
    )
    assert capped.status_code == 200, capped.json
    uri = alice.declare(
        "web", replicas=3, placement={"policy": "spread", "regions": ["local", east]}
    ).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.status(uri).get("reason") == "NoRegionAvailable")
    assert placed_in(sim_cloud) == {"default": 1, "east": 1}
    synced = alice.condition(uri, "Synced")
    assert synced["status"] == "False"
    assert "1 instance(s) wait for a region" in synced["message"]
    assert "QuotaExceeded" in synced["message"]
    assert alice.status(uri)["phase"] == "LAUNCHING"


def test_cheapest_places_where_the_flavor_costs_least(
    alice, admin, east, make_reconciler, converge, sim_cloud
):
    flavor = admin.get("/v3/flavors/small").json
    body = {k: flavor[k] for k in ("name", "cpu", "ram", "disk", "price_per_hour", "currency")}
    replaced = admin.put(
        "/v3/flavors/small", {**body, "region_prices": {east: flavor["price_per_hour"] / 2}}
    )
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["region_prices"] == {east: flavor["price_per_hour"] / 2}
    uri = alice.declare(
        "web", replicas=2, placement={"policy": "cheapest", "regions": ["local", east]}
    ).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: settled(alice, uri, 2))
    assert placed_in(sim_cloud) == {"east": 2}


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"region": None}, "$.region", "name a region, or a placement"),
        (
            {"region": "local", "placement": {"policy": "spread", "regions": ["east", "local"]}},
            "$.region",
            "must be the first of placement.regions",
        ),
        (
            {"placement": {"policy": "spread", "regions": ["local", "nowhere"]}},
            "$.placement.regions[1]",
            "there is no region named 'nowhere'",
        ),
        (
            {"placement": {"policy": "spread", "regions": ["local"]}},
            "$.placement.regions",
            "from 2 to 8",
        ),
        (
            {"placement": {"policy": "random", "regions": ["local", "east"]}},
            "$.placement.policy",
            "",
        ),
    ],
)
def test_a_bad_placement_is_a_422_naming_the_field_and_stores_nothing(
    alice, east, fields, path, words
):
    answer = alice.declare("web", **fields)
    assert answer.status_code == 422, answer.json
    problems = answer.json["problems"]
    assert any(p["path"] == path and words in p["message"] for p in problems), problems
    assert alice.get("/v3/assembly_factory").json["total_items"] == 0
