"""Projects and members: `/v3/projects[/{name}[/members[/{user}]]]`."""

from __future__ import annotations

import re

import pytest

HEROKU = re.compile(r"[a-z]+-[a-z]+-\d{4}")


def first_project(api):
    return api.get("/v3/projects").json["items"][0]


def test_a_new_user_has_a_heroku_style_project(alice):
    project = first_project(alice)
    assert HEROKU.fullmatch(project["name"])
    assert project["members"] == ["alice"]
    assert project["uri"] == f"/v3/projects/{project['name']}"
    assert project["type"] == "project"


def test_create_a_named_project(alice):
    created = alice.post("/v3/projects", {"name": "web", "description": "the website"})
    assert created.status_code == 201, created.json
    assert created.headers["location"] == "/v3/projects/web"
    assert (created.json["members"], created.json["description"]) == (["alice"], "the website")
    assert "web" in [p["name"] for p in alice.get("/v3/projects").json["items"]]
    assert alice.get("/v3/projects/web").json == created.json


def test_create_an_unnamed_project(alice):
    created = alice.post("/v3/projects", {})
    assert created.status_code == 201
    assert HEROKU.fullmatch(created.json["name"])


def test_a_project_name_is_unique_among_its_owners_projects_only(alice, bob, snapshot):
    """Another user's project of the same name is no obstacle, and is never mentioned
    (issue 17, item 8): a 409 would tell bob that someone has a project `web`."""
    alices = alice.post("/v3/projects", {"name": "web"}).json
    before = snapshot()
    again = alice.post("/v3/projects", {"name": "web"})
    assert again.status_code == 409
    assert again.json["description"] == "you already have a project named 'web'"
    assert snapshot() == before
    bobs = bob.post("/v3/projects", {"name": "web"})
    assert bobs.status_code == 201, bobs.json
    assert (bobs.json["owner"], bobs.json["members"]) == ("bob", ["bob"])
    assert bobs.json["id"] != alices["id"]
    assert bob.get("/v3/projects/web").json == bobs.json
    assert alice.get("/v3/projects/web").json == alices


def test_a_project_shows_its_id_and_owner(alice, admin):
    project = first_project(alice)
    assert project["id"].startswith("prj-") and project["owner"] == "alice"
    assert alice.get(f"/v3/projects/{project['id']}").json == project
    assert admin.delete("/v3/users/alice").status_code == 204
    assert admin.get(f"/v3/projects/{project['id']}").json["owner"] is None


def test_a_name_of_a_project_ids_form_is_refused(alice, snapshot):
    before = snapshot()
    refused = alice.post("/v3/projects", {"name": "prj-0123456789abcdef"})
    assert refused.status_code == 422
    assert refused.json["problems"][0]["path"] == "$.name"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "a b"}, "$.name"),
        ({"description": 1}, "$.description"),
        ({"owner": "x"}, "$.owner"),
    ],
)
def test_project_fields_are_validated(alice, snapshot, body, path):
    before = snapshot()
    result = alice.post("/v3/projects", body)
    assert result.status_code == 422
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_users_list_their_projects_admins_all(admin, alice, bob):
    mine = [p["name"] for p in alice.get("/v3/projects").json["items"]]
    assert len(mine) == 1
    everyone = [p["name"] for p in admin.get("/v3/projects").json["items"]]
    assert len(everyone) == 3
    assert set(mine) < set(everyone)
    assert first_project(bob)["name"] not in mine


def invite(api, project, user):
    """A member invites `user`; the project document of the 202."""
    answer = api.post(f"/v3/projects/{project}/members", {"user": user})
    assert answer.status_code == 202, answer.json
    return answer.json


def accept(api):
    """The caller accepts their only invitation; the project document."""
    (invitation,) = api.get("/v3/invitations").json["items"]
    answer = api.post(f"{invitation['uri']}/accept")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_member_shares_the_projects_resources_once_the_invited_user_accepts(
    alice, bob, public_key
):
    project = first_project(alice)["name"]
    uri = alice.declare("shared").headers["location"]
    invited = invite(alice, project, "bob")
    assert (invited["members"], invited["invited"]) == (["alice"], ["bob"])
    assert bob.get(uri).status_code == 404, "invited is not a member yet"
    (invitation,) = bob.get("/v3/invitations").json["items"]
    assert (invitation["project"], invitation["user"], invitation["invited_by"]) == (
        project, "bob", "alice")  # fmt: skip
    assert alice.get("/v3/invitations").json["items"] == []
    joined = accept(bob)
    assert (joined["members"], joined["invited"]) == (["alice", "bob"], [])
    assert bob.get(uri).status_code == 200
    assert "shared" in [i["name"] for i in bob.get("/v3/assembly_factory").json["items"]]
    again = invite(alice, project, "bob")
    assert (again["members"], again["invited"]) == (["alice", "bob"], []), "a member is no invitee"
    assert alice.delete(f"/v3/projects/{project}/members/bob").status_code == 204
    assert bob.get(uri).status_code == 404
    assert alice.get(f"/v3/projects/{project}").json["members"] == ["alice"]


