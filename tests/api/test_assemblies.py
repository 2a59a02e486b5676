"""The assembly routes: declare, read, list, patch (JSON Patch, If-Match), delete."""

from __future__ import annotations


def test_declare_then_read(alice):
    created = alice.declare(
        "web-1", credential={"kind": "root_password", "password": "s3cret-pass"}
    )
    assert created.status_code == 201, created.json
    uri = created.headers["location"]
    assert uri == created.json["uri"]
    read = alice.get(uri)
    assert read.status_code == 200
    body = read.json
    assert body["name"] == "web-1"
    assert body["status"]["phase"] == "PENDING"
    assert body["credential"] == {"kind": "root_password", "password_set": True}
    assert "s3cret-pass" not in read.text
    assert read.headers["etag"] == '"1"'


def test_list_sorted_and_paged(alice):
    for name in ("b", "c", "a"):
        assert alice.declare(name).status_code == 201
    page = alice.get("/v3/assembly_factory", params={"sort": "+name", "items_per_page": "2"})
    assert page.status_code == 200
    assert [i["name"] for i in page.json["items"]] == ["a", "b"]
    assert page.json["total_items"] == 3
    rest = alice.get(
        "/v3/assembly_factory", params={"sort": "-name", "start_index": "2", "items_per_page": "2"}
    )
    assert [i["name"] for i in rest.json["items"]] == ["a"]


def test_patch_desired_state_bumps_generation(alice):
    uri = alice.declare().headers["location"]
    patched = alice.patch(
        uri,
        [{"op": "replace", "path": "/desired_state", "value": "stopped"}],
        headers={"If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["desired_state"] == "stopped"
    assert patched.json["generation"] == 2
    stale = alice.patch(
        uri, [{"op": "replace", "path": "/description", "value": "x"}], headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412


def test_delete_is_accepted_and_marks(alice):
    uri = alice.declare().headers["location"]
    deleted = alice.delete(uri)
    assert deleted.status_code == 202
    assert deleted.json["desired_state"] == "deleted"
    assert alice.get(uri).json["desired_state"] == "deleted"


def test_other_users_assembly_is_not_found(alice, bob):
    uri = alice.declare().headers["location"]
    assert bob.get(uri).status_code == 404
    assert bob.delete(uri).status_code == 404
    assert bob.get("/v3/assembly_factory").json["total_items"] == 0
