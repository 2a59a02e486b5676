"""Snapshots: ask for one, list, read, delete, and restore one into a new assembly.

A snapshot is asked for on an assembly the caller may see, not being deleted, of
one of its instances that the last reconcile pass observed with a cloud id (the
instance rows say so), in a region whose driver claims the `snapshot` capability
(`service.capabilities`: the driver itself is never loaded, and no cloud is called). It is
stored PENDING and due; the snapshot controller (`vertice_core.snapshots`) makes
it. A deletion marks it DELETING (again: nothing more; refused while an
assembly restored from it is not being deleted); the controller deletes the
cloud's image, then the snapshot. Another project's snapshot is "not found",
like a missing one.

`restored` resolves the `snapshot` of an assembly's declaration: a snapshot of
the declaration's project, AVAILABLE, in the one region the assembly runs in.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from vertice_core.errors import Conflict, InvalidInput, NotFound, Problem
from vertice_core.model.assembly import AssemblyDeclaration, DesiredState
from vertice_core.model.snapshot import RestoredSnapshot, SnapshotInput, SnapshotPhase
from vertice_core.service import capabilities
from vertice_core.service.resolve import project_name, visible_project
from vertice_core.store.repositories import AssemblyRepository
from vertice_core.store.repositories.snapshots import SnapshotRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import SnapshotRow

#: The capability a snapshot needs (`vertice_core.driver.Capability.SNAPSHOT`).
SNAPSHOT = "snapshot"

#: Instance states in which there is a disk to copy.
LIVE_STATES = ("pending", "running", "stopped")


@attrs.frozen
class StoredSnapshot:
    """A snapshot as the domain returns it."""

    id: str
    name: str
    project: str
    assembly_id: str
    #: The source assembly's name when the snapshot was asked for.
    assembly_name: str
    instance: int
    region: str
    phase: str
    message: str
    image_id: str
    created_at: datetime
    updated_at: datetime


class SnapshotService:
    """Every operation on snapshots (see the module's docstring)."""

    def __init__(self, svc: ServiceContext) -> None:
        self.svc = svc

    def create(
        self, session: Session, caller: Caller, assembly_id: str, request: SnapshotInput
    ) -> StoredSnapshot:
        """Ask for a snapshot of one instance of an assembly (due for the controller now)."""
        row = AssemblyRepository(session).one(assembly_id, caller.scope)
        if row is None:
            raise NotFound(f"there is no assembly {assembly_id!r}")
        if row.desired_state == DesiredState.DELETED:
            raise Conflict("the assembly is being deleted; it can no longer be snapshotted")
        snapshots = SnapshotRepository(session)
        ordinal = int(request.instance)
        instance = snapshots.instance(row.id, ordinal)
        region = (instance.region_name if instance is not None else "") or row.region_name
        capabilities.require(session, self.svc.capabilities, [region], SNAPSHOT,
                             doing="make snapshots")  # fmt: skip
        if instance is None and ordinal >= row.replicas:
            raise InvalidInput.at("$.instance", f"the assembly has no instance {ordinal} (it "
                                  f"declares {row.replicas}, numbered from 0)")  # fmt: skip
        if instance is None or not instance.cloud_id or instance.state not in LIVE_STATES:
            raise Conflict(
                f"instance {ordinal} of assembly {row.name!r} has not been observed running in "
                "the cloud yet; ask again once it runs"
            )
        stored = snapshots.create(
            project_id=row.project_id,
            name=request.name,
            assembly_id=row.id,
            assembly_name=row.name,
            ordinal=ordinal,
            instance_cloud_id=instance.cloud_id,
            region_name=region,
            phase=SnapshotPhase.PENDING.value,
            due_at=time.time(),
        )
        if stored is None:
            raise Conflict(f"the project already has a snapshot named {request.name!r}")
        return _stored(session, caller, stored)

    def visible(
        self,
        session: Session,
        caller: Caller,
        *,
        project: str | None = None,
        assembly: str | None = None,
    ) -> list[StoredSnapshot]:
        """The snapshots the caller may see (of one project, of one source assembly by id or
        name, when asked)."""
        scope = caller.scope if project is None else [visible_project(session, caller, project)]
        rows = SnapshotRepository(session).in_projects(scope, assembly)
        return [_stored(session, caller, r) for r in rows]

    def of_assembly(
        self, session: Session, caller: Caller, assembly_id: str
    ) -> list[StoredSnapshot]:
        """The snapshots of an assembly (404 unless the caller sees it or one of them: they
        outlive it)."""
        rows = [r for r in SnapshotRepository(session).in_projects(caller.scope, assembly_id)
                if r.assembly_id == assembly_id]  # fmt: skip
        if not rows and AssemblyRepository(session).one(assembly_id, caller.scope) is None:
            raise NotFound(f"there is no assembly {assembly_id!r}")
        return [_stored(session, caller, r) for r in rows]

    def get(self, session: Session, caller: Caller, snapshot_id: str) -> StoredSnapshot:
        """One snapshot the caller may see."""
        return _stored(session, caller, _find(session, caller, snapshot_id))

    def delete(self, session: Session, caller: Caller, snapshot_id: str) -> StoredSnapshot:
        """Ask for a snapshot's deletion (again: a no-op); the controller deletes the cloud's
        image, then the snapshot. A snapshot an assembly was restored from is a 409 naming
        it: its instances (a replacement, a scale up) are launched from the image."""
        row = _find(session, caller, snapshot_id)
        if row.deleting:
            return _stored(session, caller, row)
        snapshots = SnapshotRepository(session)
        users = snapshots.restored_from(row.project_id, row.id)
        if users:
            raise Conflict(f"snapshot {row.name!r} is still used by assemblies restored from it: "
                           f"{', '.join(users)} (delete them first)")  # fmt: skip
        snapshots.mark_deleting(row, time.time())
        return _stored(session, caller, row)


def restored(
    session: Session, project_id: str | None, declaration: AssemblyDeclaration, region: str
) -> tuple[RestoredSnapshot | None, list[Problem]]:
    """The snapshot a declaration restores (None: none, or a problem at `$.snapshot`)."""
    ref = declaration.snapshot
    if ref is None or project_id is None:
        return None, []
    if declaration.source is not None:
        return None, [Problem("$.snapshot", "an assembly built from a source runs its builds' "
                              "image: it cannot also be restored from a snapshot")]  # fmt: skip
    row = SnapshotRepository(session).in_project(project_id, ref)
    if row is None:
        return None, [Problem("$.snapshot", f"the project has no snapshot {ref!r}")]
    regions = set(declaration.placement.regions) if declaration.placement else {region}
    if regions != {row.region_name}:
        where = ", ".join(sorted(regions))
        return None, [Problem("$.snapshot", f"snapshot {row.name!r} is in region "
                              f"{row.region_name!r}: the assembly must run there only, not in "
                              f"{where}")]  # fmt: skip
    if row.phase != SnapshotPhase.AVAILABLE or row.deleting or not row.image_id:
        if row.deleting:
            why = "it is being deleted"
        elif row.phase == SnapshotPhase.FAILED:
            why = row.message or "the cloud could not make it"
        else:
            why = "the cloud has not made it yet"
        return None, [Problem("$.snapshot", f"snapshot {row.name!r} is {row.phase}, not "
                              f"AVAILABLE: {why}")]  # fmt: skip
    return RestoredSnapshot(id=row.id, name=row.name, image_id=row.image_id), []


def delete_of_assembly(session: Session, project_id: str, assembly_id: str) -> list[str]:
    """Ask for the deletion of every snapshot made of the assembly (its deletion asked
    `with_snapshots`); their names. A snapshot another assembly was restored from is a
    409 naming both, and then none is deleted."""
    repository = SnapshotRepository(session)
    rows = [r for r in repository.in_projects([project_id], assembly_id)
            if r.assembly_id == assembly_id and not r.deleting]  # fmt: skip
    used = {r.name: repository.restored_from(project_id, r.id) for r in rows}
    busy = {name: users for name, users in used.items() if users}
    if busy:
        said = "; ".join(f"{name!r} by {', '.join(users)}" for name, users in busy.items())
        raise Conflict(f"snapshots of the assembly are still used by assemblies restored from "
                       f"them: {said} (delete those first, or keep the snapshots)")  # fmt: skip
    now = time.time()
    for row in rows:
        repository.mark_deleting(row, now)
    return [r.name for r in rows]


def _find(session: Session, caller: Caller, snapshot_id: str) -> SnapshotRow:
    row = SnapshotRepository(session).get(snapshot_id, caller.scope)
    if row is None:
        raise NotFound(f"there is no snapshot {snapshot_id!r}")
    return row


def _stored(session: Session, caller: Caller, row: SnapshotRow) -> StoredSnapshot:
    return StoredSnapshot(
        id=row.id,
        name=row.name,
        project=project_name(session, caller, row.project_id),
        assembly_id=row.assembly_id,
        assembly_name=row.assembly_name,
        instance=row.ordinal,
        region=row.region_name,
        phase=row.phase,
        message=row.message,
        image_id=row.image_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
