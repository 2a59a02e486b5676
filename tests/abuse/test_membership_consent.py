"""Adding a member enumerated users and needed no consent (issue 17, item 8): against a
real `vertice serve`, inviting an account and inviting a name nobody has get the same
answer, and the invited user is a member only once they accept."""

from __future__ import annotations

import httpx
import pytest

from vertice_testing.waiting import until

pytestmark = pytest.mark.slow


def test_an_invitation_tells_nothing_of_accounts_and_membership_needs_consent(live_server):
    admin = {"Authorization": f"Bearer {live_server.token}"}
    with httpx.Client(base_url=live_server.url, headers=admin, timeout=10) as api:
        bob = api.post("/v3/users", json={"name": "bob"}).json()
        as_bob = {"Authorization": f"Bearer {bob['token']}"}
        project = api.post("/v3/projects", json={"name": "team"}).json()["name"]
        members = f"/v3/projects/{project}/members"
        answers = [api.post(members, json={"user": name}) for name in ("bob", "nobody")]
        assert [a.status_code for a in answers] == [202, 202]
        documents = [{**a.json(), "invited": None} for a in answers]
        assert documents[0] == documents[1], "the answer depends on whether the user exists"
        assert api.get(f"/v3/projects/{project}").json()["members"] == ["admin"]
        assert api.get(f"/v3/projects/{project}", headers=as_bob).status_code == 404
        (invitation,) = api.get("/v3/invitations", headers=as_bob).json()["items"]
        accepted = api.post(f"{invitation['uri']}/accept", headers=as_bob)
        assert accepted.status_code == 200 and accepted.json()["members"] == ["admin", "bob"]
        # each worker caches a token's caller for 5 s: the other worker may not know yet
        until(lambda: api.get(f"/v3/projects/{project}", headers=as_bob).status_code == 200,
              "bob sees the project on every worker", 15)  # fmt: skip
