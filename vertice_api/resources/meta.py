"""Resources about the service: `/healthz`, `/v3/platform`, `/v3/openapi.json`, `/v3/drivers`."""

from __future__ import annotations

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import dump_json, respond
from vertice_core.store import schema


class Health:
    """`/healthz`: 200 when the database answers and its schema is the one this code needs,
    503 otherwise (`schema` then says what to run). No token needed."""

    public = True

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        problem = self.ctx.store.ping()
        if problem:
            resp.status = falcon.HTTP_503
            resp.media = {"status": "unavailable", "database": problem, "schema": "unknown"}
            return
        behind = schema.schema_problem(self.ctx.store.engine)
        if behind:
            resp.status = falcon.HTTP_503
            resp.media = {"status": "unavailable", "database": "ok", "schema": behind}
            return
        resp.media = {"status": "ok", "database": "ok", "schema": "ok"}


class Platform:
    """`/v3/platform`: the CAMP platform resource, with the URIs of the collections."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        respond(req, resp, views.platform())


class OpenApi:
    """`/v3/openapi.json`: the OpenAPI 3.1 document of this API. No token needed.

    The document is made on its first request and kept as its JSON text: as objects it
    held 0.7 MB of every worker's memory, and its modules 0.7 MB more, though most
    workers never serve it.
    """

    public = True

    def __init__(self, max_replicas: int) -> None:
        self.max_replicas = max_replicas
        self._body: bytes | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self._body is None:
            from vertice_api import openapi  # here: see the class's docstring

            self._body = dump_json(openapi.document(self.max_replicas))
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self._body


class Drivers:
    """`/v3/drivers`: installed drivers, versions, capabilities, load errors (admins)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller_of(req).require_admin()
        items = [
            {
                "name": r.cloud_type,
                "cloud_type": r.cloud_type,
                "distribution": r.distribution,
                "version": r.version,
                "capabilities": r.capabilities,
                "description": r.description,
                "error": r.error,
            }
            for r in self.ctx.registry.report()
        ]
        respond(req, resp, views.listing("/v3/drivers", "drivers", "Installed drivers", items))
