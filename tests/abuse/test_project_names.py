"""Project names were an existence oracle (issue 17, item 8): names were unique across the
installation, so creating a project of another user's project's name answered 409 where
reading it answered 404. Against a real `vertice serve`: a name is unique among its owner's
projects only, another user's project is neither an obstacle nor mentioned, and a name
means the caller's own project, then one they joined; several they joined is a clear 409
that the project's id settles."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from vertice_testing.waiting import until

pytestmark = pytest.mark.slow

#: Each API worker caches a token's caller for 5 s: an answer that depends on a membership
#: just changed is polled until it holds this many times in a row (every worker knows).
IN_A_ROW = 8


def public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{blob.decode()} test@vertice"


def everywhere(check: Callable[[], bool], what: str) -> None:
    """Wait until `check()` holds on every worker (`IN_A_ROW` times in a row)."""
    until(lambda: all(check() for _ in range(IN_A_ROW)), what, 20)


def test_a_project_name_tells_nothing_of_other_users_projects(live_server):
    admin = {"Authorization": f"Bearer {live_server.token}"}
    with httpx.Client(base_url=live_server.url, headers=admin, timeout=10) as api:
        as_ = {}
        for name in ("bob", "carol", "dave"):
            token = api.post("/v3/users", json={"name": name}).json()["token"]
            as_[name] = {"Authorization": f"Bearer {token}"}

        def get(path: str, who: str) -> httpx.Response:
            return api.get(path, headers=as_[who])

        def post(path: str, who: str, body: object = None) -> httpx.Response:
            return api.post(path, json=body, headers=as_[who])

        bobs = post("/v3/projects", "bob", {"name": "web"})
        assert bobs.status_code == 201, bobs.text
        bob_id = bobs.json()["id"]
        everywhere(lambda: get("/v3/projects/web", "bob").status_code == 200, "bob sees web")
        bob_saw = [get(path, "bob").json() for path in ("/v3/projects/web", "/v3/projects")]

        carols = post("/v3/projects", "carol", {"name": "web"})
        assert carols.status_code == 201, f"another user's project name tells: {carols.text}"
        carol_id = carols.json()["id"]
        assert carol_id != bob_id and carols.json()["owner"] == "carol"
        everywhere(lambda: get("/v3/projects/web", "carol").json().get("id") == carol_id,
                   "carol's web is her own")  # fmt: skip
        assert [get(p, "bob").json() for p in ("/v3/projects/web", "/v3/projects")] == bob_saw
        again = post("/v3/projects", "carol", {"name": "web"})
        assert again.status_code == 409
        assert again.json()["description"] == "you already have a project named 'web'"

        # bob invites carol to his `web`: `web` still means her own to her
        assert post("/v3/projects/web/members", "bob", {"user": "carol"}).status_code == 202
        (invitation,) = get("/v3/invitations", "carol").json()["items"]
        accepted = post(f"{invitation['uri']}/accept", "carol")
        assert accepted.status_code == 200, accepted.text
        assert (accepted.json()["id"], accepted.json()["members"]) == (bob_id, ["bob", "carol"])
        everywhere(lambda: get(f"/v3/projects/{bob_id}", "carol").status_code == 200,
                   "carol is a member of bob's web")  # fmt: skip
        key = post("/v3/sshkeys", "carol",
                   {"name": "k", "public_key": public_key(), "project": "web"})  # fmt: skip
        assert key.status_code == 201, key.text
        for _ in range(IN_A_ROW):
            assert [k["name"] for k in get("/v3/sshkeys?project=web", "carol").json()["items"]
                    ] == ["k"]  # fmt: skip
            assert get(f"/v3/sshkeys?project={bob_id}", "carol").json()["items"] == []
            assert get("/v3/projects/web", "carol").json()["id"] == carol_id

        # dave joins both: `web` is ambiguous to him, and says so; an id is not
        for owner in ("bob", "carol"):
            assert post("/v3/projects/web/members", owner, {"user": "dave"}).status_code == 202
        for invitation in get("/v3/invitations", "dave").json()["items"]:
            assert post(f"{invitation['uri']}/accept", "dave").status_code == 200
        everywhere(lambda: get("/v3/sshkeys?project=web", "dave").status_code == 409,
                   "dave's web is ambiguous")  # fmt: skip
        ambiguous = get("/v3/projects/web", "dave")
        assert ambiguous.status_code == 409
        description = ambiguous.json()["description"]
        assert "several projects you can see are named 'web'" in description
        assert bob_id in description and carol_id in description and "by its id" in description
        assert get(f"/v3/projects/{bob_id}", "dave").json()["owner"] == "bob"
        listed = get(f"/v3/sshkeys?project={carol_id}", "dave").json()["items"]
        assert [k["name"] for k in listed] == ["k"]
