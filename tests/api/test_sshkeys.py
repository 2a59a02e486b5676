"""SSH keys: `/v3/sshkeys[/{name}]`, stored per project, with their fingerprints."""

from __future__ import annotations

import base64
import hashlib

import pytest


def expected_fingerprint(line):
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_store_read_list_delete(alice, public_key):
    key = public_key("alice@laptop")
    created = alice.post("/v3/sshkeys", {"name": "laptop", "public_key": f"  {key}\n"})
    assert created.status_code == 201, created.json
    body = created.json
    project = alice.get("/v3/projects").json["items"][0]["name"]
    assert created.headers["location"] == f"/v3/sshkeys/laptop?project={project}"
    assert (body["type"], body["public_key"], body["project"]) == ("sshkey", key, project)
    assert body["fingerprint"] == expected_fingerprint(key)
    assert alice.get("/v3/sshkeys/laptop").json == body
    assert alice.get(created.headers["location"]).json == body
    assert [i["name"] for i in alice.get("/v3/sshkeys").json["items"]] == ["laptop"]
    assert alice.delete("/v3/sshkeys/laptop").status_code == 204
    assert alice.get("/v3/sshkeys/laptop").status_code == 404
    assert alice.delete("/v3/sshkeys/laptop").status_code == 404


@pytest.mark.parametrize(
    "public_key",
    [
        "",
        "not a key",
        "ssh-ed25519",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        "ssh-ed25519 not*base64",
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIG2FKM0uX3ntH1Ul3ECQFx/nU8YAGnV2R6pcGzdJKNa5",
        "ssh-ed25519 AAAA",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    ],
)
def test_a_bad_key_is_422(alice, snapshot, public_key):
    before = snapshot()
    result = alice.post("/v3/sshkeys", {"name": "k", "public_key": public_key})
    assert result.status_code == 422, result.json
    assert result.json["problems"][0]["path"] == "$.public_key"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"public_key": "x"}, "$.name"),
        ({"name": "k"}, "$.public_key"),
        ({"name": "k k", "public_key": "x"}, "$.name"),
        ({"name": "k", "public_key": 5}, "$.public_key"),
        ({"name": "k", "public_key": "x", "comment": "c"}, "$.comment"),
    ],
)
def test_key_fields_are_validated(alice, body, path):
    result = alice.post("/v3/sshkeys", body)
    assert result.status_code == 422
    assert path in [p["path"] for p in result.json["problems"]]


def test_a_duplicate_name_in_the_project_is_409(alice, bob, public_key):
    assert alice.post("/v3/sshkeys", {"name": "k", "public_key": public_key()}).status_code == 201
    assert alice.post("/v3/sshkeys", {"name": "k", "public_key": public_key()}).status_code == 409
    assert bob.post("/v3/sshkeys", {"name": "k", "public_key": public_key()}).status_code == 201


def test_keys_per_project(alice, public_key):
    first = alice.get("/v3/projects").json["items"][0]["name"]
    alice.post("/v3/projects", {"name": "second"})
    alice.post("/v3/sshkeys", {"name": "a", "public_key": public_key()})
    created = alice.post(
        "/v3/sshkeys", {"name": "b", "public_key": public_key(), "project": "second"}
    )
    assert created.json["project"] == "second"
    all_keys = alice.get("/v3/sshkeys").json["items"]
    assert [(k["name"], k["project"]) for k in all_keys] == [("a", first), ("b", "second")]
    narrowed = alice.get("/v3/sshkeys", params={"project": "second"}).json["items"]
    assert [k["name"] for k in narrowed] == ["b"]
    assert alice.get("/v3/sshkeys/a", params={"project": "second"}).status_code == 404
    assert alice.get("/v3/sshkeys/b", params={"project": "second"}).status_code == 200


def test_an_unknown_project_is_404_or_422(alice, public_key):
    assert alice.get("/v3/sshkeys", params={"project": "nope"}).status_code == 404
    created = alice.post(
        "/v3/sshkeys", {"name": "k", "public_key": public_key(), "project": "nope"}
    )
    assert created.status_code == 422
    assert created.json["problems"][0]["path"] == "$.project"


def test_admins_see_every_key(admin, alice, bob, public_key):
    alice.post("/v3/sshkeys", {"name": "a", "public_key": public_key()})
    bob.post("/v3/sshkeys", {"name": "b", "public_key": public_key()})
    assert [k["name"] for k in admin.get("/v3/sshkeys").json["items"]] == ["a", "b"]
