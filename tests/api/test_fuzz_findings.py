"""Inputs that checking the API against its OpenAPI document turned up, kept as regressions."""

from __future__ import annotations

import pytest

from vertice_core.model.types import MAX_INT


def test_a_component_index_of_unicode_digits_is_404_not_500(alice):
    # '²'.isdigit() is true, yet int('²') fails: this was a 500.
    assembly_id = alice.declare().json["id"]
    for index in ("²", "٣", "x"):
        result = alice.get(f"/v3/component/{assembly_id}.{index}")
        assert result.status_code == 404, (index, result.text)


@pytest.mark.parametrize("name", ["start_index", "items_per_page"])
def test_paging_beyond_the_documented_maximum_is_400(alice, name):
    too_big = alice.get("/v3/assembly_factory", params={name: str(MAX_INT + 1)})
    assert too_big.status_code == 400
    assert name in too_big.json["description"]
    assert alice.get("/v3/assembly_factory", params={name: str(MAX_INT)}).status_code == 200


def test_an_integral_json_number_is_an_integer(admin):
    # JSON Schema's `integer` (what the document says) holds 2.0; the converter agrees.
    created = admin.post("/v3/flavors", {"name": "two", "cpu": 2.0, "ram": 512, "disk": 0.0})
    assert created.status_code == 201, created.json
    assert (created.json["cpu"], created.json["disk"]) == (2, 0)
    half = admin.post("/v3/flavors", {"name": "half", "cpu": 1.5, "ram": 512, "disk": 0})
    assert half.status_code == 422
    assert [p["path"] for p in half.json["problems"]] == ["$.cpu"]


def test_blank_select_attr_entries_are_ignored(alice):
    whole = alice.get("/v3/platform").json
    assert alice.get("/v3/platform", params={"select_attr": ","}).json == whole
    picked = alice.get("/v3/platform", params={"select_attr": "name,,uri"})
    assert picked.json == {"name": "vertice", "uri": "/v3/platform"}


def test_a_plan_holding_an_integer_beyond_64_bits_is_stored_and_read_back_exactly(admin):
    # orjson refuses to write such an integer (this was a 500) and reads one as a float.
    big = 2**70 + 1
    plan = {
        "name": "9_big_numbers",
        "camp_version": "1.2",
        "services": [{"name": "s", "characteristics": [{"type": "x::n", "n": big}]}],
    }
    created = admin.post("/v3/plan_factory", plan)
    assert created.status_code == 201, created.json
    (characteristic,) = admin.get("/v3/plan/9_big_numbers").json["services"][0]["characteristics"]
    assert characteristic["n"] == big and isinstance(characteristic["n"], int)
