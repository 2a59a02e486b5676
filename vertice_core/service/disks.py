"""Disks: declare one, read, grow, attach, detach and delete (issue 14, day 2).

A disk is declared in a region whose driver claims the `disks` capability
(`service.capabilities`: the driver is never loaded, no cloud is called), in a
project the caller may write to, within the project's disk quota (a disk's size
counts as disk, as a flavor's does). It may be attached to one instance of an
assembly of its project (an ordinal the assembly declares) that runs in the
disk's region; it is then attached once both exist, and follows the instance when
it is replaced. What it should be is stored, with a new `generation`, due now; the
disk controller (`vertice_core.disks`) makes the cloud match it. Another project's
disk is "not found", like a missing one.

A disk outlives the assembly it is attached to: deleting the assembly detaches
it, unless the deletion asks `with_disks` (`for_deleted_assembly`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from vertice_core.errors import Conflict, Forbidden, InvalidInput, NotFound
from vertice_core.model.assembly import DesiredState
from vertice_core.model.disk import MAX_DISK_GB, Attachment, DiskChange, DiskInput, DiskPhase
from vertice_core.service import capabilities
from vertice_core.service.quotas import QuotaLedger
from vertice_core.service.resolve import project_id_for, project_name, visible_project
from vertice_core.store.repositories import AssemblyRepository, RegionRepository
from vertice_core.store.repositories.disks import DiskRepository
from vertice_core.store.repositories.quotas import regions_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import DiskRow

#: The capability a disk needs (`vertice_core.driver.Capability.DISKS`).
DISKS = "disks"


@attrs.frozen
class StoredDisk:
    """A disk as the domain returns it."""

    id: str
    name: str
    project: str
    region: str
    size_gb: int
    #: The assembly it should be attached to (id and name; '' none) and the ordinal.
    assembly_id: str
    assembly_name: str
    instance: int
    deleting: bool
    phase: str
    message: str
    cloud_id: str
    size_seen: int
    attached_to: str
    device: str
    created_at: datetime
    updated_at: datetime


class DiskService:
    """Every operation on disks (see the module's docstring)."""

    def __init__(self, svc: ServiceContext) -> None:
        self.svc = svc

    def create(self, session: Session, caller: Caller, request: DiskInput) -> StoredDisk:
        """Declare a disk (due for the controller now)."""
        project_id = project_id_for(session, caller, request.project)
        region = RegionRepository(session).get(request.region)
        if region is None:
            raise InvalidInput.at("$.region", f"there is no region {request.region!r}")
        capabilities.require(session, self.svc.capabilities, [region.name], DISKS,
                             doing="hold disks", path="$.region")  # fmt: skip
        _size_problem(int(request.size_gb))
        assembly_id, ordinal = "", 0
        if request.attach is not None:
            assembly_id, ordinal = _attachment(session, project_id, region.name, request.attach)
        _quota(session, caller, project_id, region.name, int(request.size_gb))
        row = DiskRepository(session).create(
            project_id=project_id, name=request.name, region_name=region.name,
            size_gb=int(request.size_gb), assembly_id=assembly_id, ordinal=ordinal,
            phase=DiskPhase.PENDING.value, due_at=time.time(),
        )  # fmt: skip
        if row is None:
            raise Conflict(f"the project already has a disk named {request.name!r}")
        return _stored(session, caller, row)

    def change(
        self, session: Session, caller: Caller, disk_id: str, change: DiskChange
    ) -> StoredDisk:
        """Grow, attach (or move) or detach a disk; what does not change is kept."""
        row = _find(session, caller, disk_id)
        if row.deleting:
            raise Conflict(f"disk {row.name!r} is being deleted; it can no longer be changed")
        if change.attach is not None and change.detach:
            raise InvalidInput.at("$", "a change cannot both attach and detach the disk")
        values: dict[str, object] = {}
        if change.size_gb is not None and int(change.size_gb) != row.size_gb:
            size = int(change.size_gb)
            if size < row.size_gb:
                raise InvalidInput.at("$.size_gb", f"disk {row.name!r} has {row.size_gb} GiB: "
                                      "a disk can grow but never shrink")  # fmt: skip
            _size_problem(size)
            _quota(session, caller, row.project_id, row.region_name, size - row.size_gb)
            values["size_gb"] = size
        if change.attach is not None:
            assembly_id, ordinal = _attachment(session, row.project_id, row.region_name,
                                               change.attach)  # fmt: skip
            if (assembly_id, ordinal) != (row.assembly_id, row.ordinal):
                values.update(assembly_id=assembly_id, ordinal=ordinal)
        if change.detach and row.assembly_id:
            values.update(assembly_id="", ordinal=0)
        if values:
            DiskRepository(session).change(row, time.time(), **values)
        return _stored(session, caller, row)

    def delete(self, session: Session, caller: Caller, disk_id: str) -> StoredDisk:
        """Ask for a disk's deletion (again: a no-op): detached, then deleted, data and all."""
        row = _find(session, caller, disk_id)
        if not row.deleting:
            DiskRepository(session).mark_deleting(row, time.time())
        return _stored(session, caller, row)

    def get(self, session: Session, caller: Caller, disk_id: str) -> StoredDisk:
        """One disk the caller may see."""
        return _stored(session, caller, _find(session, caller, disk_id))

    def visible(
        self,
        session: Session,
        caller: Caller,
        *,
        project: str | None = None,
        assembly: str | None = None,
        region: str | None = None,
    ) -> list[StoredDisk]:
        """The disks the caller may see (of one project, attached to one assembly (id, or
        name in the project), in one region, when asked)."""
        scope = caller.scope if project is None else [visible_project(session, caller, project)]
        rows = DiskRepository(session).listed(scope, assembly=assembly, region=region)
        return _all_stored(session, caller, rows)

    def of_assembly(self, session: Session, caller: Caller, assembly_id: str) -> list[StoredDisk]:
        """The disks attached (or to be attached) to an assembly the caller sees."""
        if AssemblyRepository(session).one(assembly_id, caller.scope) is None:
            raise NotFound(f"there is no assembly {assembly_id!r}")
        rows = DiskRepository(session).listed(caller.scope, assembly=assembly_id)
        return _all_stored(session, caller, rows)


def for_deleted_assembly(session: Session, assembly_id: str, *, with_disks: bool) -> list[str]:
    """What becomes of an assembly's disks when it is deleted (or orphaned): detached and
    kept, or (`with_disks`) deleted. Their names."""
    repository = DiskRepository(session)
    if not with_disks:
        return repository.detach_assembly(assembly_id, time.time())
    rows = [r for r in repository.listed(None, assembly=assembly_id) if not r.deleting]
    for row in rows:
        repository.mark_deleting(row, time.time())
    return [r.name for r in rows]


def _size_problem(size: int) -> None:
    if size > MAX_DISK_GB:
        raise InvalidInput.at("$.size_gb", f"a disk has at most {MAX_DISK_GB} GiB, not {size}")


def _attachment(
    session: Session, project_id: str, region: str, attach: Attachment
) -> tuple[str, int]:
    """The assembly id and ordinal a disk in `region` is to be attached to (422 when the
    project has no such assembly instance, or it does not run in the region)."""
    assembly_id = AssemblyRepository(session).id_in_project(project_id, attach.assembly)
    row = AssemblyRepository(session).one(assembly_id, [project_id]) if assembly_id else None
    if row is None or row.desired_state == DesiredState.DELETED:
        raise InvalidInput.at("$.attach.assembly",
                              f"the project has no assembly {attach.assembly!r}")  # fmt: skip
    ordinal = int(attach.instance)
    if ordinal >= row.replicas:
        declares = f"it declares {row.replicas}, numbered from 0"
        raise InvalidInput.at("$.attach.instance", f"assembly {row.name!r} has no instance "
                              f"{ordinal} ({declares})")  # fmt: skip
    if region not in regions_of(row.region_name, row.placement):
        raise InvalidInput.at("$.attach", f"assembly {row.name!r} does not run in region "
                              f"{region!r}, where the disk is")  # fmt: skip
    return str(assembly_id), ordinal


def _quota(session: Session, caller: Caller, project_id: str, region: str, more: int) -> None:
    ledger = QuotaLedger(session, project_id, project_name(session, caller, project_id))
    reason = ledger.disk_refusal(region, more)
    if reason is not None:
        raise Forbidden(f"the disk was not admitted: {reason}")


def _find(session: Session, caller: Caller, disk_id: str) -> DiskRow:
    row = DiskRepository(session).get(disk_id, caller.scope)
    if row is None:
        raise NotFound(f"there is no disk {disk_id!r}")
    return row


def _stored(session: Session, caller: Caller, row: DiskRow) -> StoredDisk:
    return _all_stored(session, caller, [row])[0]


def _all_stored(session: Session, caller: Caller, rows: Sequence[DiskRow]) -> list[StoredDisk]:
    found = list(rows)
    assemblies = DiskRepository(session).assemblies([r.assembly_id for r in found])
    names = {i: a.name for i, a in assemblies.items()}
    return [
        StoredDisk(
            id=r.id,
            name=r.name,
            project=project_name(session, caller, r.project_id),
            region=r.region_name,
            size_gb=r.size_gb,
            assembly_id=r.assembly_id,
            assembly_name=names.get(r.assembly_id, ""),
            instance=r.ordinal,
            deleting=r.deleting,
            phase=r.phase,
            message=r.message,
            cloud_id=r.cloud_id,
            size_seen=r.size_seen,
            attached_to=r.attached_to,
            device=r.device,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in found
    ]