def test_an_invitation_is_declined_withdrawn_and_seen_only_by_its_user_and_the_members(
    alice, bob, admin
):
    project = first_project(alice)["name"]
    invite(alice, project, "bob")
    (invitation,) = bob.get("/v3/invitations").json["items"]
    assert alice.get(invitation["uri"]).status_code == 200  # a member of the project
    assert admin.get(invitation["uri"]).status_code == 200
    assert admin.post(f"{invitation['uri']}/accept").status_code == 404, "only its user"
    assert bob.delete(invitation["uri"]).status_code == 204  # declined
    assert bob.get("/v3/invitations").json["items"] == []
    assert alice.get(f"/v3/projects/{project}").json["invited"] == []
    invite(alice, project, "bob")
    assert alice.delete(f"/v3/projects/{project}/members/bob").status_code == 204  # withdrawn
    assert bob.get("/v3/invitations").json["items"] == []
    assert bob.get(f"{invitation['uri']}").status_code == 404


def test_inviting_a_name_nobody_has_answers_as_inviting_a_user(alice, bob, snapshot):
    """The answer does not tell who has an account (issue 17, item 8): the same status and
    the same document, but the name."""
    project = first_project(alice)["name"]
    for_bob = invite(alice, project, "bob")
    assert alice.delete(f"/v3/projects/{project}/members/bob").status_code == 204
    for_nobody = invite(alice, project, "carol")
    assert for_bob["invited"] == ["bob"] and for_nobody["invited"] == ["carol"]
    assert {**for_bob, "invited": []} == {**for_nobody, "invited": []}
    assert alice.delete(f"/v3/projects/{project}/members/carol").status_code == 204
    assert alice.delete(f"/v3/projects/{project}/members/carol").status_code == 404
    assert alice.delete(f"/v3/projects/{project}/members/dave").status_code == 404
    invalid = alice.post(f"/v3/projects/{project}/members", {"user": 7})
    assert invalid.status_code == 422
    assert invalid.json["problems"][0]["path"] == "$.user"


def test_a_project_with_assemblies_cannot_go(alice, snapshot):
    project = alice.post("/v3/projects", {"name": "busy"}).json["name"]
    alice.declare("web-1", project=project)
    before = snapshot()
    result = alice.delete(f"/v3/projects/{project}")
    assert result.status_code == 409
    assert snapshot() == before


def test_delete_an_empty_project_with_its_keys(alice, public_key):
    alice.post("/v3/projects", {"name": "spare"})
    alice.post("/v3/sshkeys", {"name": "k", "public_key": public_key(), "project": "spare"})
    assert alice.delete("/v3/projects/spare").status_code == 204
    assert alice.get("/v3/projects/spare").status_code == 404
    assert alice.get("/v3/sshkeys").json["items"] == []
    assert alice.delete("/v3/projects/spare").status_code == 404


def test_unknown_project_is_404(alice):
    assert alice.get("/v3/projects/nowhere").status_code == 404
    assert alice.post("/v3/projects/nowhere/members", {"user": "alice"}).status_code == 404
    assert alice.get("/v3/invitations/inv-0000000000000000").status_code == 404
    assert alice.post("/v3/invitations/inv-0000000000000000/accept").status_code == 404


def test_a_name_means_your_own_project_then_one_you_joined_and_else_says_to_use_the_id(
    alice, bob, admin, public_key
):
    """alice owns a `web` and joins bob's: `web` is hers. admin joins both (owning
    neither): `web` is ambiguous wherever a project is named, and its id is not."""
    mine = alice.post("/v3/projects", {"name": "web"}).json
    bobs = bob.post("/v3/projects", {"name": "web"}).json
    for api in (alice, admin):
        invite(bob, "web", api.name)
        accept(api)
    invite(alice, "web", "admin")
    accept(admin)
    assert alice.get("/v3/projects/web").json["id"] == mine["id"]
    key = {"name": "k", "public_key": public_key()}
    assert alice.post("/v3/sshkeys", {**key, "project": "web"}).json["project"] == "web"
    assert [k["name"] for k in alice.get("/v3/sshkeys?project=web").json["items"]] == ["k"]
    assert bob.get("/v3/sshkeys?project=web").json["items"] == [], "bob's web is not hers"

    ambiguous = admin.get("/v3/projects/web")
    assert ambiguous.status_code == 409
    assert "several projects you can see are named 'web'" in ambiguous.json["description"]
    assert "by its id" in ambiguous.json["description"]
    assert admin.get("/v3/sshkeys?project=web").status_code == 409
    declared = admin.post("/v3/sshkeys", {**key, "project": "web"})
    assert declared.status_code == 422
    assert declared.json["problems"][0]["path"] == "$.project"
    assert admin.get(f"/v3/projects/{bobs['id']}").json["owner"] == "bob"
    assert admin.post("/v3/sshkeys", {**key, "project": bobs["id"]}).status_code == 201
    listed = admin.get(f"/v3/sshkeys?project={bobs['id']}").json["items"]
    assert [k["project"] for k in listed] == ["web"]
