"""Errors map to HTTP in one place: domain errors to their status, anything else to a
logged 500 that names the request's id and reveals nothing else."""

from __future__ import annotations

import logging

import falcon
import falcon.testing
import pytest

from vertice_api.app import create_app
from vertice_api.errors import STATUS
from vertice_core import errors


class Boom:
    """A resource with a bug (and one that raises a domain error nobody mapped)."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("secret-ish internals: token vt_do_not_show")

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise Unmapped("a domain error the API has no status for")


class Unmapped(errors.VerticeError):
    """A domain error missing from the table."""


@pytest.fixture
def app_client(ctx) -> falcon.testing.TestClient:
    app = create_app(ctx)
    app.add_route("/boom", Boom())
    return falcon.testing.TestClient(app)


def test_an_unexpected_exception_is_a_logged_500(app_client, caplog):
    caplog.set_level(logging.ERROR, logger="vertice.api")
    result = app_client.simulate_get("/boom", headers={"X-Request-ID": "req-42"})
    assert result.status_code == 500
    assert result.json["title"] == "Internal server error"
    assert "req-42" in result.json["description"]
    assert "vt_do_not_show" not in result.text
    assert result.headers["x-request-id"] == "req-42"
    (record,) = [r for r in caplog.records if r.name == "vertice.api"]
    assert "GET /boom" in record.getMessage() and "req-42" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


def test_without_a_request_id_one_is_made_and_logged(app_client, caplog):
    caplog.set_level(logging.ERROR, logger="vertice.api")
    result = app_client.simulate_get("/boom", headers={"X-Request-ID": "not a token!"})
    assert result.status_code == 500
    made = result.headers["x-request-id"]
    assert made != "not a token!" and len(made) == 32
    assert made in caplog.records[-1].getMessage()


def test_an_unmapped_domain_error_is_a_logged_500_not_a_400(app_client, caplog):
    caplog.set_level(logging.ERROR, logger="vertice.api")
    result = app_client.simulate_post("/boom")
    assert result.status_code == 500
    assert "a domain error" not in result.text
    assert caplog.records[-1].exc_info[0] is Unmapped


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFound("x"), 404),
        (errors.Conflict("x"), 409),
        (errors.Forbidden("x"), 403),
        (errors.StaleVersion("x", current=2), 412),
        (errors.InvalidInput.at("$.x", "wrong"), 422),
    ],
)
def test_each_domain_error_has_its_status(ctx, error, status):
    class Raises:
        public = True

        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            raise error

    app = create_app(ctx)
    app.add_route("/raises", Raises())
    result = falcon.testing.TestClient(app).simulate_get("/raises")
    assert result.status_code == status
    assert result.json["title"] == error.title
    assert result.json["description"] == error.description
    assert ("problems" in result.json) == (status == 422)


def test_the_table_names_no_http_concept_of_the_core():
    assert not hasattr(errors, "BadRequest")
    assert not hasattr(errors, "PreconditionFailed")
    assert errors.ConfigurationError not in STATUS  # a misconfiguration is a logged 500
