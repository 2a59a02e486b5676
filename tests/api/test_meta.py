"""The service routes: `/healthz`, `/v3/platform`, `/v3/drivers`, authentication, errors."""

from __future__ import annotations

import attrs
import falcon.testing
import pytest

from vertice_api.app import create_app
from vertice_core.store import Store


def test_healthz_needs_no_token(client):
    result = client.simulate_get("/healthz")
    assert result.status_code == 200
    assert result.json == {"status": "ok", "database": "ok", "schema": "ok"}


def test_healthz_reports_an_unreachable_database(ctx):
    broken = Store("postgresql+psycopg://nobody@127.0.0.1:1/nowhere")
    try:
        client = falcon.testing.TestClient(create_app(attrs.evolve(ctx, store=broken)))
        result = client.simulate_get("/healthz")
    finally:
        broken.dispose()
    assert result.status_code == 503
    assert result.json["status"] == "unavailable"


def test_healthz_reports_a_schema_behind_the_code_and_what_to_run(ctx, client):
    """A database a migration behind (`vertice db upgrade` not run after an upgrade of
    vertice) served 500s behind a green health check (issue 16)."""
    from vertice_core.store import migrate

    migrate.downgrade(ctx.store.engine, "-1")
    at, head = migrate.current(ctx.store.engine), migrate.head()
    result = client.simulate_get("/healthz")
    assert result.status_code == 503
    assert result.json["schema"] == (
        f"the database is at revision {at} and this vertice needs {head}: run `vertice db upgrade`"
    )
    migrate.upgrade(ctx.store.engine)
    assert client.simulate_get("/healthz").status_code == 200


def test_platform_lists_the_collections(alice):
    result = alice.get("/v3/platform")
    assert result.status_code == 200
    body = result.json
    assert body["type"] == "platform"
    assert body["specification_version"] == "CAMP 1.2"
    assert body["implementation_version"].startswith("vertice ")
    for field in ("uri", "name", "description", "tags", "representation_skew"):
        assert field in body


def test_every_collection_of_the_platform_answers(admin):
    body = admin.get("/v3/platform").json
    uris = [v for k, v in body.items() if k.endswith("_uri")]
    assert len(uris) >= 10
    for uri in uris:
        assert admin.get(uri).status_code == 200, uri


def test_drivers_for_admins(admin):
    result = admin.get("/v3/drivers")
    assert result.status_code == 200
    sim = next(i for i in result.json["items"] if i["cloud_type"] == "sim")
    assert sim["error"] is None
    assert "start_stop" in sim["capabilities"]
    assert sim["distribution"] == "vertice-core"


def test_drivers_forbidden_to_users(alice):
    result = alice.get("/v3/drivers")
    assert result.status_code == 403
    assert "administrators" in result.json["description"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer vt_not-a-token",
        "Bearer not-even-prefixed",
        "Basic dXNlcjpwYXNz",
        "Token vt_whatever",
    ],
)
def test_requests_without_a_valid_token_are_unauthorized(client, admin, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    for path in ("/v3/platform", "/v3/assembly_factory", "/v3/users"):
        result = client.simulate_get(path, headers=headers)
        assert result.status_code == 401, (path, result.text)
        assert result.headers["www-authenticate"] == "Bearer"
        assert result.json["title"] == "Unauthorized"


def test_unknown_route_is_a_json_404(alice):
    result = alice.get("/v3/nothing-here")
    assert result.status_code == 404
    assert result.headers["content-type"].startswith("application/json")
    assert "title" in result.json


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v3/assembly_factory"),
        ("DELETE", "/v3/plan_factory"),
        ("POST", "/v3/platform"),
        ("PATCH", "/v3/regions/local"),
        ("POST", "/healthz"),
    ],
)
def test_unsupported_method_is_a_json_405(admin, method, path):
    result = admin.client.simulate_request(method, path, headers=admin.headers())
    assert result.status_code == 405
    assert result.json["title"]


def test_trailing_slash_is_ignored(alice):
    assert alice.get("/v3/platform/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v3/plan/a%00b",
        "/v3/regions/a%00b",
        "/v3/flavors/a%00b",
        "/v3/assembly/a%00b",
        "/v3/sshkeys?project=%00",
        "/v3/flavors?region=%00",
        "/v3/tokens/%00",
        "/v3/users/%00",
        "/v3/projects/%00",
    ],
)
def test_a_nul_character_in_the_url_is_a_client_error(admin, path):
    path, _, query = path.partition("?")
    result = admin.get(path, query_string=query)
    assert 400 <= result.status_code < 500, result.text
