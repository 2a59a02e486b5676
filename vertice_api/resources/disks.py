"""Disks: `/v3/disks`, `/v3/disks/{id}`, `/v3/assembly/{id}/disks`.

HTTP only: declaring, changing and deleting a disk answer 202 at once (the disk
controller calls the cloud, never the request); the rules (a driver claiming
`disks`, a size that only grows, an attachment to an instance of the project's
assembly in the disk's region, the quota) are the service layer's
(`vertice_core.service.disks`). Another project's disk answers 404, exactly like a
missing one.
"""

from __future__ import annotations

from typing import Any

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_api.http import accepted, read_body, respond
from vertice_core.convert import format_time, structure
from vertice_core.model.disk import DiskChange, DiskInput
from vertice_core.service.disks import StoredDisk

COLLECTION = f"{views.V3}/disks"


def disk_document(stored: StoredDisk) -> dict[str, Any]:
    """A disk: what it should be, and where the cloud stands."""
    doc = views.common(f"{COLLECTION}/{stored.id}", stored.name, "disk")
    attach = None
    if stored.assembly_id:
        attach = {"assembly": {"id": stored.assembly_id, "name": stored.assembly_name,
                               "uri": views.assembly_uri(stored.assembly_id)},
                  "instance": stored.instance}  # fmt: skip
    doc.update(
        id=stored.id,
        project=stored.project,
        region=stored.region,
        size_gb=stored.size_gb,
        attach=attach,
        deleting=stored.deleting,
        phase=stored.phase,
        message=stored.message,
        cloud_id=stored.cloud_id,
        observed={
            "size_gb": stored.size_seen,
            "attached_to": stored.attached_to,
            "device": stored.device,
        },
        created_at=format_time(stored.created_at),
        updated_at=format_time(stored.updated_at),
    )
    return doc


def _accepted(resp: falcon.Response, stored: StoredDisk, *, located: bool = True) -> None:
    """202 with the document: the controller does the rest."""
    accepted(resp, disk_document(stored), located=located)


def _listing(uri: str, stored: list[StoredDisk]) -> dict[str, Any]:
    return views.listing(uri, "disks", "Disks", [disk_document(s) for s in stored])


class Disks:
    """`/v3/disks`: the caller's disks (`?project=`, `?assembly=`, `?region=` narrow);
    POST declares one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.disks.visible(
                session, caller_of(req), project=req.get_param("project"),
                assembly=req.get_param("assembly"), region=req.get_param("region"),
            )  # fmt: skip
        respond(req, resp, _listing(COLLECTION, stored))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = structure(self.ctx.converter, read_body(req), DiskInput)
        with self.ctx.store.write() as session:
            stored = self.ctx.disks.create(session, caller_of(req), request)
        _accepted(resp, stored)


class DiskItem:
    """`/v3/disks/{disk_id}`: read one; PATCH grows, attaches or detaches it; DELETE asks
    for its deletion (202)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, disk_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.disks.get(session, caller_of(req), disk_id)
        respond(req, resp, disk_document(stored))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, disk_id: str) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:  # another project's disk: 404 whatever the body
            self.ctx.disks.get(session, caller, disk_id)
        change = structure(self.ctx.converter, read_body(req), DiskChange)
        with self.ctx.store.write() as session:
            stored = self.ctx.disks.change(session, caller, disk_id, change)
        _accepted(resp, stored, located=False)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, disk_id: str) -> None:
        with self.ctx.store.write() as session:
            stored = self.ctx.disks.delete(session, caller_of(req), disk_id)
        _accepted(resp, stored, located=False)


class AssemblyDisks:
    """`/v3/assembly/{id}/disks`: the disks attached (or to be attached) to the assembly."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, assembly_id: str) -> None:
        with self.ctx.store.read() as session:
            stored = self.ctx.disks.of_assembly(session, caller_of(req), assembly_id)
        respond(req, resp, _listing(f"{views.assembly_uri(assembly_id)}/disks", stored))
