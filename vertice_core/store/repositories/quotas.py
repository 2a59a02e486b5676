"""Quotas and what projects declare against them (`QuotaRow`; `vertice_core.model.quota`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from vertice_core.model.quota import RESOURCES, QuotaLimits, Usage, demand
from vertice_core.store.fastread import FastQuery
from vertice_core.store.tables import (
    AssemblyRow,
    DiskRow,
    FlavorRow,
    ProjectRow,
    QuotaRow,
    RouteRow,
    utcnow,
)

#: The region of a project's quota over all regions.
ALL = ""


_OF_PROJECT = FastQuery(
    select(QuotaRow.__table__)
    .where(QuotaRow.project_id == bindparam("project_id"))
    .order_by(QuotaRow.region_name)
)


class QuotaRepository:
    """Read and write quotas; count what a project declares."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_projects(self, project_ids: Iterable[str] | None) -> list[QuotaRow]:
        """The quotas of these projects (None: of every project), by project and region."""
        query = select(QuotaRow).order_by(QuotaRow.project_id, QuotaRow.region_name)
        if project_ids is not None:
            query = query.where(QuotaRow.project_id.in_(list(project_ids)))
        return list(self.session.scalars(query))

    def of_project(self, project_id: str) -> list[SimpleNamespace]:
        """The quotas of one project by region, as records with `QuotaRow`'s attributes,
        read on the DBAPI cursor in the session's transaction (`fastread`): every
        declaration reads them, most often to find none."""
        return _OF_PROJECT.all(self.session.connection(), project_id=project_id)

    def put(self, project_id: str, region: str, limits: QuotaLimits, by: str) -> QuotaRow:
        """Set the quota of a project in `region` (`ALL`: over all regions)."""
        row = self.session.get(QuotaRow, (project_id, region))
        values: dict[str, Any] = {r: limits.limit(r) for r in RESOURCES}
        if row is None:
            row = QuotaRow(project_id=project_id, region_name=region, **values)
            self.session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        row.updated_at = utcnow()
        row.updated_by = by
        self.session.flush()
        return row

    def remove(self, project_id: str, region: str) -> bool:
        """Lift the quota; whether there was one."""
        mine = (QuotaRow.project_id == project_id, QuotaRow.region_name == region)
        done = self.session.execute(delete(QuotaRow).where(*mine))
        return bool(getattr(done, "rowcount", 0))

    def lock(self, project_id: str) -> None:
        """Hold the project's row until the transaction ends, so that two writes of one
        project are counted one after the other (PostgreSQL; SQLite's writers queue on
        the file's write lock already)."""
        self.session.execute(
            select(ProjectRow.id).where(ProjectRow.id == project_id).with_for_update()
        )

    def declared(self, project_id: str, *, exclude: str | None = None) -> dict[str, Usage]:
        """What the project's assemblies and disks declare, by region (`ALL`: in total),
        leaving out the assembly `exclude` and what is being deleted. An assembly with a
        placement counts in each region of it, and once in the total; a disk's size counts
        as disk where it is."""
        query = (
            select(AssemblyRow.id, AssemblyRow.region_name, AssemblyRow.placement,
                   AssemblyRow.replicas, FlavorRow.cpu, FlavorRow.ram, FlavorRow.disk)
            .join(FlavorRow, FlavorRow.name == AssemblyRow.flavor_name)
            .where(AssemblyRow.project_id == project_id, AssemblyRow.desired_state != "deleted")
        )  # fmt: skip
        found: dict[str, Usage] = {ALL: Usage()}
        for assembly_id, region, placement, replicas, cpu, ram, disk in self.session.execute(query):
            if assembly_id == exclude:
                continue
            asked = demand(replicas, cpu, ram, disk)
            found[ALL] = found[ALL] + asked
            for name in regions_of(region, placement):
                found[name] = found.get(name, Usage()) + asked
        disks = self.session.execute(
            select(DiskRow.region_name, func.sum(DiskRow.size_gb))
            .where(DiskRow.project_id == project_id, DiskRow.deleting.is_(False))
            .group_by(DiskRow.region_name)
        )
        for region, size in disks:
            found[ALL] = found[ALL] + Usage(disk=int(size or 0))
            found[region] = found.get(region, Usage()) + Usage(disk=int(size or 0))
        routes = self.session.scalar(
            select(func.count()).select_from(RouteRow).where(RouteRow.project_id == project_id)
        )
        found[ALL] = found[ALL] + Usage(routes=int(routes or 0))
        return found

    def size(self, flavor: str) -> tuple[int, int, int] | None:
        """`(cpu, ram, disk)` of a flavor, or None when there is none of that name."""
        row = self.session.get(FlavorRow, flavor)
        return None if row is None else (row.cpu, row.ram, row.disk)


def regions_of(home: str, placement: Mapping[str, Any] | None) -> list[str]:
    """The regions an assembly may run instances in: its placement's, else its home."""
    if isinstance(placement, Mapping) and placement.get("regions"):
        return [str(r) for r in placement["regions"]]
    return [home]
