"""The assembly routes: declare, read, list, patch (JSON Patch, If-Match), delete."""

from __future__ import annotations

import pytest


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
    assert read.headers["etag"].startswith('"1.')


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


def test_an_assembly_carries_the_camp_attributes(alice):
    body = alice.declare("web-1", description="the web", tags=["a", "b"]).json
    assert body["type"] == "assembly"
    assert (body["description"], body["tags"]) == ("the web", ["a", "b"])
    assert body["representation_skew"] == "CREATING"
    assert body["plan_uri"] == "/v3/plan/1_virtualmachine_ubuntu"
    assert (body["region"], body["flavor"], body["desired_state"]) == ("local", "small", "running")
    assert body["generation"] == 1
    assert body["status"]["observed_generation"] == 0
    assert body["events_uri"] == body["uri"] + "/events"
    assert body["metadata"]["consumer_mutable"] == [
        "/name", "/description", "/tags", "/desired_state", "/restart_count",
        "/restart_mode", "/stop_mode", "/replicas", "/replace_count", "/flavor", "/inputs",
    ]  # fmt: skip
    assert [c["target_name"] for c in body["components"]][:2] == ["small", "local"]
    project = alice.get("/v3/projects").json["items"][0]["name"]
    assert body["project"] == project


def test_tags_in_the_design_documents_string_form(alice):
    body = alice.declare("web-1", tags="[linux, web]").json
    assert body["tags"] == ["linux", "web"]


@pytest.mark.parametrize(
    "plan_uri",
    [
        "/v3/plan/2_application_java",
        "http://vertice.example:8080/v3/plan/2_application_java",
        "https://vertice.example/plan/2_application_java/",
        "2_application_java",
    ],
)
def test_plan_uri_relative_absolute_or_bare(alice, plan_uri):
    created = alice.declare("app", plan_uri=plan_uri)
    assert created.status_code == 201, created.json
    assert created.json["plan_uri"] == "/v3/plan/2_application_java"


def test_an_unknown_plan_is_a_422_at_the_plan_uri(alice, snapshot):
    before = snapshot()
    result = alice.declare(plan_uri="/v3/plan/9_nothing_here")
    assert result.status_code == 422
    assert result.json["problems"] == [
        {"path": "$.plan_uri", "message": "there is no plan named '9_nothing_here'"}
    ]
    assert snapshot() == before


def test_every_wrong_reference_is_reported_in_one_answer(alice, snapshot):
    """Plan, project, region, flavor and key all wrong: one 422 names each (it named the
    plan alone, then the next one after the user fixed it)."""
    before = snapshot()
    result = alice.declare(
        plan_uri="/v3/plan/9_nothing_here",
        project="not-my-project",
        region="atlantis",
        flavor="huge",
        credential={"kind": "ssh_key", "name": "nokey"},
    )
    assert result.status_code == 422, result.text
    paths = sorted(p["path"] for p in result.json["problems"])
    assert paths == ["$.flavor", "$.plan_uri", "$.project", "$.region"]
    assert snapshot() == before
    # with the project right, the key is checked too
    result = alice.declare(
        plan_uri="/v3/plan/9_nothing_here", region="atlantis",
        credential={"kind": "ssh_key", "name": "nokey"},
    )  # fmt: skip
    paths = sorted(p["path"] for p in result.json["problems"])
    assert paths == ["$.credential.name", "$.plan_uri", "$.region"]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"plan_uri": "/v3/plans"}, "$.plan_uri"),
        ({"plan_uri": "http://[::1"}, "$.plan_uri"),
        ({"plan_uri": ""}, "$.plan_uri"),
        ({"region": "atlantis"}, "$.region"),
        ({"flavor": "huge"}, "$.flavor"),
        ({"name": "no spaces"}, "$.name"),
        ({"name": "x" * 64}, "$.name"),
        ({"desired_state": "deleted"}, "$.desired_state"),
        ({"project": "not-my-project"}, "$.project"),
        ({"credential": {"kind": "telepathy"}}, "$.credential"),
        ({"credential": {"kind": "root_password", "password": "short"}}, "$.credential.password"),
        ({"credential": {"kind": "ssh_key", "name": "nokey"}}, "$.credential.name"),
        ({"credential": {"kind": "ssh_public_key", "public_key": "ssh-rsa x"}},
         "$.credential.public_key"),
        ({"components": [{"tag": "flavor"}]}, "$.components[0].tag"),
        ({"components": [{"tag": "teleporter"}]}, "$.components[0].tag"),
        ({"metadata": {"mutable": ["/plan_uri"]}}, "$.metadata.mutable[0]"),
    ],
)  # fmt: skip
def test_invalid_declarations_are_422_naming_the_path(alice, snapshot, fields, path):
    before = snapshot()
    result = alice.declare(**fields)
    assert result.status_code == 422, result.text
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_a_flavor_not_offered_in_the_region_is_422(admin, alice):
    admin.post("/v3/regions", {"name": "far", "cloud_type": "sim"})
    admin.post(
        "/v3/flavors", {"name": "farsize", "cpu": 1, "ram": 512, "disk": 1, "regions": ["far"]}
    )
    result = alice.declare(flavor="farsize")
    assert result.status_code == 422
    assert "not offered" in result.json["problems"][0]["message"]
    assert alice.declare(flavor="farsize", region="far").status_code == 201


