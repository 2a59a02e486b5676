"""`/v3/builds`: builds of assemblies' sources, their logs, and cancelling them.

HTTP only: the rules are the service layer's (`vertice_core.service.builds`).
A build of a project the caller is not a member of answers 404, exactly like a
missing one. The log is plain text read from an offset: a client follows a
running build by asking again from `X-Next-Offset` until `X-Build-State` is
final (`vertice logs build ID --follow` does).
"""

from __future__ import annotations

import falcon

from vertice_api import app_views, views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import read_body, read_raw, respond
from vertice_api.resources.named import created
from vertice_core.convert import structure
from vertice_core.errors import InvalidInput
from vertice_core.model.build import BuildRequest, RollbackRequest

#: Characters of log one GET returns unless `limit` says otherwise.
DEFAULT_LOG_READ = 65_536


class Builds:
    """`/v3/builds`: the caller's newest builds (`?project=`, `?assembly=` narrow); POST
    requests one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            found = self.ctx.builds.visible(
                session, caller, req.get_param("project"), req.get_param("assembly")
            )
        items = [app_views.build(b) for b in found]
        respond(req, resp, views.listing("/v3/builds", "builds", "Builds", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        request = structure(self.ctx.converter, read_body(req), BuildRequest)
        with self.ctx.store.write() as session:
            build = self.ctx.builds.request(session, caller, request)
        created(resp, app_views.build(build))


class BuildItem:
    """`/v3/builds/{build_id}`: read one build."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, build_id: str) -> None:
        with self.ctx.store.read() as session:
            build = self.ctx.builds.get(session, caller_of(req), build_id)
        respond(req, resp, app_views.build(build))


class BuildCancel:
    """`/v3/builds/{build_id}/cancel`: POST cancels a queued build, stops a running one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response, build_id: str) -> None:
        with self.ctx.store.write() as session:
            build = self.ctx.builds.cancel(session, caller_of(req), build_id)
        respond(req, resp, app_views.build(build))


class BuildLog:
    """`/v3/builds/{build_id}/log?offset=&limit=`: the log as plain text, from `offset`."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, build_id: str) -> None:
        offset = _integer(req, "offset", 0)
        limit = _integer(req, "limit", DEFAULT_LOG_READ)
        with self.ctx.store.read() as session:
            build, text = self.ctx.builds.log(session, caller_of(req), build_id, offset, limit)
        resp.content_type = "text/plain; charset=utf-8"
        resp.set_header("X-Next-Offset", str(offset + len(text)))
        resp.set_header("X-Build-State", build.state.value)
        resp.text = text


def _integer(req: falcon.Request, name: str, default: int) -> int:
    text = req.get_param(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 10:
        raise InvalidInput.at(f"$.{name}", "must be a non-negative integer")
    return int(text)


class AssemblyRollback:
    """`/v3/assembly/{assembly_id}/rollback`: run an earlier successful build's image again."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        request = structure(self.ctx.converter, read_body(req), RollbackRequest)
        with self.ctx.store.write() as session:
            build, event, project_id = self.ctx.builds.rollback(
                session, caller_of(req), assembly_id, request.revision
            )
        self.ctx.announce([(event, project_id)])
        respond(req, resp, app_views.build(build))


class AssemblyWebhook:
    """`/v3/assembly/{assembly_id}/webhook`: POST makes (or rotates) the push webhook and is
    the only answer with its secret; GET reads it; DELETE removes it."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.write() as session:
            hook = self.ctx.webhooks.put(session, caller_of(req), assembly_id)
        resp.status = falcon.HTTP_201
        resp.location = hook.url
        resp.media = app_views.webhook(hook)

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.read() as session:
            hook = self.ctx.webhooks.get(session, caller_of(req), assembly_id)
        respond(req, resp, app_views.webhook(hook))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.write() as session:
            self.ctx.webhooks.delete(session, caller_of(req), assembly_id)
        resp.status = falcon.HTTP_204


class Hook:
    """`/v3/hooks/{hook_id}`: where git hosts deliver pushes. No token: the delivery proves
    itself with the webhook's secret (a signature or GitLab's token), else 401."""

    public = True

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response, hook_id: str) -> None:
        body = read_raw(req)
        headers = {k: v for k, v in req.headers.items() if k.upper().startswith("X-")}
        with self.ctx.store.write() as session:
            delivery = self.ctx.webhooks.deliver(session, hook_id, headers, body)
        resp.status = falcon.HTTP_202
        resp.media = {"host": delivery.host, "build": delivery.build_id,
                      "ignored": delivery.ignored}  # fmt: skip
