"""Representations: stored rows to the JSON documents the API returns.

Every resource carries the CAMP common attributes (`uri`, `name`, `type`,
`description`, `tags`, `representation_skew`). An assembly's document is the
converter's form of its record (`vertice_core.model.assembly.Assembly`), so
an attribute added to the record shows here without a change to this module (the
GET's form is made from the row by `vertice_core.service.plain`, held equal to it);
the CAMP attributes and links are added here. Secrets never appear: regions
show which credential fields are set, assemblies which kind of launch
credential they use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import cattrs

from vertice_core import __version__
from vertice_core.convert import format_time, unstructure
from vertice_core.model.camp import OBSERVED_COMPONENTS
from vertice_core.model.status import Phase
from vertice_core.service.observed import ObservedComponent
from vertice_core.service.orphans import Orphaned
from vertice_core.service.plain import PlainAssembly
from vertice_core.service.records import RouteInFront, StoredAssembly
from vertice_core.store.tables import (
    EventRow,
    FlavorRow,
    InvitationRow,
    PlanRow,
    ProjectRow,
    RegionRow,
    SshKeyRow,
    TokenRow,
    UserRow,
)

V3 = "/v3"

#: Attributes a document of the kind may leave out (the OpenAPI schemas' optional ones):
#: `select_attr` may name them and gets nothing for them where they are absent, as the
#: document lists them (an assembly's generated inputs are only in the answer that made
#: them; a region's settings and credentials only in an administrator's answer).
ASSEMBLY_SOMETIMES = ("generated_inputs",)
REGION_SOMETIMES = ("endpoint", "settings", "credentials_set", "created_at", "updated_at")

#: CAMP's representation_skew from an assembly's phase (its value: a document's phase).
SKEW: dict[str, str] = {
    Phase.PENDING.value: "CREATING",
    Phase.SCHEDULED.value: "CREATING",
    Phase.LAUNCHING.value: "CREATING",
    Phase.RUNNING.value: "NONE",
    Phase.STOPPING.value: "NONE",
    Phase.STOPPED.value: "NONE",
    Phase.DELETING.value: "DESTROYING",
    Phase.DELETED.value: "DESTROYING",
    Phase.FAILED.value: "UNKNOWN",
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
        inputs=document.get("inputs", []),
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
        region_prices=dict(row.region_prices or {}),
        stopped_price_per_hour=row.stopped_price_per_hour,
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


def project(
    row: ProjectRow, owner: str | None, members: list[str], invited: list[str]
) -> dict[str, Any]:
    """A project: its id (which names it where several the caller sees share its name), its
    owner's name (None once deleted), its members and the users invited to join it."""
    doc = common(f"{V3}/projects/{row.name}", row.name, "project", description=row.description)
    doc.update(id=row.id, owner=owner, members=members, invited=invited,
               created_at=format_time(row.created_at))  # fmt: skip
    return doc


def invitation(row: InvitationRow, project_name: str) -> dict[str, Any]:
    """An invitation to join a project: the project, who invited, when."""
    doc = common(f"{V3}/invitations/{row.id}", row.id, "invitation")
    doc.update(project=project_name, user=row.user_name, invited_by=row.invited_by,
               created_at=format_time(row.created_at))  # fmt: skip
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


def assembly_item(row: Any) -> dict[str, Any]:
    """An assembly as an item of the assembly factory (the design document's shape)."""
    return {"uri": assembly_uri(row.id), "name": row.name, "status": row.phase}


def assembly(converter: cattrs.Converter, stored: StoredAssembly) -> dict[str, Any]:
    """An assembly: the converter's form of the record (spec and status, secrets left out),
    with the CAMP attributes, the links to its plan, components and events, and the
    routes in front of it."""
    record = stored.assembly
    return _assembly(
        unstructure(converter, record),
        record.plan,
        [c.name or c.tag.value for c in record.components],
        stored.routes,
        stored.generated,
    )


def plain_assembly(plain: PlainAssembly) -> dict[str, Any]:
    """`assembly` of an assembly read as its converter's form (`AssemblyService.read_plain`,
    the GET's read): the same document."""
    return _assembly(plain.document, plain.plan, plain.component_names, plain.routes, {})


def _assembly(
    form: dict[str, Any],
    plan: str,
    component_names: Sequence[str],
    routes: Sequence[RouteInFront],
    generated: Mapping[str, str],
) -> dict[str, Any]:
    uri = assembly_uri(form["id"])
    doc = common(uri, form["name"], "assembly", skew=SKEW.get(form["status"]["phase"], "UNKNOWN"))
    doc.update(form)
    doc.update(
        external_management_resource="",
        plan_uri=f"{V3}/plan/{plan}",
        components=[
            {"href": f"{V3}/component/{form['id']}.{i}", "target_name": name}
            for i, name in enumerate(component_names)
        ],
        operation_collection=[],
        sensor_collection=[],
        events_uri=f"{uri}/events",
        routes=[route_in_front(r) for r in routes],
    )
    if generated:  # the answer that declared it or regenerated them: shown this once
        doc["generated_inputs"] = dict(generated)
    return doc


def orphaned(found: Orphaned) -> dict[str, Any]:
    """An assembly deleted with `orphan=true`: the instances it left running in the clouds."""
    abandoned = [
        {"region": i.region, "cloud_id": i.cloud_id, "key": i.key} for i in found.instances
    ]
    uri = assembly_uri(found.id)
    return {
        "assembly_uri": uri, "id": found.id, "name": found.name, "project": found.project,
        "region": found.region, "abandoned": abandoned, "events_uri": f"{uri}/events",
    }  # fmt: skip


def retired_region(name: str, found: Sequence[Orphaned]) -> dict[str, Any]:
    """A region deleted with `cascade=orphan`, and the assemblies it orphaned."""
    return {"region": name, "orphaned": [orphaned(o) for o in found]}


def route_in_front(route: RouteInFront) -> dict[str, Any]:
    """A route as the assembly's document lists it (the route's own URI for the rest)."""
    return {
        "id": route.id,
        "uri": f"{V3}/routes/{route.id}",
        "hostname": route.hostname,
        "path_prefix": route.path_prefix,
        "port": route.port,
        "url": route.url,
        "phase": route.phase,
    }


def component(found: ObservedComponent) -> dict[str, Any]:
    """One component of an assembly: what was declared, filled with what was observed."""
    declared = found.component
    tag = declared.tag
    doc = common(
        f"{V3}/component/{found.assembly_id}.{found.index}",
        declared.name or tag.value,
        "component",
        description=declared.description,
        skew="NONE" if tag not in OBSERVED_COMPONENTS or found.observed else "UNKNOWN",
    )
    doc.update(
        tag=tag.value,
        observed=tag in OBSERVED_COMPONENTS,
        attributes={**declared.attributes, **found.observed},
        assembly_uri=assembly_uri(found.assembly_id),
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
