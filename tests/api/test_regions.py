"""Regions: `/v3/regions[/{name}]`; credentials are sealed, never returned, kept on PUT."""

from __future__ import annotations

import attrs
import falcon.testing
import pytest

from vertice_api.app import create_app
from vertice_testing.api import Api

VAULT = {
    "name": "vault-1",
    "cloud_type": "vault",
    "provider_region": "eu-west-1",
    "endpoint": "https://vault.example",
    "description": "a cloud with keys",
    "credentials": {"access_key": "AKIA-ACCESS-1234", "secret_key": "wJalr-SECRET-5678"},
}
SECRETS = ("AKIA-ACCESS-1234", "wJalr-SECRET-5678")


@pytest.fixture
def ctx(ctx, vault_registry):
    """The API's context with a driver registry that also serves cloud type `vault`."""
    return attrs.evolve(ctx, registry=vault_registry)


@pytest.fixture
def vault(admin):
    created = admin.post("/v3/regions", VAULT)
    assert created.status_code == 201, created.json
    return created


def test_the_local_region_is_seeded(alice):
    items = alice.get("/v3/regions").json["items"]
    assert [(i["name"], i["cloud_type"]) for i in items] == [("local", "sim")]


def test_admin_creates_a_region(admin, vault):
    assert vault.headers["location"] == "/v3/regions/vault-1"
    body = vault.json
    assert (body["type"], body["cloud_type"], body["provider_region"]) == (
        "region", "vault", "eu-west-1"
    )  # fmt: skip
    assert body["credentials_set"] == ["access_key", "secret_key"]
    assert "credentials" not in body
    assert admin.get("/v3/regions/vault-1").json["credentials_set"] == ["access_key", "secret_key"]


def test_credentials_are_never_returned(admin, alice, vault):
    for api in (admin, alice):
        for path in ("/v3/regions", "/v3/regions/vault-1"):
            text = api.get(path).text
            assert not any(secret in text for secret in SECRETS), (api.name, path)
    assert not any(secret in vault.text for secret in SECRETS)


def test_users_see_a_reduced_view(admin, alice, vault):
    body = alice.get("/v3/regions/vault-1").json
    assert set(body) == {
        "uri", "name", "type", "description", "tags", "representation_skew",
        "cloud_type", "provider_region",
    }  # fmt: skip
    full = admin.get("/v3/regions/vault-1").json
    assert {"endpoint", "settings", "credentials_set"} <= set(full)


def test_an_unknown_cloud_type_is_422_naming_the_installed_drivers(admin, snapshot):
    before = snapshot()
    result = admin.post("/v3/regions", {**VAULT, "cloud_type": "nimbus"})
    assert result.status_code == 422
    problem = result.json["problems"][0]
    assert problem["path"] == "$.cloud_type"
    assert "'nimbus'" in problem["message"]
    assert "sim" in problem["message"] and "vault" in problem["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"credentials": {"access_key": "a"}}, ["$.credentials.secret_key"]),
        ({"credentials": {"access_key": 1, "secret_key": "s"}}, ["$.credentials.access_key"]),
        (
            {"credentials": {"access_key": "a", "secret_key": "s", "pin": "1"}},
            ["$.credentials.pin"],
        ),
        ({"settings": {"zone": "a"}}, ["$.settings.zone"]),
        ({"name": "bad name"}, ["$.name"]),
        ({"cloud_type": 3}, ["$.cloud_type"]),
        ({"provider_region": ["x"]}, ["$.provider_region"]),
    ],
)
def test_invalid_regions_are_422_with_paths(admin, snapshot, change, paths):
    before = snapshot()
    result = admin.post("/v3/regions", {**VAULT, **change})
    assert result.status_code == 422, result.json
    assert [p["path"] for p in result.json["problems"]] == paths
    assert snapshot() == before


def test_sim_settings_are_validated(admin):
    ok = admin.post(
        "/v3/regions", {"name": "slow", "cloud_type": "sim", "settings": {"latency": 1}}
    )
    assert ok.status_code == 201, ok.json
    assert ok.json["settings"]["latency"] == 1
    bad = admin.post(
        "/v3/regions",
        {"name": "flaky", "cloud_type": "sim", "settings": {"transient_error_rate": 2}},
    )
    assert bad.status_code == 422
    assert bad.json["problems"][0]["path"] == "$.settings.transient_error_rate"


def test_a_duplicate_region_is_409(admin, vault):
    assert admin.post("/v3/regions", VAULT).status_code == 409


def test_put_keeps_credentials_when_omitted(admin, vault, ctx, store):
    body = {k: v for k, v in VAULT.items() if k != "credentials"}
    replaced = admin.put("/v3/regions/vault-1", {**body, "description": "renewed"})
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["description"] == "renewed"
    assert replaced.json["credentials_set"] == ["access_key", "secret_key"]
    from vertice_core.store.repositories import RegionRepository

    with store.read() as session:
        sealed = RegionRepository(session).get("vault-1").sealed_credentials
    assert ctx.box.open_json(sealed) == {**VAULT["credentials"], "token": ""}


