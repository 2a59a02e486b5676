"""Routes: declare, list, read and delete, for any caller of the domain.

A route is checked entirely before anything is written: its hostname is free
in the installation (a hostname held by a project the caller cannot see is
refused without naming the holder), and its assembly is one of the route's
project (another project's assembly is "not found", like a missing one). The
route controller makes the proxy serve it; nothing here calls a proxy.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.errors import Conflict, Forbidden, NotFound
from vertice_core.model.route import RouteInput, TlsMode
from vertice_core.service.quotas import QuotaLedger
from vertice_core.service.records import route_url
from vertice_core.service.resolve import project_id_for, project_name, visible_project
from vertice_core.store.repositories import RouteRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import RouteRow


@attrs.frozen
class StoredRoute:
    """A route as the domain returns it (its certificate and key are never in it)."""

    id: str
    project: str
    hostname: str
    path_prefix: str
    assembly_id: str
    port: int
    tls: str
    balancing: str
    #: The active health check (`path`, `interval`, `timeout`), or None.
    health_check: dict[str, Any] | None
    generation: int
    created_at: datetime
    phase: str
    message: str
    #: The controller's status document (conditions, upstreams, url, router).
    status: dict[str, Any]

    @property
    def url(self) -> str:
        """Where the route is reached: the controller's URL once it served it."""
        return route_url(self.status, self.tls, self.hostname, self.path_prefix)


class RouteService:
    """Every operation on routes (see the module's docstring)."""

    def __init__(self, svc: ServiceContext) -> None:
        self.svc = svc

    def declare(self, session: Session, caller: Caller, route: RouteInput) -> StoredRoute:
        """Store a new route (due for the route controller now)."""
        project_id = project_id_for(session, caller, route.project)
        routes = RouteRepository(session)
        holder = routes.by_hostname(route.hostname)
        if holder is not None:
            raise _taken(session, caller, holder)
        assembly = routes.assembly_in(project_id, route.assembly)
        if assembly is None:
            raise NotFound(f"the project has no assembly {route.assembly!r}")
        over = QuotaLedger(session, project_id, project_name(session, caller, project_id))
        reason = over.route_refusal()
        if reason is not None:
            raise Forbidden(f"the route was not admitted: {reason}")
        sealed = ""
        if route.tls is TlsMode.PROVIDED:
            sealed = self.svc.box.seal_json({"certificate": route.certificate, "key": route.key})
        row = routes.create(
            project_id=project_id,
            hostname=route.hostname,
            path_prefix=route.path_prefix,
            assembly_id=assembly,
            port=route.port,
            tls=route.tls.value,
            balancing=route.balancing.value,
            health_check=attrs.asdict(route.health_check) if route.health_check else None,
            sealed_tls=sealed,
        )
        if row is None:  # declared by someone else since the check above
            raise Conflict("hostname taken")
        return _stored(session, caller, row)

    def visible(self, session: Session, caller: Caller, project: str | None) -> list[StoredRoute]:
        """The routes the caller may see (of one project when `project` names it)."""
        scope = caller.scope if project is None else [visible_project(session, caller, project)]
        return [_stored(session, caller, r) for r in RouteRepository(session).in_projects(scope)]

    def get(self, session: Session, caller: Caller, route_id: str) -> StoredRoute:
        """One route the caller may see."""
        return _stored(session, caller, _find(session, caller, route_id))

    def delete(self, session: Session, caller: Caller, route_id: str) -> None:
        """Delete a route; the controller stops the proxy serving it at its next pass."""
        RouteRepository(session).delete(_find(session, caller, route_id))

    def in_front_of(self, session: Session, caller: Caller, assembly_id: str) -> list[StoredRoute]:
        """The routes in front of an assembly the caller may see."""
        rows = RouteRepository(session).of_assembly(assembly_id)
        return [_stored(session, caller, r) for r in rows if caller.sees(r.project_id)]


def _find(session: Session, caller: Caller, route_id: str) -> RouteRow:
    row = RouteRepository(session).get(route_id, caller.scope)
    if row is None:
        raise NotFound(f"there is no route {route_id!r}")
    return row


def _taken(session: Session, caller: Caller, holder: RouteRow) -> Conflict:
    """The conflict of a taken hostname: naming the holder only to whoever may see it."""
    if caller.sees(holder.project_id):
        owner = project_name(session, caller, holder.project_id)
        return Conflict(
            f"the hostname {holder.hostname!r} is taken by route {holder.id} of project {owner!r}"
        )
    return Conflict("hostname taken")


def _stored(session: Session, caller: Caller, row: RouteRow) -> StoredRoute:
    return StoredRoute(
        id=row.id,
        project=project_name(session, caller, row.project_id),
        hostname=row.hostname,
        path_prefix=row.path_prefix,
        assembly_id=row.assembly_id,
        port=row.port,
        tls=row.tls,
        balancing=row.balancing,
        health_check=dict(row.health_check) if row.health_check else None,
        generation=row.generation,
        created_at=row.created_at,
        phase=row.phase,
        message=row.message,
        status=dict(row.status or {}),
    )
