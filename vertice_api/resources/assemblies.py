"""Assemblies, their events and their components: `/v3/assembly_factory`, `/v3/assembly/...`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from vertice_api import declare, views
from vertice_api.auth import Principal, principal_of
from vertice_api.context import AppContext
from vertice_api.http import (
    JSON_PATCH,
    check_if_match,
    etag_of,
    int_param,
    paging,
    read_body,
    respond,
)
from vertice_api.resources.named import created
from vertice_core.errors import BadRequest, NotFound
from vertice_core.model.camp import ComponentTag
from vertice_core.store.repositories import (
    AssemblyRepository,
    EventRepository,
    FlavorRepository,
    ProjectRepository,
    RegionRepository,
)
from vertice_core.store.repositories.views import SORTS, AssemblyViews
from vertice_core.store.tables import AssemblyRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SORT_HELP = "+name, -name, +created_at, -created_at, +status or -status"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`(column, descending)` from `+name` / `-created_at` (a `+` may arrive as a space)."""
    if not raw:
        return "name", False
    descending = raw.startswith("-")
    key = raw[1:] if raw[:1] in "+- " else raw
    if key not in SORTS:
        raise BadRequest(f"sort must be one of {SORT_HELP}, not {raw!r}")
    return key, descending


def _load(session: Session, principal: Principal, assembly_id: str) -> AssemblyRow:
    row = AssemblyRepository(session).get(assembly_id, principal.scope)
    if row is None:
        raise NotFound(f"there is no assembly {assembly_id!r}")
    return row


def _project_name(session: Session, row: views.AssemblyLike) -> str:
    projects = ProjectRepository(session).by_ids([row.project_id])
    return projects[0].name if projects else ""


class AssemblyFactory:
    """`/v3/assembly_factory`: list the caller's assemblies, declare a new one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = principal_of(req)
        sort, descending = parse_sort(req.get_param("sort"))
        start, per_page = paging(req)
        with self.ctx.store.connect() as connection:
            page = AssemblyViews(connection).page(
                principal.scope,
                sort=sort,
                descending=descending,
                start=start,
                limit=per_page,
                name=req.get_param("name"),
            )
        items = [views.assembly_item(row) for row in page.rows]
        respond(
            req,
            resp,
            views.collection(
                "/v3/assembly_factory",
                "assembly_factory",
                description="Collection of Assembly",
                items=items,
                total=page.total,
                start=start,
                per_page=per_page,
            ),
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = principal_of(req)
        body = read_body(req)
        with self.ctx.store.write() as session:
            row = declare.declare(self.ctx, session, principal, body)
            project = principal.project_name(row.project_id) or _project_name(session, row)
        document = views.assembly(row, project)
        resp.etag = etag_of(row.generation)
        created(resp, document)


class AssemblyItem:
    """`/v3/assembly/{id}`: read, patch (JSON Patch), delete (202, any phase)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.connect() as connection:
            row = AssemblyViews(connection).one(assembly_id, principal_of(req).scope)
        if row is None:
            raise NotFound(f"there is no assembly {assembly_id!r}")
        resp.etag = etag_of(row.generation)
        respond(req, resp, views.assembly(row, row.project_name))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        principal = principal_of(req)
        operations = read_body(req, accepted=(JSON_PATCH,))
        with self.ctx.store.write() as session:
            row = _load(session, principal, assembly_id)
            check_if_match(req, etag_of(row.generation))
            declare.patch(self.ctx, session, principal, row, operations)
            document = views.assembly(row, _project_name(session, row))
        resp.etag = etag_of(row.generation)
        resp.media = document

    def on_delete(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.write() as session:
            row = _load(session, principal_of(req), assembly_id)
            check_if_match(req, etag_of(row.generation))
            if row.desired_state != "deleted":
                AssemblyRepository(session).change_spec(
                    row, row.generation, desired_state="deleted"
                )
            document = views.assembly(row, _project_name(session, row))
        resp.status = falcon.HTTP_202
        resp.etag = etag_of(row.generation)
        resp.media = document


class AssemblyEvents:
    """`/v3/assembly/{id}/events`: what happened to the assembly, oldest first."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        after = int_param(req, "after", 0)
        _, per_page = paging(req)
        with self.ctx.store.read() as session:
            _load(session, principal_of(req), assembly_id)
            rows = EventRepository(session).of_assembly(assembly_id, after=after, limit=per_page)
            items = [views.event(row) for row in rows]
        respond(
            req,
            resp,
            views.collection(
                f"/v3/assembly/{assembly_id}/events",
                "events",
                description="Events of the assembly, oldest first; pass after=<last id> for more",
                items=items,
                total=len(items),
                start=0,
                per_page=per_page,
            ),
        )


class ComponentItem:
    """`/v3/component/{id}`: one component, with the facts observation filled in."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, component_id: str) -> None:
        assembly_id, _, index_text = component_id.rpartition(".")
        # isdigit() alone also holds for '²', which int() refuses.
        if not assembly_id or not (index_text.isascii() and index_text.isdigit()):
            raise NotFound(f"there is no component {component_id!r}")
        index = int(index_text)
        with self.ctx.store.read() as session:
            try:
                row = _load(session, principal_of(req), assembly_id)
            except NotFound:
                raise NotFound(f"there is no component {component_id!r}") from None
            components = row.spec.get("components", [])
            if index >= len(components):
                raise NotFound(f"there is no component {component_id!r}")
            declared = components[index]
            observed = self._observed(session, row, ComponentTag(declared["tag"]))
        respond(req, resp, views.component(row, index, declared, observed))

    def _observed(self, session: Session, row: AssemblyRow, tag: ComponentTag) -> dict[str, Any]:
        instances = (row.status or {}).get("instances", [])
        if tag is ComponentTag.NETWORK_PUBLIC_IPV4:
            return {"ipv4": views.addresses(instances, "public_ipv4")}
        if tag is ComponentTag.NETWORK_PRIVATE_IPV4:
            return {"ipv4": views.addresses(instances, "private_ipv4")}
        if tag is ComponentTag.REGION:
            region = RegionRepository(session).get(row.region_name)
            return {
                "region": row.region_name,
                "cloud_type": region.cloud_type if region else "",
                "provider_region": region.provider_region if region else "",
            }
        if tag is ComponentTag.FLAVOR:
            flavor = FlavorRepository(session).get(row.flavor_name)
            if flavor is None:
                return {"flavor": row.flavor_name}
            return {
                "flavor": flavor.name,
                "cpu": flavor.cpu,
                "ram": flavor.ram,
                "disk": flavor.disk,
            }
        if tag is ComponentTag.SECURITY:
            return views.credential(row.spec)
        return {}
