"""Bad input on every write route: 400, 413, 415 and 422 with paths; nothing stored changes.

Each write route is a row of `ROUTES`: who calls it, where, a body it accepts
and a body of wrong types with the JSON paths the 422 must name. Every case
checks that the store is exactly as before and that no answer is a 5xx.
"""

from __future__ import annotations

import json

import pytest

from vertice_api.http import MAX_BODY

DECLARATION = {"name": "w", "plan_uri": "1_virtualmachine_ubuntu", "region": "local",
               "flavor": "small"}  # fmt: skip
PATCH = "application/json-patch+json"
KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAjGBsxuDZ3/SPI8pcZ74GusMtMsCUAgugS/bqHPBiLK test@vertice"
)


def route(caller, method, path, valid, wrong, paths, media="application/json"):
    return pytest.param(caller, method, path, valid, wrong, paths, media, id=f"{method} {path}")


ROUTES = [
    route("admin", "POST", "/v3/plan_factory", {"name": "p9", "camp_version": "1.2"},
          {"name": 5, "camp_version": "1.2", "tags": 7, "services": "x"},
          ["$.name", "$.tags", "$.services"]),
    route("admin", "PUT", "/v3/plan/2_application_java", {"camp_version": "1.2"},
          {"camp_version": "1.2", "description": 3, "services": [{"name": 1}]},
          ["$.description", "$.services[0].name"]),
    route("alice", "POST", "/v3/assembly_factory", DECLARATION,
          {"name": 1, "plan_uri": 2, "region": [], "flavor": {}},
          ["$.name", "$.plan_uri", "$.region", "$.flavor"]),
    route("alice", "PATCH", "/v3/assembly/{assembly}", [],
          [{"op": "replace", "path": "/name", "value": 1},
           {"op": "replace", "path": "/tags", "value": 5}],
          ["$.name", "$.tags"], PATCH),
    route("admin", "POST", "/v3/regions", {"name": "r9", "cloud_type": "sim"},
          {"name": "r9", "cloud_type": 1, "settings": [], "endpoint": 2},
          ["$.cloud_type", "$.settings", "$.endpoint"]),
    route("admin", "PUT", "/v3/regions/local", {"cloud_type": "sim"},
          {"cloud_type": "sim", "description": [], "provider_region": 1},
          ["$.description", "$.provider_region"]),
    route("admin", "POST", "/v3/flavors", {"name": "f9", "cpu": 1, "ram": 1, "disk": 1},
          {"name": "f9", "cpu": "1", "ram": [], "disk": None}, ["$.cpu", "$.ram", "$.disk"]),
    route("admin", "PUT", "/v3/flavors/small", {"cpu": 1, "ram": 1, "disk": 1},
          {"cpu": 1.5, "ram": 1, "disk": 1, "regions": [1]}, ["$.cpu", "$.regions[0]"]),
    route("alice", "POST", "/v3/sshkeys", {"name": "k", "public_key": KEY},
          {"name": 1, "public_key": 2}, ["$.name", "$.public_key"]),
    route("alice", "POST", "/v3/projects", {"name": "p9"},
          {"name": 1, "description": 2}, ["$.name", "$.description"]),
    route("alice", "POST", "/v3/projects/{project}/members", {"user": "bob"},
          {"user": 1}, ["$.user"]),
    route("admin", "POST", "/v3/users", {"name": "carol"},
          {"name": 1, "admin": "no"}, ["$.name", "$.admin"]),
    route("alice", "POST", "/v3/tokens", {"name": "t"},
          {"name": 1, "expires_in": "1"}, ["$.name", "$.expires_in"]),
    route("admin", "POST", "/v3/balances/{project}/credits", {"amount": "1"},
          {"amount": [], "currency": 1, "note": 2}, ["$.amount", "$.currency", "$.note"]),
    route("alice", "POST", "/v3/assembly/{assembly}/snapshots", {"name": "s1"},
          {"name": 1, "instance": "0"}, ["$.name", "$.instance"]),
]  # fmt: skip

#: Routes whose valid body needs the assembly's instance observed running (a reconciler's pass).
RUNNING = ("/v3/assembly/{assembly}/snapshots",)

DELETES = [
    ("admin", "/v3/plan/no_such_plan"),
    ("alice", "/v3/assembly/asm-0000000000000000"),
    ("admin", "/v3/regions/no-such-region"),
    ("admin", "/v3/flavors/no-such-flavor"),
    ("alice", "/v3/sshkeys/no-such-key"),
    ("alice", "/v3/projects/no-such-project"),
    ("alice", "/v3/projects/{project}/members/nobody"),
    ("admin", "/v3/users/nobody"),
    ("alice", "/v3/tokens/tok-0000000000000000"),
    ("alice", "/v3/snapshots/sn-0000000000000000"),
]


