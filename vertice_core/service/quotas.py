"""Quotas: administrators set them, users read theirs with what they use, and every write
that declares more is counted against them first (issue 13).

`QuotaLedger` is the count of one project read in the transaction of the write
that asks for more: a declaration, a patch (replicas, desired state, inputs), a
scale (the scaler's too) or a route. It is the first step of admission
(`service.admission.admit`), and admission plugins see it on the request
(`AdmissionRequest.ledger`). Before counting it locks the project's row, so two
writes of one project are counted one after the other: two declarations sent at
once cannot both squeeze under a limit. A project without a quota costs one
read and no lock.

A write is refused only if it *raises* a resource above a limit: a project that
is over its quota (the limit was lowered) can still shrink, rename, stop or
delete what it has. The refusal (403) names the quota, the resource, the limit,
what is in use and what the write asks for.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from vertice_core.errors import InvalidInput, NotFound
from vertice_core.model.assembly import AssemblySpec, DesiredState
from vertice_core.model.quota import REGIONAL, RESOURCES, UNITS, QuotaLimits, Usage, demand
from vertice_core.service.billing import balance_refusal
from vertice_core.service.resolve import one_project
from vertice_core.store.memo import memoized
from vertice_core.store.repositories import RegionRepository
from vertice_core.store.repositories.quotas import ALL, QuotaRepository, regions_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import QuotaRow


@attrs.frozen
class ProjectQuota:
    """A project's quota in a region (None: over all regions) and what it uses there."""

    project: str
    project_id: str
    region: str | None
    limits: QuotaLimits
    usage: Usage
    #: When and by whom it was last set (None: no quota is set; the usage is shown).
    updated_at: datetime | None = None
    updated_by: str = ""


class QuotaLedger:
    """The quotas and declared usage of one project, in the transaction of a write."""

    def __init__(
        self, session: Session, project_id: str, project: str, *, enforce_balance: bool = False
    ) -> None:
        self.session = session
        self.repository = QuotaRepository(session)
        self.project_id = project_id
        self.project = project
        #: Whether a project whose balance ran out may not run more of priced flavors
        #: (`VERTICE_BILLING_ENFORCE`; `service.billing.balance_refusal`).
        self.enforce_balance = enforce_balance

    def balance_refusal(self, spec: AssemblySpec, previous: AssemblySpec | None) -> str | None:
        """Why the project cannot pay for `spec`, or None (see `service.billing`)."""
        if not self.enforce_balance:
            return None
        return balance_refusal(self.session, self.project_id, self.project, spec, previous)

    def refusal(
        self,
        spec: AssemblySpec,
        previous: AssemblySpec | None = None,
        assembly_id: str | None = None,
    ) -> str | None:
        """Why the assembly `spec` (replacing `previous`, for a change) would exceed a
        quota, or None."""
        quotas = memoized(self.session, "quotas", self.project_id,
                          lambda: self.repository.of_project(self.project_id))  # fmt: skip
        if not quotas:
            return None
        self.repository.lock(self.project_id)
        others = self.repository.declared(self.project_id, exclude=assembly_id)
        asked, regions = self._asked(spec)
        before, before_regions = self._asked(previous) if previous else (Usage(), [])
        for quota in quotas:
            scope = quota.region_name
            if scope != ALL and scope not in regions:
                continue
            used = others.get(scope, Usage())
            after = used + asked
            prior = used + (before if scope == ALL or scope in before_regions else Usage())
            for resource in REGIONAL:
                limit = getattr(quota, resource)
                if limit is not None and after.of(resource) > max(limit, prior.of(resource)):
                    return self._message(scope, resource, limit, used.of(resource),
                                         asked.of(resource))  # fmt: skip
        return None

    def route_refusal(self) -> str | None:
        """Why one more route would exceed the project's quota, or None."""
        quotas = [q for q in self.repository.of_projects([self.project_id]) if q.region_name == ALL]
        limit = quotas[0].routes if quotas else None
        if limit is None:
            return None
        self.repository.lock(self.project_id)
        used = self.repository.declared(self.project_id)[ALL].routes
        if used + 1 > limit:
            return self._message(ALL, "routes", limit, used, 1)
        return None

    def disk_refusal(self, region: str, more: int) -> str | None:
        """Why `more` GiB of disks in `region` would exceed a quota, or None."""
        quotas = [q for q in self.repository.of_projects([self.project_id])
                  if q.region_name in (ALL, region) and q.disk is not None]  # fmt: skip
        if not quotas:
            return None
        self.repository.lock(self.project_id)
        declared = self.repository.declared(self.project_id)
        for quota in quotas:
            used = declared.get(quota.region_name, Usage()).disk
            if quota.disk is not None and used + more > quota.disk:
                return self._message(quota.region_name, "disk", quota.disk, used, more)
        return None

    def _asked(self, spec: AssemblySpec) -> tuple[Usage, list[str]]:
        """What `spec` declares, and the regions it counts in."""
        size = self.repository.size(spec.flavor)
        if size is None or spec.desired_state is DesiredState.DELETED:
            return Usage(), []
        placement = {"regions": list(spec.placement.regions)} if spec.placement else None
        return demand(spec.replicas, *size), regions_of(spec.region, placement)

    def _message(self, scope: str, resource: str, limit: int, used: int, asked: int) -> str:
        where = f" in region {scope!r}" if scope != ALL else ""
        unit = UNITS[resource]
        return (
            f"quota exceeded: project {self.project!r}{where} may declare {limit}{unit} of "
            f"{resource}; {used}{unit} are declared already and this asks for {asked}{unit} "
            "more"
        )


