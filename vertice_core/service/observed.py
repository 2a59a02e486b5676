"""What is known of an assembly beyond its spec: its components filled with observed
facts, and its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.errors import NotFound
from vertice_core.model.camp import Component, ComponentTag
from vertice_core.service import orphans
from vertice_core.service.records import (
    Row,
    components_of,
    credential_summary,
    routes_in_front,
    status_of,
)
from vertice_core.store.repositories import (
    AssemblyRepository,
    EventRepository,
    FlavorRepository,
    PlanRepository,
    RegionRepository,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import EventRow


@attrs.frozen
class ObservedComponent:
    """One component of an assembly as declared, and the facts observation filled in."""

    assembly_id: str
    index: int
    component: Component
    observed: dict[str, Any]


def component(session: Session, caller: Caller, assembly_id: str, index: int) -> ObservedComponent:
    """Component `index` of an assembly the caller sees (`NotFound` otherwise)."""
    missing = NotFound(f"there is no component {assembly_id}.{index}")
    row = AssemblyRepository(session).one(assembly_id, caller.scope)
    if row is None:
        raise missing
    declared = components_of(row.spec or {})
    if not 0 <= index < len(declared):
        raise missing
    found = declared[index]
    return ObservedComponent(row.id, index, found, _facts(session, row, found.tag))


def _facts(session: Session, row: Row, tag: ComponentTag) -> dict[str, Any]:
    if tag in (ComponentTag.NETWORK_PUBLIC_IPV4, ComponentTag.NETWORK_PRIVATE_IPV4):
        field = "public_ipv4" if tag is ComponentTag.NETWORK_PUBLIC_IPV4 else "private_ipv4"
        return {"ipv4": [a for a in (getattr(i, field) for i in status_of(row).instances) if a]}
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
        return {"flavor": flavor.name, "cpu": flavor.cpu, "ram": flavor.ram, "disk": flavor.disk}
    if tag is ComponentTag.APPACCESS:
        # How the application is reached: the URLs of the routes in front of it.
        urls = [route.url for route in routes_in_front(row.routes)]
        return {"url": urls[0], "urls": urls} if urls else {}
    if tag is ComponentTag.DATABASEINSTANCE:
        return _database(session, row)
    if tag is ComponentTag.SECURITY:
        summary = credential_summary((row.spec or {}).get("credential") or {})
        return {k: v for k, v in attrs.asdict(summary).items() if v is not None}
    return {}


def _database(session: Session, row: Row) -> dict[str, Any]:
    """Where the database is reached, as a binding gives it but without its password (the
    owner saw it once, when the assembly was declared; consumers get it by binding)."""
    plan = PlanRepository(session).get(row.plan_name)
    settings: dict[str, Any] = {}
    for service in (plan.document.get("services") or []) if plan else []:
        for characteristic in service.get("characteristics") or []:
            if str(characteristic.get("type", "")).endswith("::databaseinstance"):
                settings.update(characteristic)
    if not settings:  # a component the user declared: nothing is observed of it
        return {}
    spec = row.spec or {}
    inputs = spec.get("inputs") or {}
    user = inputs.get(settings.get("user", ""), "")
    database = inputs.get(settings.get("database", ""), "")
    hosts = [i.private_ipv4 for i in status_of(row).instances
             if i.state.value == "running" and i.private_ipv4]  # fmt: skip
    facts: dict[str, Any] = {"user": user, "database": database,
                             "password_set": settings.get("password", "") in (
                                 spec.get("sealed_inputs") or {})}  # fmt: skip
    if hosts:
        scheme, port = settings.get("scheme", "postgresql"), settings.get("port", "")
        facts["host"] = hosts[0]
        facts["url"] = f"{scheme}://{user}@{hosts[0]}:{port}/{database}"
    return facts


def events(
    session: Session, caller: Caller, assembly_id: str, *, after: int, limit: int
) -> Sequence[EventRow]:
    """The assembly's events after the id `after`, oldest first, at most `limit` (of an
    orphaned assembly too, whose row is gone)."""
    visible = AssemblyRepository(session).one(assembly_id, caller.scope) is not None
    if not visible and not orphans.events_visible(session, caller, assembly_id):
        raise NotFound(f"there is no assembly {assembly_id!r}")
    return EventRepository(session).of_assembly(assembly_id, after=after, limit=limit)
