"""`GET /v3/assembly_factory`: sorting, paging and its limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from vertice_core.store.tables import AssemblyRow

#: name -> (creation order, phase)
FLEET = {"delta": (2, "RUNNING"), "alpha": (3, "RUNNING"), "charlie": (0, "PENDING"),
         "bravo": (1, "FAILED")}  # fmt: skip
EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def fleet(alice, store):
    """Four assemblies of alice with distinct creation times and known phases."""
    for name in FLEET:
        assert alice.declare(name).status_code == 201
    with store.write() as session:
        for name, (order, phase) in FLEET.items():
            session.execute(
                update(AssemblyRow)
                .where(AssemblyRow.name == name)
                .values(created_at=EPOCH + timedelta(minutes=order), phase=phase)
            )
    return alice


def names(result):
    assert result.status_code == 200, result.text
    return [i["name"] for i in result.json["items"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["alpha", "bravo", "charlie", "delta"]),
        ("+name", ["alpha", "bravo", "charlie", "delta"]),
        ("name", ["alpha", "bravo", "charlie", "delta"]),
        ("-name", ["delta", "charlie", "bravo", "alpha"]),
        ("+created_at", ["charlie", "bravo", "delta", "alpha"]),
        ("-created_at", ["alpha", "delta", "bravo", "charlie"]),
        ("+status", ["bravo", "charlie", "alpha", "delta"]),
        ("-status", ["delta", "alpha", "charlie", "bravo"]),
    ],
)
def test_sort(fleet, sort, expected):
    params = {"sort": sort} if sort else {}
    assert names(fleet.get("/v3/assembly_factory", params=params)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=+name", ["alpha", "bravo", "charlie", "delta"]),
        ("sort=%2Bname", ["alpha", "bravo", "charlie", "delta"]),
        ("sort=+created_at", ["charlie", "bravo", "delta", "alpha"]),
        ("sort=+status", ["bravo", "charlie", "alpha", "delta"]),
    ],
)
def test_a_plus_sent_unencoded_arrives_as_a_space(fleet, query, expected):
    assert names(fleet.get("/v3/assembly_factory", query_string=query)) == expected


def test_items_carry_uri_name_and_status(fleet):
    item = fleet.get("/v3/assembly_factory").json["items"][0]
    assert set(item) == {"uri", "name", "status"}
    assert item["uri"].startswith("/v3/assembly/asm-")
    assert item["status"] == "RUNNING"


@pytest.mark.parametrize(
    ("start", "size", "expected"),
    [
        ("0", "2", ["alpha", "bravo"]),
        ("2", "2", ["charlie", "delta"]),
        ("3", "5", ["delta"]),
        ("4", "5", []),
        ("1000", "1", []),
        ("1", None, ["bravo", "charlie", "delta"]),
    ],
)
def test_paging(fleet, start, size, expected):
    params = {"start_index": start, **({"items_per_page": size} if size else {})}
    result = fleet.get("/v3/assembly_factory", params=params)
    assert names(result) == expected
    assert result.json["total_items"] == 4
    assert result.json["start_index"] == int(start)


def test_items_per_page_is_capped(alice):
    result = alice.get("/v3/assembly_factory", params={"items_per_page": "100000"})
    assert result.status_code == 200
    assert result.json["items_per_page"] == 500


def test_default_page_size(alice):
    assert alice.get("/v3/assembly_factory").json["items_per_page"] == 50


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sort": "+colour"}, "sort"),
        ({"sort": "created"}, "sort"),
        ({"sort": "-"}, "sort"),
        ({"sort": "+-name"}, "sort"),
        ({"start_index": "-1"}, "start_index"),
        ({"start_index": "one"}, "start_index"),
        ({"start_index": "1.5"}, "start_index"),
        ({"start_index": str(10**30)}, "start_index"),
        ({"items_per_page": "0"}, "items_per_page"),
        ({"items_per_page": "-3"}, "items_per_page"),
        ({"items_per_page": "ten"}, "items_per_page"),
        # empty values are not integers, nor one of the sorts (issue 17, item 10)
        ({"items_per_page": ""}, "items_per_page"),
        ({"start_index": ""}, "start_index"),
        ({"sort": ""}, "sort"),
    ],
)
def test_bad_sort_or_paging_is_400(alice, params, named):
    alice.declare()
    result = alice.get("/v3/assembly_factory", params=params)
    assert result.status_code == 400, result.text
    assert named in result.json["description"]


def test_a_user_lists_only_their_projects(alice, bob):
    alice.declare("mine")
    bob.declare("theirs")
    assert names(alice.get("/v3/assembly_factory")) == ["mine"]
    assert names(bob.get("/v3/assembly_factory")) == ["theirs"]


def test_the_collection_filters_by_name(alice, bob):
    for name in ("web", "db"):
        assert alice.declare(name).status_code == 201
    assert bob.declare("web").status_code == 201
    page = alice.get("/v3/assembly_factory", params={"name": "web"})
    assert page.status_code == 200
    assert [i["name"] for i in page.json["items"]] == ["web"]
    assert page.json["total_items"] == 1
    assert alice.get("/v3/assembly_factory", params={"name": "nothing"}).json["items"] == []