class QuotaService:
    """Read and set quotas (see the module's docstring)."""

    def visible(self, session: Session, caller: Caller, project: str | None) -> list[ProjectQuota]:
        """The quotas of the caller's projects (an administrator's: every project's), or of
        `project`: for each project its quota over all regions (with its usage, limits or
        not), then its regions' quotas."""
        repository = QuotaRepository(session)
        if project is not None:
            found = one_project(session, caller, project)
            projects = [(found.id, found.name)]
        else:
            projects = _projects(session, caller)
        rows = repository.of_projects(None if caller.admin and project is None
                                      else [p for p, _ in projects])  # fmt: skip
        by_project: dict[str, list[QuotaRow]] = {}
        for row in rows:
            by_project.setdefault(row.project_id, []).append(row)
        listed = []
        for project_id, name in projects:
            usage = repository.declared(project_id)
            mine = by_project.get(project_id, [])
            whole = next((r for r in mine if r.region_name == ALL), None)
            listed.append(_quota(name, project_id, ALL, whole, usage))
            listed.extend(_quota(name, project_id, r.region_name, r, usage)
                          for r in mine if r.region_name != ALL)  # fmt: skip
        return listed

    def put(
        self,
        session: Session,
        caller: Caller,
        project: str,
        region: str | None,
        limits: QuotaLimits,
    ) -> ProjectQuota:
        """Set a project's quota (administrators), over all regions or in `region`."""
        caller.require_admin()
        found = one_project(session, caller, project)
        scope = _scope(session, region)
        if scope != ALL and limits.routes is not None:
            raise InvalidInput.at("$.routes", "routes belong to no region: set them on the "
                                  "project's quota over all regions")  # fmt: skip
        row = QuotaRepository(session).put(found.id, scope, limits, caller.name)
        usage = QuotaRepository(session).declared(found.id)
        return _quota(found.name, found.id, scope, row, usage)

    def remove(self, session: Session, caller: Caller, project: str, region: str | None) -> None:
        """Lift a project's quota (administrators); 404 when none is set there."""
        caller.require_admin()
        found = one_project(session, caller, project)
        scope = _scope(session, region)
        if not QuotaRepository(session).remove(found.id, scope):
            where = f" in region {scope!r}" if scope != ALL else ""
            raise NotFound(f"project {found.name!r} has no quota{where}")


def _scope(session: Session, region: str | None) -> str:
    """The stored region of a quota: `ALL`, or a region that exists (404 otherwise)."""
    if region is None:
        return ALL
    if RegionRepository(session).get(region) is None:
        raise NotFound(f"there is no region named {region!r}")
    return region


def _projects(session: Session, caller: Caller) -> list[tuple[str, str]]:
    """`(id, name)` of the projects whose quotas the caller reads."""
    from vertice_core.store.repositories import ProjectRepository

    if caller.admin:
        return [(p.id, p.name) for p in ProjectRepository(session).all()]
    return [(p.id, p.name) for p in ProjectRepository(session).by_ids(list(caller.scope or ()))]


def _quota(
    name: str, project_id: str, scope: str, row: QuotaRow | None, usage: dict[str, Usage]
) -> ProjectQuota:
    limits = QuotaLimits(**{r: getattr(row, r) for r in RESOURCES}) if row else QuotaLimits()
    used = usage.get(scope, Usage())
    if scope != ALL:
        used = attrs.evolve(used, routes=0)
    return ProjectQuota(name, project_id, None if scope == ALL else scope, limits, used,
                        row.updated_at if row else None,
                        row.updated_by if row else "")  # fmt: skip
