"""Representations: stored rows to the JSON documents the API returns.

Every resource carries the CAMP common attributes (`uri`, `name`, `type`,
`description`, `tags`, `representation_skew`). Secrets never appear: regions
show which credential fields are set, assemblies which kind of launch
credential they use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeAlias

from vertice_core import __version__
from vertice_core.convert import format_time
from vertice_core.model.camp import OBSERVED_COMPONENTS, ComponentTag
from vertice_core.model.status import Phase
from vertice_core.store.tables import (
    AssemblyRow,
    EventRow,
    FlavorRow,
    PlanRow,
    ProjectRow,
    RegionRow,
    SshKeyRow,
    TokenRow,
    UserRow,
)

V3 = "/v3"

if TYPE_CHECKING:
    from sqlalchemy import Row

#: An assembly as the ORM loads it, or a Core row of the assemblies table (same attributes).
AssemblyLike: TypeAlias = "AssemblyRow | Row[Any] | SimpleNamespace"

#: CAMP's representation_skew from an assembly's phase.
SKEW = {
    Phase.PENDING: "CREATING",
    Phase.SCHEDULED: "CREATING",
    Phase.LAUNCHING: "CREATING",
    Phase.RUNNING: "NONE",
    Phase.STOPPED: "NONE",
    Phase.DELETING: "DESTROYING",
    Phase.DELETED: "DESTROYING",
    Phase.FAILED: "UNKNOWN",
}


def common(
    uri: str,
    name: str,
    type_: str,
    *,
    description: str = "",
    tags: Sequence[str] = (),
    skew: str = "NONE",
) -> dict[str, Any]:
    """The CAMP common attributes every resource starts with."""
    return {
        "uri": uri,
        "name": name,
        "type": type_,
        "description": description,
        "tags": list(tags),
        "representation_skew": skew,
    }


def time_or_none(value: datetime | None) -> str | None:
    """ISO 8601 UTC, or None."""
    return format_time(value) if value else None


def collection(
    uri: str,
    name: str,
    *,
    description: str,
    items: list[dict[str, Any]],
    total: int,
    start: int,
    per_page: int,
) -> dict[str, Any]:
    """A CAMP collection: the common attributes, the paging counters and the items."""
    doc = common(uri, name, name, description=description)
    doc.update(total_items=total, items_per_page=per_page, start_index=start, items=items)
    return doc


def listing(uri: str, name: str, description: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A collection that is always returned whole (regions, flavors, keys...)."""
    return collection(
        uri, name, description=description, items=items, total=len(items), start=0,
        per_page=len(items),
    )  # fmt: skip


def platform() -> dict[str, Any]:
    """The CAMP platform resource."""
    doc = common(f"{V3}/platform", "vertice", "platform", description="vertice control plane")
    doc.update(
        specification_version="CAMP 1.2",
        implementation_version=f"vertice {__version__}",
        assemblies_uri=f"{V3}/assembly_factory",
        plans_uri=f"{V3}/plan_factory",
        regions_uri=f"{V3}/regions",
        flavors_uri=f"{V3}/flavors",
        sshkeys_uri=f"{V3}/sshkeys",
        projects_uri=f"{V3}/projects",
        users_uri=f"{V3}/users",
        tokens_uri=f"{V3}/tokens",
        drivers_uri=f"{V3}/drivers",
        openapi_uri=f"{V3}/openapi.json",
    )
    return doc


def plan(row: PlanRow) -> dict[str, Any]:
    """A plan: the CAMP common attributes over the stored plan document."""
    document = row.document
    doc = common(
        f"{V3}/plan/{row.name}",
        row.name,
        "plan",
        description=document.get("description", ""),
        tags=document.get("tags", []),
    )
    doc.update(
        camp_version=document.get("camp_version", ""),
        origin=document.get("origin", ""),
        artifacts=document.get("artifacts", []),
        services=document.get("services", []),
        builtin=row.builtin,
        created_at=format_time(row.created_at),
        updated_at=format_time(row.updated_at),
    )
    return doc


def plan_item(row: PlanRow) -> dict[str, Any]:
    """A plan as an item of the plan factory."""
    return {
        "uri": f"{V3}/plan/{row.name}",
        "name": row.name,
        "description": row.document.get("description", ""),
    }


def region(row: RegionRow, *, admin: bool) -> dict[str, Any]:
    """A region; settings and credential field names only for administrators."""
    doc = common(f"{V3}/regions/{row.name}", row.name, "region", description=row.description)
    doc.update(cloud_type=row.cloud_type, provider_region=row.provider_region)
    if admin:
        doc.update(
            endpoint=row.endpoint,
            settings=row.settings,
            credentials_set=sorted(row.credential_fields),
            created_at=format_time(row.created_at),
            updated_at=format_time(row.updated_at),
        )
    return doc


def flavor(row: FlavorRow) -> dict[str, Any]:
    """A flavor."""
    doc = common(f"{V3}/flavors/{row.name}", row.name, "flavor", description=row.description)
    doc.update(
        cpu=row.cpu,
        ram=row.ram,
        disk=row.disk,
        regions=list(row.regions),
        price_per_hour=row.price_per_hour,
        currency=row.currency,
    )
    return doc


