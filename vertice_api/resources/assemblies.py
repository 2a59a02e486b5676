"""Assemblies, their events and their components: `/v3/assembly_factory`, `/v3/assembly/...`.

HTTP only: bodies, media types, query parameters, ETags, preconditions and
status codes. What a declaration, a patch or a delete does is the service
layer's (`vertice_core.service.assemblies`).
"""

from __future__ import annotations

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import (
    JSON_PATCH,
    assembly_etag,
    bool_param,
    expected_generations,
    int_param,
    not_modified,
    paging,
    read_body,
    respond,
)
from vertice_api.resources.named import created
from vertice_api.resources.rehearsal import rehearsal
from vertice_core.convert import structure
from vertice_core.errors import InvalidInput, NotFound
from vertice_core.model.assembly import AssemblyDeclaration
from vertice_core.service import StoredAssembly, observed
from vertice_core.store.repositories.views import SORTS, AssemblyViews

SORT_HELP = "+name, -name, +created_at, -created_at, +status or -status"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`(column, descending)` from `+name` / `-created_at` (a `+` may arrive as a space);
    an empty `sort` is a 400 like any value outside the OpenAPI document's enum."""
    if raw is None:
        return "name", False
    descending = raw.startswith("-")
    key = raw[1:] if raw[:1] in "+- " else raw
    if key not in SORTS:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter",
            description=f"sort must be one of {SORT_HELP}, not {raw!r}",
        )
    return key, descending


def _answer(ctx: AppContext, resp: falcon.Response, stored: StoredAssembly) -> None:
    """The assembly's document and its ETag."""
    resp.etag = assembly_etag(stored.assembly.generation, stored.status_version)
    resp.media = views.assembly(ctx.converter, stored)


class AssemblyFactory:
    """`/v3/assembly_factory`: list the caller's assemblies, declare a new one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        sort, descending = parse_sort(req.get_param("sort"))
        start, per_page = paging(req)
        with self.ctx.store.connect() as connection:
            page = AssemblyViews(connection).page(
                caller.scope,
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
        caller = caller_of(req)
        declaration = structure(self.ctx.converter, read_body(req), AssemblyDeclaration)
        if bool_param(req, "dry_run"):
            with self.ctx.store.rehearse() as session:
                declared = self.ctx.assemblies.declare(session, caller, declaration)
                resp.media = rehearsal(self.ctx, session, None, declared.stored())
            return
        with self.ctx.store.write() as session:
            declared = self.ctx.assemblies.declare(session, caller, declaration)
        stored = declared.stored()  # after the commit: writers wait while it is open
        resp.etag = assembly_etag(stored.assembly.generation, stored.status_version)
        created(resp, views.assembly(self.ctx.converter, stored))


class AssemblyItem:
    """`/v3/assembly/{id}`: read (ETag, If-None-Match), patch (JSON Patch, If-Match),
    delete (202, any phase; If-Match; `orphan=true`: 200, gone at once;
    `with_snapshots=true`: its snapshots deleted too). A missing
    assembly, or one the caller cannot see, is a 404 before anything is said about the
    body."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.connect() as connection:
            plain = self.ctx.assemblies.read_plain(connection, caller_of(req), assembly_id)
        resp.etag = etag = assembly_etag(plain.document["generation"], plain.status_version)
        if not_modified(req, etag):
            resp.status = falcon.HTTP_304
            return
        respond(req, resp, views.plain_assembly(plain), views.ASSEMBLY_SOMETIMES)

    def on_patch(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        caller = caller_of(req)
        try:
            operations = read_body(req, accepted=(JSON_PATCH,))
        except falcon.HTTPError:
            # A missing assembly is a 404 whatever the body (the service checks the
            # assembly before the patch, so its 400s and 422s already come second).
            self._must_be_visible(req, assembly_id)
            raise
        if bool_param(req, "dry_run"):
            self._rehearse_patch(req, resp, assembly_id, operations)
            return
        with self.ctx.store.write() as session:
            stored = self.ctx.assemblies.patch(
                session, caller, assembly_id, operations, expected=expected_generations(req)
            )
        _answer(self.ctx, resp, stored)

    def _rehearse_patch(
        self, req: falcon.Request, resp: falcon.Response, assembly_id: str, operations: object
    ) -> None:
        """`?dry_run=true`: what the patch would change and make the next pass do."""
        caller = caller_of(req)
        with self.ctx.store.rehearse() as session:
            before = self.ctx.assemblies.read(session.connection(), caller, assembly_id)
            stored = self.ctx.assemblies.patch(
                session, caller, assembly_id, operations, expected=expected_generations(req)
            )
            document = views.assembly(self.ctx.converter, before)
            resp.media = rehearsal(self.ctx, session, document, stored)
        # The version it was tried on: send it as If-Match to make the change only if
        # nothing moved since.
        resp.etag = assembly_etag(before.assembly.generation, before.status_version)

    def _must_be_visible(self, req: falcon.Request, assembly_id: str) -> None:
        """`NotFound` unless the caller may see the assembly."""
        with self.ctx.store.connect() as connection:
            self.ctx.assemblies.read(connection, caller_of(req), assembly_id)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        force = req.get_param_as_bool("force", default=False)
        with_snapshots = bool_param(req, "with_snapshots")
        with_disks = bool_param(req, "with_disks")
        if bool_param(req, "orphan"):
            if with_snapshots or with_disks:  # a missing assembly is a 404 first, as always
                self._must_be_visible(req, assembly_id)
                what = "with_snapshots" if with_snapshots else "with_disks"
                # Each parameter is valid; together they ask for what cannot be: a 422
                # (a fresh-clone run's schemathesis walk flagged the 400 it was).
                raise InvalidInput.at(
                    f"?{what}",
                    f"{what} cannot go with orphan=true, which calls no cloud: delete them first",
                )
            self._orphan(req, resp, assembly_id, force)
            return
        with self.ctx.store.write() as session:
            stored = self.ctx.assemblies.delete(
                session, caller_of(req), assembly_id, expected=expected_generations(req),
                force=force, with_snapshots=with_snapshots, with_disks=with_disks,
            )  # fmt: skip
        resp.status = falcon.HTTP_202
        _answer(self.ctx, resp, stored)

    def _orphan(
        self, req: falcon.Request, resp: falcon.Response, assembly_id: str, force: bool
    ) -> None:
        """`?orphan=true`: the assembly is gone at once, its instances left in the cloud;
        200 with what was abandoned (there is no assembly left to answer 202 with). Its
        `Orphaned` event goes to the plugins once the delete committed."""
        with self.ctx.store.write() as session:
            found = self.ctx.assemblies.orphan(
                session, caller_of(req), assembly_id, expected=expected_generations(req),
                force=force,
            )  # fmt: skip
        self.ctx.announce([(found.event, found.project_id)])
        resp.media = views.orphaned(found)


class AssemblyEvents:
    """`/v3/assembly/{id}/events`: what happened to the assembly, oldest first."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        after = int_param(req, "after", 0)
        _, per_page = paging(req)
        with self.ctx.store.read() as session:
            rows = observed.events(
                session, caller_of(req), assembly_id, after=after, limit=per_page
            )
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
        # isdigit() alone also holds for '²', which int() refuses; no assembly has 10**9.
        digits = index_text.isascii() and index_text.isdigit() and len(index_text) <= 9
        if not assembly_id or not digits:
            raise NotFound(f"there is no component {component_id!r}")
        with self.ctx.store.read() as session:
            found = observed.component(session, caller_of(req), assembly_id, int(index_text))
        respond(req, resp, views.component(found))