def test_put_replaces_credentials_when_given(admin, vault, ctx, store):
    new = {"access_key": "NEW-ACCESS", "secret_key": "NEW-SECRET", "token": "T"}
    replaced = admin.put("/v3/regions/vault-1", {**VAULT, "credentials": new})
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["credentials_set"] == ["access_key", "secret_key", "token"]
    assert "NEW-SECRET" not in replaced.text


def test_put_takes_the_name_from_the_uri(admin, vault):
    body = {k: v for k, v in VAULT.items() if k != "name"}
    assert admin.put("/v3/regions/vault-1", body).status_code == 200
    renamed = admin.put("/v3/regions/vault-1", {**VAULT, "name": "other"})
    assert renamed.status_code == 422
    assert renamed.json["problems"][0]["path"] == "$.name"
    assert admin.put("/v3/regions/nowhere", {**VAULT, "name": "nowhere"}).status_code == 404


def test_changing_the_cloud_type_needs_credentials_of_the_new_type(admin, vault):
    body = {k: v for k, v in VAULT.items() if k != "credentials"}
    to_sim = admin.put("/v3/regions/vault-1", {**body, "cloud_type": "sim"})
    assert to_sim.status_code == 200, to_sim.json
    assert to_sim.json["credentials_set"] == []
    back = admin.put("/v3/regions/vault-1", body)
    assert back.status_code == 422
    assert {p["path"] for p in back.json["problems"]} == {
        "$.credentials.access_key", "$.credentials.secret_key"
    }  # fmt: skip


def test_region_in_use_cannot_change_type_or_go(admin, alice, snapshot):
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    assert alice.declare("web-1", region="second").status_code == 201
    before = snapshot()
    changed = admin.put("/v3/regions/second", {**VAULT, "name": "second"})
    assert changed.status_code == 409
    assert "web-1" in changed.json["description"]
    deleted = admin.delete("/v3/regions/second")
    assert deleted.status_code == 409
    assert "web-1" in deleted.json["description"]
    assert snapshot() == before


def test_admin_deletes_an_unused_region(admin, vault):
    assert admin.delete("/v3/regions/vault-1").status_code == 204
    assert admin.get("/v3/regions/vault-1").status_code == 404
    assert admin.delete("/v3/regions/vault-1").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v3/regions"), ("PUT", "/v3/regions/local"), ("DELETE", "/v3/regions/local")],
)
def test_users_may_not_write_regions(alice, snapshot, method, path):
    before = snapshot()
    result = alice.client.simulate_request(method, path, json=VAULT, headers=alice.headers())
    assert result.status_code == 403
    assert snapshot() == before


def test_unknown_region_is_404(alice):
    assert alice.get("/v3/regions/atlantis").status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("file:///etc/passwd", "not file://"),
        ("ftp://ec2.example", "not ftp://"),
        ("ec2.example:443", "http:// or https://"),
        ("http://", "with a host"),
        ("https://ec2.example:0/", "with a host"),
        ("https://ec2.example:99999/", "valid host and port"),
        ("https://key:secret@ec2.example/", "put them in the region's credentials"),
        ("https://ec2 .example/", "spaces"),
        ("http://169.254.169.254/latest/meta-data/", "link-local or metadata address"),
        ("http://2852039166/", "link-local or metadata address"),  # 169.254.169.254 as a number
        ("http://0xa9.0xfe.0xa9.0xfe/", "link-local or metadata address"),
        ("http://[::ffff:169.254.169.254]/", "link-local or metadata address"),
        ("http://[fe80::1]/", "link-local or metadata address"),
        ("http://[fd00:ec2::254]/", "link-local or metadata address"),
        ("http://100.100.100.200/", "link-local or metadata address"),
        ("http://metadata.google.internal./", "link-local or metadata address"),
    ],
)
def test_a_region_endpoint_is_an_http_url_away_from_metadata_services(
    admin, snapshot, endpoint, says
):
    """The control plane sends a region's signed requests to its endpoint as soon as it is
    stored: only http(s) URLs, without credentials, and not at a link-local or metadata
    address (issue 17, item 7). Refused with a 422 naming `$.endpoint`; nothing stored."""
    before = snapshot()
    refused = admin.post("/v3/regions", {**VAULT, "endpoint": endpoint})
    assert refused.status_code == 422, refused.json
    (problem,) = refused.json["problems"]
    assert problem["path"] == "$.endpoint" and says in problem["message"], problem
    assert snapshot() == before


def test_loopback_endpoints_are_accepted_and_metadata_ones_when_the_operator_allows(admin, ctx):
    """A cloud's API on this machine (a simulator, a private cloud's controller) is normal;
    `VERTICE_REGION_ALLOW_METADATA` lets an operator who means it name a link-local one."""
    loopback = admin.post("/v3/regions", {**VAULT, "endpoint": "http://127.0.0.1:8773/"})
    assert loopback.status_code == 201, loopback.json
    metadata = {**VAULT, "name": "vault-2", "endpoint": "http://169.254.169.254/"}
    assert admin.post("/v3/regions", metadata).status_code == 422
    allowing = attrs.evolve(ctx, config=attrs.evolve(ctx.config, allow_metadata_endpoints=True))
    operator = Api(falcon.testing.TestClient(create_app(allowing)), admin.token, "admin")
    allowed = operator.post("/v3/regions", metadata)
    assert allowed.status_code == 201, allowed.json