def ssh_key(row: SshKeyRow, project: str) -> dict[str, Any]:
    """A stored SSH public key."""
    doc = common(f"{V3}/sshkeys/{row.name}?project={project}", row.name, "sshkey")
    doc.update(
        public_key=row.public_key,
        fingerprint=row.fingerprint,
        project=project,
        created_at=format_time(row.created_at),
    )
    return doc


def project(row: ProjectRow, members: list[str]) -> dict[str, Any]:
    """A project and its members."""
    doc = common(f"{V3}/projects/{row.name}", row.name, "project", description=row.description)
    doc.update(members=members, created_at=format_time(row.created_at))
    return doc


def user(row: UserRow, projects: list[str]) -> dict[str, Any]:
    """A user and the names of their projects."""
    doc = common(f"{V3}/users/{row.name}", row.name, "user")
    doc.update(admin=row.admin, projects=projects, created_at=format_time(row.created_at))
    return doc


def token(row: TokenRow, user_name: str) -> dict[str, Any]:
    """A token's metadata (never the token itself, which only its creation returns)."""
    doc = common(f"{V3}/tokens/{row.id}", row.name or row.id, "token")
    doc.update(
        id=row.id,
        user=user_name,
        created_at=format_time(row.created_at),
        expires_at=time_or_none(row.expires_at),
    )
    return doc


def assembly_uri(assembly_id: str) -> str:
    """The URI of an assembly."""
    return f"{V3}/assembly/{assembly_id}"


def assembly_item(row: AssemblyLike) -> dict[str, Any]:
    """An assembly as an item of the assembly factory (the design document's shape)."""
    return {"uri": assembly_uri(row.id), "name": row.name, "status": row.phase}


def status(row: AssemblyLike) -> dict[str, Any]:
    """The observed status of an assembly."""
    stored = row.status or {}
    return {
        "phase": row.phase,
        "reason": row.reason,
        "message": row.message,
        "conditions": stored.get("conditions", []),
        "observed_generation": row.observed_generation,
        "instances": stored.get("instances", []),
        "replicas": stored.get("replicas", row.replicas),
        "ready_replicas": stored.get("ready_replicas", 0),
        "updated_replicas": stored.get("updated_replicas", 0),
    }


def credential(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The launch credential without its secret: its kind, and the key if one."""
    stored = spec.get("credential") or {}
    kind = stored.get("kind", "none")
    shown: dict[str, Any] = {"kind": kind}
    if stored.get("key_name"):
        shown["name"] = stored["key_name"]
    if stored.get("public_key"):
        shown["public_key"] = stored["public_key"]
    if kind == "root_password":
        shown["password_set"] = bool(stored.get("sealed_password"))
    return shown


def component_links(row: AssemblyLike) -> list[dict[str, str]]:
    """CAMP links to an assembly's components."""
    return [
        {"href": f"{V3}/component/{row.id}.{i}", "target_name": c.get("name") or c["tag"]}
        for i, c in enumerate(row.spec.get("components", []))
    ]


def assembly(row: AssemblyLike, project_name: str) -> dict[str, Any]:
    """An assembly: spec, status, instances and links to its components."""
    spec = row.spec
    doc = common(
        assembly_uri(row.id),
        row.name,
        "assembly",
        description=row.description,
        tags=row.tags,
        skew=SKEW.get(Phase(row.phase), "UNKNOWN"),
    )
    doc.update(
        id=row.id,
        external_management_resource="",
        plan_uri=f"{V3}/plan/{row.plan_name}",
        region=row.region_name,
        flavor=row.flavor_name,
        project=project_name,
        desired_state=row.desired_state,
        restart_count=row.restart_count,
        replicas=row.replicas,
        generation=row.generation,
        credential=credential(spec),
        components=component_links(row),
        operation_collection=[],
        sensor_collection=[],
        metadata=spec.get("metadata", {}),
        metrics_port=spec.get("metrics_port"),
        status=status(row),
        events_uri=f"{assembly_uri(row.id)}/events",
        created_at=format_time(row.created_at),
        updated_at=format_time(row.updated_at),
    )
    return doc


def component(
    row: AssemblyRow,
    index: int,
    declared: Mapping[str, Any],
    observed: Mapping[str, Any],
) -> dict[str, Any]:
    """One component of an assembly: what was declared, filled with what was observed."""
    tag = ComponentTag(declared["tag"])
    attributes = dict(declared.get("attributes", {}))
    attributes.update(observed)
    doc = common(
        f"{V3}/component/{row.id}.{index}",
        declared.get("name") or tag.value,
        "component",
        description=declared.get("description", ""),
        skew="NONE" if tag not in OBSERVED_COMPONENTS or observed else "UNKNOWN",
    )
    doc.update(
        tag=tag.value,
        observed=tag in OBSERVED_COMPONENTS,
        attributes=attributes,
        assembly_uri=assembly_uri(row.id),
    )
    return doc


def event(row: EventRow) -> dict[str, Any]:
    """An event."""
    return {
        "id": row.id,
        "time": format_time(row.time),
        "type": row.type,
        "reason": row.reason,
        "message": row.message,
        "assembly_uri": assembly_uri(row.assembly_id) if row.assembly_id else None,
        "region": row.region_name,
    }


def addresses(instances: Iterable[Mapping[str, Any]], field: str) -> list[str]:
    """The non-empty `field` of every observed instance."""
    return [i[field] for i in instances if i.get(field)]
