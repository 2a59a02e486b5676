"""Quotas: `/v3/quotas`, `/v3/quotas/{project}` and `/v3/quotas/{project}/{region}`.

Everyone reads the quotas of their projects with what those projects declare;
administrators set (`PUT`) and lift (`DELETE`) them. A project's quota over all
regions is `/v3/quotas/{project}`, one region's is `/v3/quotas/{project}/{region}`.
What is counted, and when a write is refused, is `vertice_core.service.quotas`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs
import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.http import read_body, respond
from vertice_core.convert import format_time, structure
from vertice_core.model.quota import RESOURCES, QuotaLimits
from vertice_core.service.quotas import ProjectQuota, QuotaService

if TYPE_CHECKING:
    from vertice_api.context import AppContext

SERVICE = QuotaService()


def quota_uri(found: ProjectQuota) -> str:
    """Where a quota is read and set."""
    uri = f"{views.V3}/quotas/{quote(found.project, safe='')}"
    return uri if found.region is None else f"{uri}/{quote(found.region, safe='')}"


def quota(found: ProjectQuota) -> dict[str, Any]:
    """A quota: its limits (null: none) and what the project declares in its scope."""
    name = found.project if found.region is None else f"{found.project}/{found.region}"
    doc = views.common(quota_uri(found), name, "quota")
    doc.update(
        project=found.project,
        region=found.region,
        limits=attrs.asdict(found.limits),
        usage={r: found.usage.of(r) for r in RESOURCES},
        updated_at=format_time(found.updated_at) if found.updated_at else None,
        updated_by=found.updated_by,
    )
    return doc


class Quotas:
    """`/v3/quotas`: the caller's projects' quotas (`?project=`: one project's)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            found = SERVICE.visible(session, caller_of(req), req.get_param("project"))
        items = [quota(q) for q in found]
        respond(req, resp, views.collection(
            f"{views.V3}/quotas", "quotas", description="Quotas and what is declared against "
            "them", items=items, total=len(items), start=0, per_page=len(items)))  # fmt: skip


class QuotaItem:
    """`/v3/quotas/{project}[/{region}]`: read, set (administrators), lift (administrators)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, project: str, region: str | None = None
    ) -> None:
        with self.ctx.store.read() as session:
            found = SERVICE.visible(session, caller_of(req), project)
        match = [q for q in found if q.region == region]
        if not match:  # a region's quota that is not set: its usage alone is not listed
            raise falcon.HTTPNotFound(
                title="Not found", description=f"project {project!r} has no quota in {region!r}"
            )
        respond(req, resp, quota(match[0]))

    def on_put(
        self, req: falcon.Request, resp: falcon.Response, project: str, region: str | None = None
    ) -> None:
        limits = structure(self.ctx.converter, read_body(req), QuotaLimits)
        with self.ctx.store.write() as session:
            found = SERVICE.put(session, caller_of(req), project, region, limits)
        resp.media = quota(found)

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, project: str, region: str | None = None
    ) -> None:
        with self.ctx.store.write() as session:
            SERVICE.remove(session, caller_of(req), project, region)
        resp.status = falcon.HTTP_204
