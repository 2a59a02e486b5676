"""Users (`/v3/users[/{name}]`, admins only) and API tokens (`/v3/tokens[/{id}]`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import falcon.testing
import pytest

from vertice_api.app import create_app
from vertice_core.crypto import new_token, token_digest
from vertice_core.store.repositories import TokenRepository, UserRepository


def as_token(client, token):
    return client.simulate_get("/v3/platform", headers={"Authorization": f"Bearer {token}"})


def test_admin_lists_users(admin, alice):
    result = admin.get("/v3/users")
    assert result.status_code == 200
    users = {u["name"]: u for u in result.json["items"]}
    assert set(users) == {"admin", "alice"}
    assert (users["admin"]["admin"], users["alice"]["admin"]) == (True, False)
    assert len(users["alice"]["projects"]) == 1
    assert "token" not in result.text


def test_admin_creates_a_user_who_gets_a_token_once(admin, client):
    created = admin.post("/v3/users", {"name": "carol"})
    assert created.status_code == 201, created.json
    assert created.headers["location"] == "/v3/users/carol"
    token = created.json["token"]
    assert token.startswith("vt_")
    assert len(created.json["projects"]) == 1
    assert as_token(client, token).status_code == 200
    assert "token" not in admin.get("/v3/users/carol").json
    assert token not in admin.get("/v3/users").text
    assert token not in admin.get("/v3/tokens", params={"user": "carol"}).text


def test_admin_creates_an_admin(admin, client):
    token = admin.post("/v3/users", {"name": "root2", "admin": True}).json["token"]
    result = client.simulate_get("/v3/users", headers={"Authorization": f"Bearer {token}"})
    assert result.status_code == 200


@pytest.mark.parametrize(
    ("body", "path"),
    [({"name": "no spaces"}, "$.name"), ({}, "$.name"), ({"name": "c", "admin": "yes"}, "$.admin"),
     ({"name": "c", "email": "c@x"}, "$.email")],
)  # fmt: skip
def test_user_fields_are_validated(admin, snapshot, body, path):
    before = snapshot()
    result = admin.post("/v3/users", body)
    assert result.status_code == 422
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_a_duplicate_user_is_409(admin, alice):
    assert admin.post("/v3/users", {"name": "alice"}).status_code == 409


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v3/users"), ("POST", "/v3/users"), ("DELETE", "/v3/users/bob"),
     ("DELETE", "/v3/users/alice"), ("DELETE", "/v3/users/nobody")],
)  # fmt: skip
def test_users_routes_are_for_admins(alice, bob, snapshot, method, path):
    before = snapshot()
    result = alice.client.simulate_request(
        method, path, json={"name": "mallory"}, headers=alice.headers()
    )
    assert result.status_code == 403
    assert snapshot() == before


def test_a_user_reads_themself_only(alice, bob):
    me = alice.get("/v3/users/alice")
    assert me.status_code == 200
    assert me.json["name"] == "alice"
    assert alice.get("/v3/users/bob").status_code == 404


def test_admin_deletes_a_user_whose_tokens_stop(admin, alice):
    assert alice.get("/v3/platform").status_code == 200
    assert admin.delete("/v3/users/alice").status_code == 204
    assert alice.get("/v3/platform").status_code == 401
    assert admin.get("/v3/users/alice").status_code == 404
    assert admin.delete("/v3/users/alice").status_code == 404


def test_the_last_admin_stays(admin):
    result = admin.delete("/v3/users/admin")
    assert result.status_code == 409
    assert admin.get("/v3/platform").status_code == 200


def test_issue_list_read_revoke(alice, client):
    issued = alice.post("/v3/tokens", {"name": "ci"})
    assert issued.status_code == 201, issued.json
    token, uri = issued.json["token"], issued.headers["location"]
    assert uri == f"/v3/tokens/{issued.json['id']}"
    assert (issued.json["user"], issued.json["name"], issued.json["expires_at"]) == (
        "alice", "ci", None
    )  # fmt: skip
    assert as_token(client, token).status_code == 200
    listed = alice.get("/v3/tokens").json["items"]
    assert [t["name"] for t in listed] == ["first token", "ci"]
    assert token not in alice.get("/v3/tokens").text
    assert alice.get(uri).json["id"] == issued.json["id"]
    assert alice.delete(uri).status_code == 204
    assert as_token(client, token).status_code == 401
    assert alice.get(uri).status_code == 404
    assert alice.get("/v3/platform").status_code == 200


def test_revoking_the_token_in_use(alice):
    own = alice.get("/v3/tokens").json["items"][0]["uri"]
    assert alice.delete(own).status_code == 204
    assert alice.get("/v3/platform").status_code == 401


def test_a_token_with_a_lifetime(alice):
    before = datetime.now(UTC)
    issued = alice.post("/v3/tokens", {"expires_in": 3600}).json
    expires = datetime.fromisoformat(issued["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(seconds=3590) < expires < before + timedelta(seconds=3700)


def test_expired_tokens_are_rejected(alice, client, store):
    token = new_token()
    with store.write() as session:
        user = UserRepository(session).by_name("alice")
        TokenRepository(session).create(
            user.id, token_digest(token), expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    result = as_token(client, token)
    assert result.status_code == 401
    assert "expired" in result.json["description"]


def test_admins_issue_and_list_tokens_for_others(admin, alice, client):
    issued = admin.post("/v3/tokens", {"user": "alice", "name": "for alice"})
    assert issued.status_code == 201
    assert issued.json["user"] == "alice"
    assert as_token(client, issued.json["token"]).status_code == 200
    names = [t["name"] for t in admin.get("/v3/tokens", params={"user": "alice"}).json["items"]]
    assert names == ["first token", "for alice"]
    assert admin.delete(issued.headers["location"]).status_code == 204
    assert admin.get("/v3/tokens", params={"user": "nobody"}).status_code == 404
    assert admin.post("/v3/tokens", {"user": "nobody"}).status_code == 404


def test_users_issue_and_list_only_their_own(alice, bob, snapshot):
    before = snapshot()
    assert alice.post("/v3/tokens", {"user": "bob"}).status_code == 403
    assert alice.post("/v3/tokens", {"user": "nobody"}).status_code == 403
    assert snapshot() == before
    assert alice.get("/v3/tokens", params={"user": "bob"}).status_code == 403
    assert alice.get("/v3/tokens", params={"user": "alice"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"expires_in": -1}, "$.expires_in"),
        ({"expires_in": 0}, "$.expires_in"),  # expired at birth
        ({"expires_in": "1h"}, "$.expires_in"),
        ({"expires_in": 10**12}, "$.expires_in"),
        ({"name": 5}, "$.name"),
        ({"name": "x" * 256}, "$.name"),
        ({"scope": "all"}, "$.scope"),
    ],
)
def test_token_fields_are_validated(alice, snapshot, body, path):
    before = snapshot()
    result = alice.post("/v3/tokens", body)
    assert result.status_code == 422, result.json
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_a_server_without_a_token_cache_refuses_a_token_revoked_on_another_at_once(alice, ctx):
    """Two API servers over one database, each with its own cache and its own generation
    (as on two machines): a revocation through one empties only its caches, so the other
    refuses the token at once only when it caches nothing (`VERTICE_TOKEN_CACHE_SECONDS=0`)."""
    uncached = falcon.testing.TestClient(create_app(attrs.evolve(ctx, token_cache_seconds=0)))
    cached = falcon.testing.TestClient(create_app(attrs.evolve(ctx, token_cache_seconds=60)))
    issued = alice.post("/v3/tokens", {"name": "elsewhere"})
    token = issued.json["token"]
    assert as_token(uncached, token).status_code == 200
    assert as_token(cached, token).status_code == 200
    assert alice.delete(issued.headers["location"]).status_code == 204
    assert as_token(alice.client, token).status_code == 401  # the server that revoked it
    assert as_token(uncached, token).status_code == 401
    assert as_token(cached, token).status_code == 200  # its lookup, until it expires
