"""`/v3/routes`: hostnames served by the installation's reverse proxy in front of assemblies.

HTTP only: the rules (a free hostname, an assembly of the route's project, sealed
certificates) are the service layer's (`vertice_core.service.routes`). A route of
a project the caller is not a member of answers 404, exactly like a missing one.
"""

from __future__ import annotations

import falcon

from vertice_api import app_views, views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import read_body, respond
from vertice_api.resources.named import created
from vertice_core.convert import structure
from vertice_core.model.route import RouteInput


class Routes:
    """`/v3/routes`: the caller's routes (`?project=` narrows); POST declares one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            stored = self.ctx.routes.visible(session, caller, req.get_param("project"))
        items = [app_views.route(s) for s in stored]
        respond(req, resp, views.listing("/v3/routes", "routes", "Routes", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        route = structure(self.ctx.converter, read_body(req), RouteInput)
        with self.ctx.store.write() as session:
            stored = self.ctx.routes.declare(session, caller, route)
        created(resp, app_views.route(stored))


class RouteItem:
    """`/v3/routes/{route_id}`: read or delete one route."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, route_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.routes.get(session, caller_of(req), route_id)
        respond(req, resp, app_views.route(stored))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, route_id: str) -> None:
        with self.ctx.store.write() as session:
            self.ctx.routes.delete(session, caller_of(req), route_id)
        resp.status = falcon.HTTP_204
