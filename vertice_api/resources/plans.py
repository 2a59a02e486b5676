"""Plans: `/v3/plan_factory` and `/v3/plan/{name}` (admins write, everyone reads)."""

from __future__ import annotations

from typing import Any

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import JSON_TYPES, YAML_TYPES, dump_json, paging, read_body, respond
from vertice_api.resources.named import created, delete_unused, ensure_free, existing
from vertice_core.convert import structure, unstructure
from vertice_core.errors import InvalidInput
from vertice_core.model.camp import CAMP_VERSIONS, Plan
from vertice_core.store.repositories import PlanRepository

PLAN_TYPES = JSON_TYPES + YAML_TYPES

MAX_PLAN_BYTES = 256 * 1024
"""The largest plan stored, in bytes of its JSON document as stored and sent back.

A body is at most 1 MiB, but the plan it declares may be larger once normalised (every
service and characteristic written out with its defaults), and every read of the plans
loads the documents: a 6.9 MB plan made each `GET /v3/plan_factory` take a second
(issue 17). The built-in plans are about 1 KiB each; a larger plan is refused with a 413.
"""


def parse_plan(ctx: AppContext, body: Any) -> Plan:
    """A plan from a request body: 400 for a missing or unsupported camp_version, else 422s
    (among them a `::command` characteristic that is not lists of bounded strings)."""
    if isinstance(body, dict):
        version = body.get("camp_version")
        if isinstance(version, float):  # YAML reads an unquoted `camp_version: 1.2` as a number
            version = body["camp_version"] = str(version)
        if version is None:
            raise _bad_version(f"camp_version is required; supported: {', '.join(CAMP_VERSIONS)}")
        if version not in CAMP_VERSIONS:
            raise _bad_version(
                f"camp_version {version!r} is not supported; supported: {', '.join(CAMP_VERSIONS)}"
            )
    plan = structure(ctx.converter, body, Plan)
    problems = plan.run_problems()
    if problems:
        raise InvalidInput(problems)
    return plan


def plan_document(ctx: AppContext, plan: Plan) -> dict[str, Any]:
    """The document `plan` is stored as; a 413 naming both sizes when it is over
    `MAX_PLAN_BYTES`."""
    document: dict[str, Any] = unstructure(ctx.converter, plan)
    size = len(dump_json(document))
    if size > MAX_PLAN_BYTES:
        raise falcon.HTTPContentTooLarge(
            title="Plan too large",
            description=f"the plan is {size} bytes as JSON, over the limit of "
            f"{MAX_PLAN_BYTES} bytes ({MAX_PLAN_BYTES // 1024} KiB)",
        )
    return document


def _bad_version(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad request", description=description)


class PlanFactory:
    """`/v3/plan_factory`: the plans (built-in and registered)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        start, per_page = paging(req)
        with self.ctx.store.read() as session:
            rows = PlanRepository(session).all()
        items = [views.plan_item(row) for row in rows[start : start + per_page]]
        respond(
            req,
            resp,
            views.collection(
                "/v3/plan_factory",
                "plan_factory",
                description="Collection of Plan",
                items=items,
                total=len(rows),
                start=start,
                per_page=per_page,
            ),
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        plan = parse_plan(self.ctx, read_body(req, accepted=PLAN_TYPES))
        stored = plan_document(self.ctx, plan)
        with self.ctx.store.write() as session:
            plans = PlanRepository(session)
            ensure_free(plans, plan.name, "plan")
            row = plans.add(name=plan.name, builtin=False, document=stored)
            document = views.plan(row)
        created(resp, document)


class PlanItem:
    """`/v3/plan/{name}`: read; admins replace (PUT) and delete."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            respond(req, resp, views.plan(existing(PlanRepository(session), name, "plan")))

    def on_put(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        body = read_body(req, accepted=PLAN_TYPES)
        if isinstance(body, dict):
            body.setdefault("name", name)
        plan = parse_plan(self.ctx, body)
        if plan.name != name:
            raise InvalidInput.at("$.name", f"must be {name!r}, the plan's name in the URI")
        stored = plan_document(self.ctx, plan)
        with self.ctx.store.write() as session:
            plans = PlanRepository(session)
            row = existing(plans, name, "plan")
            plans.update(row, document=stored)
            resp.media = views.plan(row)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.ctx.catalog.invalidate()
        caller_of(req).require_admin()
        with self.ctx.store.write() as session:
            delete_unused(PlanRepository(session), name, "plan")
        resp.status = falcon.HTTP_204