@pytest.fixture
def world(request, admin, alice, bob):
    """The users and one assembly of alice (running, for the routes of `RUNNING`); returns
    the values route templates name."""
    created = alice.declare("web-1")
    assert created.status_code == 201
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("path") in RUNNING:
        uri = created.headers["location"]
        converge = request.getfixturevalue("converge")
        converge(request.getfixturevalue("make_reconciler")(),
                 lambda: alice.status(uri)["phase"] == "RUNNING")  # fmt: skip
    return {
        "callers": {"admin": admin, "alice": alice, "bob": bob},
        "assembly": created.json["id"],
        "project": alice.get("/v3/projects").json["items"][0]["name"],
    }


def send(world, caller, method, path, body, media):
    api = world["callers"][caller]
    path = path.format(assembly=world["assembly"], project=world["project"])
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    headers = api.headers({"Content-Type": media} if media else {})
    result = api.client.simulate_request(method, path, body=body, headers=headers)
    assert result.status_code < 500, result.text
    return result


ARGS = ("caller", "method", "path", "valid", "wrong", "paths", "media")


@pytest.mark.parametrize(ARGS, ROUTES)
def test_malformed_json_is_400_naming_the_position(
    world, snapshot, caller, method, path, valid, wrong, paths, media
):
    before = snapshot()
    result = send(world, caller, method, path, '{"name": "x",\n  "broken": }', media)
    assert result.status_code == 400
    assert result.json["title"] == "Malformed JSON"
    assert "line 2 column 13" in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(ARGS, ROUTES)
def test_wrong_media_type_is_415(world, snapshot, caller, method, path, valid, wrong, paths, media):
    before = snapshot()
    for wrong_media in ("text/plain", "application/xml", None, "json", "application/json-seq"):
        if wrong_media == media:
            continue
        result = send(world, caller, method, path, valid, wrong_media)
        assert result.status_code == 415, wrong_media
        assert media in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(ARGS, ROUTES)
def test_a_body_over_one_mib_is_413(
    world, snapshot, caller, method, path, valid, wrong, paths, media
):
    before = snapshot()
    padding = "x" * MAX_BODY
    big = [{"op": "test", "path": "/description", "value": padding}] if media == PATCH else {
        **valid, "description": padding}  # fmt: skip
    result = send(world, caller, method, path, big, media)
    assert result.status_code == 413
    assert "1 MiB" in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(ARGS, ROUTES)
def test_an_unknown_field_is_422_at_its_path(
    world, snapshot, caller, method, path, valid, wrong, paths, media
):
    before = snapshot()
    if media == PATCH:
        body, expected = [{"op": "add", "path": "/colour", "value": "red"}], "$[0].path"
    else:
        body, expected = {**valid, "colour": "red"}, "$.colour"
    result = send(world, caller, method, path, body, media)
    assert result.status_code == 422, result.text
    assert expected in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


@pytest.mark.parametrize(ARGS, ROUTES)
def test_wrong_types_are_422_with_their_paths(
    world, snapshot, caller, method, path, valid, wrong, paths, media
):
    before = snapshot()
    result = send(world, caller, method, path, wrong, media)
    assert result.status_code == 422, result.text
    assert sorted(p["path"] for p in result.json["problems"]) == sorted(paths)
    assert all(p["path"] in result.json["description"] for p in result.json["problems"])
    assert snapshot() == before


HOSTILE = {
    "empty": ("", 400),
    "whitespace": ("  \n", 400),
    "not utf-8": (b'{"name": "\xff\xfe"}', 400),
    "NaN": ('{"name": NaN}', 400),
    "huge number": ('{"name": 1e999}', 400),
    "deep nesting": ("[" * 5000 + "]" * 5000, 400),
    "lone surrogate": ('{"name": "\\ud800"}', 400),
    "null": ("null", 422),
    "a string": ('"text"', 422),
    "a number": ("42", 422),
}


@pytest.mark.parametrize(ARGS, ROUTES)
def test_hostile_bodies_are_refused(
    world, snapshot, caller, method, path, valid, wrong, paths, media
):
    before = snapshot()
    for hostile, (body, status) in HOSTILE.items():
        # JSON, but no JSON Patch document: RFC 5789's malformed patch, a 400.
        expected = 400 if media == PATCH and status == 422 else status
        result = send(world, caller, method, path, body, media)
        assert result.status_code == expected, (hostile, result.text)
        assert result.json["title"], hostile
    assert snapshot() == before


@pytest.mark.parametrize(ARGS, ROUTES)
def test_the_valid_body_is_accepted(world, caller, method, path, valid, wrong, paths, media):
    result = send(world, caller, method, path, valid, media)
    assert result.status_code in (200, 201, 202), result.text


@pytest.mark.parametrize(("caller", "path"), DELETES)
def test_deleting_what_does_not_exist_is_404(world, snapshot, caller, path):
    before = snapshot()
    result = send(world, caller, "DELETE", path, "", None)
    assert result.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("caller", "path"), DELETES)
def test_a_body_sent_with_delete_is_ignored(world, snapshot, caller, path):
    before = snapshot()
    result = send(world, caller, "DELETE", path, "{not json", "text/plain")
    assert result.status_code == 404
    assert snapshot() == before
