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


def test_a_project_name_is_unique(alice, bob):
    alice.post("/v3/projects", {"name": "web"})
    assert alice.post("/v3/projects", {"name": "web"}).status_code == 409
    assert bob.post("/v3/projects", {"name": "web"}).status_code == 409


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
