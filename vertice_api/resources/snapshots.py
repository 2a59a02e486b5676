"""Snapshots: `/v3/assembly/{id}/snapshots`, `/v3/snapshots`, `/v3/snapshots/{id}`.

HTTP only: asking for a snapshot and deleting one answer 202 at once (the snapshot
controller calls the cloud, never the request); the rules (an instance observed
running, a driver claiming `snapshot`, a name free in the project) are the service
layer's (`vertice_core.service.snapshots`). A snapshot of a project the caller is
not a member of answers 404, exactly like a missing one; so does a write to an
assembly the caller cannot see, whatever its body.
"""

from __future__ import annotations

from typing import Any

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import accepted, read_body, respond
from vertice_core.convert import format_time, structure
from vertice_core.errors import InvalidInput
from vertice_core.model.snapshot import SnapshotInput
from vertice_core.service.snapshots import StoredSnapshot

COLLECTION = f"{views.V3}/snapshots"


def snapshot_document(stored: StoredSnapshot) -> dict[str, Any]:
    """A snapshot: where it comes from, where it is, and where its making stands."""
    doc = views.common(f"{COLLECTION}/{stored.id}", stored.name, "snapshot")
    doc.update(
        id=stored.id,
        project=stored.project,
        assembly={
            "id": stored.assembly_id,
            "name": stored.assembly_name,
            "uri": views.assembly_uri(stored.assembly_id),
        },
        instance=stored.instance,
        region=stored.region,
        phase=stored.phase,
        message=stored.message,
        image_id=stored.image_id,
        created_at=format_time(stored.created_at),
        updated_at=format_time(stored.updated_at),
    )
    return doc


def _accepted(resp: falcon.Response, stored: StoredSnapshot, *, located: bool = True) -> None:
    """202 with the document: the controller does the rest."""
    accepted(resp, snapshot_document(stored), located=located)


def _listing(uri: str, stored: list[StoredSnapshot]) -> dict[str, Any]:
    items = [snapshot_document(s) for s in stored]
    return views.listing(uri, "snapshots", "Snapshots", items)


class AssemblySnapshots:
    """`/v3/assembly/{id}/snapshots`: the assembly's snapshots; POST asks for one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.snapshots.of_assembly(session, caller_of(req), assembly_id)
        respond(req, resp, _listing(f"{views.assembly_uri(assembly_id)}/snapshots", stored))

    def on_post(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        caller = caller_of(req)
        try:
            request = structure(self.ctx.converter, read_body(req), SnapshotInput)
        except (falcon.HTTPError, InvalidInput):
            # An assembly the caller cannot see is a 404 whatever the body.
            with self.ctx.store.connect() as connection:
                self.ctx.assemblies.read(connection, caller, assembly_id)
            raise
        with self.ctx.store.write() as session:
            stored = self.ctx.snapshots.create(session, caller, assembly_id, request)
        _accepted(resp, stored)


class Snapshots:
    """`/v3/snapshots`: the caller's snapshots (`?project=`, `?assembly=` narrow)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.snapshots.visible(
                session,
                caller_of(req),
                project=req.get_param("project"),
                assembly=req.get_param("assembly"),
            )
        respond(req, resp, _listing(COLLECTION, stored))


class SnapshotItem:
    """`/v3/snapshots/{snapshot_id}`: read one; DELETE asks for its deletion (202)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, snapshot_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.snapshots.get(session, caller_of(req), snapshot_id)
        respond(req, resp, snapshot_document(stored))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, snapshot_id: str) -> None:
        with self.ctx.store.write() as session:
            stored = self.ctx.snapshots.delete(session, caller_of(req), snapshot_id)
        _accepted(resp, stored, located=False)
