"""`/v3/scalers`: assemblies' replicas driven by Prometheus queries (HorizontalAssemblyScaler).

HTTP only: the rules (an assembly of the scaler's project with no scaler yet,
`max` within the installation's bound, a query Prometheus can parse) are the
service layer's (`vertice_core.service.scalers`). A scaler of a project the caller
is not a member of answers 404, exactly like a missing one.
"""

from __future__ import annotations

import falcon

from vertice_api import app_views, views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import read_body, respond
from vertice_api.resources.named import created
from vertice_core.convert import structure
from vertice_core.model.scaler import ScalerInput


class Scalers:
    """`/v3/scalers`: the caller's scalers (`?project=` narrows); POST declares one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            stored = self.ctx.scalers.visible(session, caller, req.get_param("project"))
        items = [app_views.scaler(s) for s in stored]
        respond(req, resp, views.listing("/v3/scalers", "scalers", "Scalers", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        scaler = structure(self.ctx.converter, read_body(req), ScalerInput)
        with self.ctx.store.write() as session:
            stored = self.ctx.scalers.declare(session, caller, scaler)
        created(resp, app_views.scaler(stored))


class ScalerItem:
    """`/v3/scalers/{scaler_id}`: read, change (a JSON object of fields) or delete one scaler."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, scaler_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.scalers.get(session, caller_of(req), scaler_id)
        respond(req, resp, app_views.scaler(stored))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, scaler_id: str) -> None:
        try:
            changes = read_body(req)
        except falcon.HTTPError:
            # A scaler the caller cannot see is a 404 whatever the body.
            with self.ctx.store.read() as session:
                self.ctx.scalers.get(session, caller_of(req), scaler_id)
            raise
        with self.ctx.store.write() as session:
            stored = self.ctx.scalers.change(session, caller_of(req), scaler_id, changes)
        respond(req, resp, app_views.scaler(stored))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, scaler_id: str) -> None:
        with self.ctx.store.write() as session:
            self.ctx.scalers.delete(session, caller_of(req), scaler_id)
        resp.status = falcon.HTTP_204
