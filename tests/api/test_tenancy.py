"""Tenancy: bob probes every route of alice's resources and learns nothing.

Each probe is made twice, on alice's resource and on one that does not exist;
both must answer the same status and, once the identifier is masked, the same
body. Nothing may change, and bob's listings must not show alice's things.
"""

from __future__ import annotations

import json

import pytest

MISSING = {
    "assembly": "asm-0000000000000000",
    "key": "missing-key",
    "project": "missing-project",
    "token": "tok-0000000000000000",
    "user": "nobody",
}

#: (method, path template, body) — `{assembly}`, `{key}`, `{project}`, `{token}`, `{user}`.
PROBES = [
    ("GET", "/v3/assembly/{assembly}", None),
    ("PATCH", "/v3/assembly/{assembly}", [{"op": "replace", "path": "/name", "value": "x"}]),
    ("DELETE", "/v3/assembly/{assembly}", None),
    ("GET", "/v3/assembly/{assembly}/events", None),
    ("GET", "/v3/component/{assembly}.0", None),
    ("GET", "/v3/component/{assembly}.5", None),
    ("GET", "/v3/sshkeys/{key}", None),
    ("DELETE", "/v3/sshkeys/{key}", None),
    ("GET", "/v3/sshkeys?project={project}", None),
    ("GET", "/v3/sshkeys/{key}?project={project}", None),
    ("POST", "/v3/sshkeys", {"name": "k", "public_key": "{public_key}", "project": "{project}"}),
    ("GET", "/v3/projects/{project}", None),
    ("DELETE", "/v3/projects/{project}", None),
    ("POST", "/v3/projects/{project}/members", {"user": "bob"}),
    ("DELETE", "/v3/projects/{project}/members/{user}", None),
    ("POST", "/v3/assembly_factory", {"name": "w", "plan_uri": "1_virtualmachine_ubuntu",
                                      "region": "local", "flavor": "small",
                                      "project": "{project}"}),
    ("POST", "/v3/assembly_factory", {"name": "w", "plan_uri": "1_virtualmachine_ubuntu",
                                      "region": "local", "flavor": "small",
                                      "credential": {"kind": "ssh_key", "name": "{key}"}}),
    ("GET", "/v3/tokens/{token}", None),
    ("DELETE", "/v3/tokens/{token}", None),
    ("GET", "/v3/tokens?user={user}", None),
    ("POST", "/v3/tokens", {"user": "{user}"}),
    ("GET", "/v3/users/{user}", None),
    ("DELETE", "/v3/users/{user}", None),
]  # fmt: skip


@pytest.fixture
def alices(alice, store, public_key):
    """Alice's resources: an assembly (with an event), a key, a project, a token."""
    from datetime import UTC, datetime

    from vertice_core.model.status import Event, EventType
    from vertice_core.store.repositories import EventRepository

    created = alice.declare("secret-web")
    assert created.status_code == 201
    assert (
        alice.post("/v3/sshkeys", {"name": "alice-key", "public_key": public_key()}).status_code
        == 201
    )
    token = alice.post("/v3/tokens", {"name": "alice-ci"}).json
    with store.write() as session:
        EventRepository(session).add(
            None,
            [Event(datetime.now(UTC), EventType.NORMAL, "Created", "made", created.json["id"])],
        )
    return {
        "assembly": created.json["id"],
        "key": "alice-key",
        "project": alice.get("/v3/projects").json["items"][0]["name"],
        "token": token["id"],
        "user": "alice",
    }


def probe(api, method, template, body, ids, public_key):
    values = {**ids, "public_key": public_key}
    path = template.format(**values)
    path, _, query = path.partition("?")
    payload = None
    if body is not None:
        payload = json.loads(json.dumps(body).replace("{public_key}", public_key))
        payload = json.loads(json.dumps(payload).replace("{project}", ids["project"]))
        payload = json.loads(
            json.dumps(payload).replace("{key}", ids["key"]).replace("{user}", ids["user"])
        )
    content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
    result = api.client.simulate_request(
        method,
        path,
        query_string=query,
        body=json.dumps(payload) if payload is not None else None,
        headers=api.headers({"Content-Type": content_type}),
    )
    masked = result.text
    for name, value in ids.items():
        masked = masked.replace(value, f"<{name}>")
    return result.status_code, masked


@pytest.mark.parametrize(("method", "template", "body"), PROBES)
def test_bob_learns_nothing_from_alices_resources(
    alices, bob, snapshot, public_key, method, template, body
):
    key = public_key()
    before = snapshot()
    theirs = probe(bob, method, template, body, alices, key)
    missing = probe(bob, method, template, body, MISSING, key)
    assert theirs == missing
    assert theirs[0] in (403, 404, 422), theirs
    assert snapshot() == before


def test_alices_own_probes_succeed(alices, alice):
    for path in (
        f"/v3/assembly/{alices['assembly']}",
        f"/v3/assembly/{alices['assembly']}/events",
        f"/v3/component/{alices['assembly']}.0",
        "/v3/sshkeys/alice-key",
        f"/v3/projects/{alices['project']}",
        f"/v3/tokens/{alices['token']}",
        "/v3/users/alice",
    ):
        assert alice.get(path).status_code == 200, path
    events = alice.get(f"/v3/assembly/{alices['assembly']}/events").json["items"]
    assert [e["reason"] for e in events] == ["Created"]


@pytest.mark.parametrize(
    "path", ["/v3/assembly_factory", "/v3/sshkeys", "/v3/projects", "/v3/tokens"]
)
def test_bobs_listings_hold_nothing_of_alice(alices, bob, path):
    result = bob.get(path)
    assert result.status_code == 200
    for value in (*alices.values(), "secret-web", "alice-ci"):
        assert value not in result.text, (path, value)


def test_bob_cannot_list_users(alices, bob):
    assert bob.get("/v3/users").status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v3/drivers"),
        ("GET", "/v3/users"),
        ("POST", "/v3/users"),
        ("DELETE", "/v3/users/alice"),
        ("POST", "/v3/plan_factory"),
        ("PUT", "/v3/plan/1_virtualmachine_ubuntu"),
        ("DELETE", "/v3/plan/1_virtualmachine_ubuntu"),
        ("POST", "/v3/regions"),
        ("PUT", "/v3/regions/local"),
        ("DELETE", "/v3/regions/local"),
        ("POST", "/v3/flavors"),
        ("PUT", "/v3/flavors/small"),
        ("DELETE", "/v3/flavors/small"),
    ],
)
def test_admin_only_routes_answer_403_to_users(alices, bob, snapshot, method, path):
    before = snapshot()
    result = bob.client.simulate_request(method, path, json={"name": "x"}, headers=bob.headers())
    assert result.status_code == 403
    assert result.json["title"] == "Forbidden"
    assert snapshot() == before