def test_a_duplicate_name_in_the_project_is_409(alice, bob):
    assert alice.declare("web-1").status_code == 201
    again = alice.declare("web-1")
    assert again.status_code == 409
    assert "web-1" in again.json["description"]
    assert bob.declare("web-1").status_code == 201


def test_launch_with_a_stored_ssh_key(alice, public_key):
    key = public_key()
    assert alice.post("/v3/sshkeys", {"name": "laptop", "public_key": key}).status_code == 201
    body = alice.declare(credential={"kind": "ssh_key", "name": "laptop"}).json
    assert body["credential"] == {"kind": "ssh_key", "name": "laptop", "public_key": key}


def test_launch_with_an_inline_public_key(alice, public_key):
    key = public_key()
    body = alice.declare(credential={"kind": "ssh_public_key", "public_key": key}).json
    assert body["credential"] == {"kind": "ssh_public_key", "public_key": key}


def test_launch_without_a_credential(alice):
    assert alice.declare().json["credential"] == {"kind": "none"}


def test_declare_in_a_named_project(alice):
    project = alice.post("/v3/projects", {"name": "second"}).json["name"]
    body = alice.declare(project=project).json
    assert body["project"] == "second"


def test_declare_stopped(alice):
    assert alice.declare(desired_state="stopped").json["desired_state"] == "stopped"


def test_admins_see_every_assembly(admin, alice, bob):
    alice.declare("a")
    uri = bob.declare("b").headers["location"]
    assert admin.get("/v3/assembly_factory").json["total_items"] == 2
    assert admin.get(uri).status_code == 200


def test_delete_is_accepted_in_any_state_and_idempotent(alice):
    uri = alice.declare().headers["location"]
    alice.patch(uri, [{"op": "replace", "path": "/desired_state", "value": "stopped"}])
    first = alice.delete(uri)
    assert first.status_code == 202
    assert first.json["generation"] == 3
    again = alice.delete(uri)
    assert again.status_code == 202
    assert again.json["generation"] == 3
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["etag"].startswith('"3.')


def test_delete_honours_if_match(alice, snapshot):
    uri = alice.declare().headers["location"]
    before = snapshot()
    assert alice.delete(uri, headers={"If-Match": '"7"'}).status_code == 412
    assert snapshot() == before
    assert alice.delete(uri, headers={"If-Match": '"1"'}).status_code == 202


def test_delete_of_a_missing_assembly_is_404(alice):
    assert alice.delete("/v3/assembly/asm-0000000000000000").status_code == 404


def test_a_delete_shows_deleting_at_once_even_before_a_pass_reaches_the_cloud(alice):
    """With no reconciler pass (the cloud down, or none running), the phase said PENDING
    after a DELETE (issue 16)."""
    uri = alice.declare("going").headers["location"]
    assert alice.get(uri).json["status"]["phase"] == "PENDING"
    assert alice.delete(uri).status_code == 202
    status = alice.get(uri).json["status"]
    assert (status["phase"], status["reason"]) == ("DELETING", "DeleteRequested")
    assert status["message"] == "deletion requested (it was PENDING)"
    assert alice.get(uri).json["representation_skew"] == "DESTROYING"
