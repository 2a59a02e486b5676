"""Turning a declaration or a JSON Patch into a stored assembly spec.

`declare()` resolves what the user named (plan, region, flavor, launch
credential, project), asks the admission hook, and stores the assembly; it
makes no cloud call. `patch()` applies a JSON Patch to the patchable view of
an assembly, limited to the paths its metadata allows the caller to change.
Every problem with the input is an `InvalidInput` naming its JSON path, and
nothing is stored unless everything is valid.
"""

from __future__ import annotations

import base64
import hashlib
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import attrs
import jsonpatch
import jsonpointer

from vertice_api.auth import Principal
from vertice_api.context import AppContext
from vertice_core.convert import structure, unstructure
from vertice_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
)
from vertice_core.hooks import AdmissionRequest, refusal
from vertice_core.ids import new_id
from vertice_core.model.assembly import (
    PATCHABLE_PATHS,
    AssemblyDeclaration,
    AssemblySpec,
    CredentialKind,
    DesiredState,
    LaunchCredential,
    PowerState,
    RootPassword,
    SshKeyRef,
    SshPublicKey,
    default_metadata,
)
from vertice_core.model.camp import Component, ComponentTag, Metadata
from vertice_core.model.types import Name, NonNegative, Tags
from vertice_core.store.repositories import (
    AssemblyRepository,
    ProjectRepository,
    SshKeyRepository,
)
from vertice_core.store.tables import AssemblyRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Components vertice fills itself; a declaration may not name them.
MANAGED_COMPONENTS = (
    ComponentTag.FLAVOR,
    ComponentTag.REGION,
    ComponentTag.SECURITY,
    ComponentTag.NETWORK_PUBLIC_IPV4,
    ComponentTag.NETWORK_PRIVATE_IPV4,
)


def plan_name_of(uri: str) -> str:
    """The plan name in a plan URI: `/v3/plan/NAME`, `http://host/v3/plan/NAME` or `NAME`."""
    try:
        path = urlparse(uri).path.rstrip("/")
    except ValueError:  # an unbalanced IPv6 host, `http://[::1`
        path = "/"
    for prefix in ("/v3/plan/", "/plan/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    if "/" not in path and path:
        return path
    raise InvalidInput.at("$.plan_uri", f"{uri!r} is not a plan URI such as /v3/plan/NAME")


def fingerprint(public_key: str) -> str:
    """The OpenSSH SHA256 fingerprint of a public key line."""
    blob = base64.b64decode(public_key.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def project_id_for(session: Session, principal: Principal, name: str | None) -> str:
    """The id of the project a write goes to: `name` if the caller may use it, else theirs."""
    if name is None:
        return principal.default_project()
    row = ProjectRepository(session).by_name(name)
    if row is None or (principal.scope is not None and row.id not in principal.project_ids):
        raise InvalidInput.at("$.project", f"you have no project named {name!r}")
    return row.id


def _metadata(given: Metadata | None) -> Metadata:
    if given is None:
        return default_metadata()
    problems = [
        Problem(f"$.metadata.{field}[{i}]", f"{path!r} is not patchable; patchable: "
                + ", ".join(PATCHABLE_PATHS))
        for field in ("mutable", "consumer_mutable")
        for i, path in enumerate(getattr(given, field))
        if path not in PATCHABLE_PATHS
    ]  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    return attrs.evolve(
        given, type_definition=given.type_definition or "/v3/type_definitions/assembly"
    )


def _components(declared: list[Component], flavor: str, region: str) -> list[Component]:
    problems = [
        Problem(f"$.components[{i}].tag", f"{c.tag.value!r} components are filled by vertice")
        for i, c in enumerate(declared)
        if c.tag in MANAGED_COMPONENTS
    ]
    if problems:
        raise InvalidInput(problems)
    managed = [
        Component(ComponentTag.FLAVOR, name=flavor),
        Component(ComponentTag.REGION, name=region),
        Component(ComponentTag.SECURITY, name="launch credential"),
        Component(ComponentTag.NETWORK_PUBLIC_IPV4, name="public ipv4"),
        Component(ComponentTag.NETWORK_PRIVATE_IPV4, name="private ipv4"),
    ]
    return managed + declared


def _credential(ctx: AppContext, session: Session, project_id: str, given: Any) -> LaunchCredential:
    if given is None:
        return LaunchCredential()
    if isinstance(given, SshKeyRef):
        key = SshKeyRepository(session).get([project_id], given.name)
        if key is None:
            raise InvalidInput.at("$.credential.name", f"the project has no SSH key {given.name!r}")
        return LaunchCredential(
            kind=CredentialKind.SSH_KEY, key_name=key.name, public_key=key.public_key
        )
    if isinstance(given, SshPublicKey):
        return LaunchCredential(kind=CredentialKind.SSH_PUBLIC_KEY, public_key=given.public_key)
    assert isinstance(given, RootPassword)
    return LaunchCredential(
        kind=CredentialKind.ROOT_PASSWORD, sealed_password=ctx.box.seal(given.password)
    )


def _admit(ctx: AppContext, request: AdmissionRequest) -> None:
    reason = refusal(ctx.plugins, request)
    if reason:
        raise Forbidden(f"the assembly was not admitted: {reason}")


def declare(ctx: AppContext, session: Session, principal: Principal, body: Any) -> SimpleNamespace:
    """Validate a declaration, admit it and store the assembly (due for reconciling now)."""
    decl = structure(ctx.converter, body, AssemblyDeclaration)
    plan_name = plan_name_of(decl.plan_uri)
    if not ctx.catalog.has_plan(plan_name):
        raise NotFound(f"there is no plan named {plan_name!r}")
    project_id = project_id_for(session, principal, decl.project)
    problems = []
    if not ctx.catalog.has_region(decl.region):
        problems.append(Problem("$.region", f"there is no region named {decl.region!r}"))
    offered_in = ctx.catalog.flavor_regions(decl.flavor)
    if offered_in is None:
        problems.append(Problem("$.flavor", f"there is no flavor named {decl.flavor!r}"))
    elif offered_in and decl.region not in offered_in:
        problems.append(
            Problem("$.flavor", f"flavor {decl.flavor!r} is not offered in region {decl.region!r}")
        )
    if problems:
        raise InvalidInput(problems)
    spec = AssemblySpec(
        plan=Name(plan_name),
        region=decl.region,
        flavor=decl.flavor,
        credential=_credential(ctx, session, project_id, decl.credential),
        components=_components(decl.components, decl.flavor, decl.region),
        desired_state=DesiredState(decl.desired_state.value),
        metadata=_metadata(decl.metadata),
        metrics_port=decl.metrics_port,
    )
    project = principal.project_name(project_id) or _project_name(session, project_id)
    _admit(ctx, AdmissionRequest(user=principal.name, project=project, name=decl.name, spec=spec))
    return AssemblyRepository(session).create(
        id=new_id("asm"),
        project_id=project_id,
        name=decl.name,
        description=decl.description,
        tags=list(decl.tags),
        plan_name=plan_name,
        region_name=decl.region,
        flavor_name=decl.flavor,
        desired_state=spec.desired_state.value,
        replicas=_bounded(ctx, decl.replicas),
        spec=stored_spec(ctx, spec),
    )


def _bounded(ctx: AppContext, replicas: int) -> int:
    if replicas > ctx.config.max_replicas:
        raise InvalidInput.at(
            "$.replicas", f"at most {ctx.config.max_replicas} replicas, not {replicas}"
        )
    return replicas


def _project_name(session: Session, project_id: str) -> str:
    return ProjectRepository(session).by_ids([project_id])[0].name


def stored_spec(ctx: AppContext, spec: AssemblySpec) -> dict[str, Any]:
    """The `spec` column of an assembly: components, credential, metadata, metrics port."""
    document = unstructure(ctx.converter, spec)
    return {k: document[k] for k in ("components", "credential", "metadata", "metrics_port")}


def spec_of(ctx: AppContext, row: AssemblyRow) -> AssemblySpec:
    """The `AssemblySpec` of a stored assembly."""
    return structure(
        ctx.converter,
        {
            **row.spec,
            "plan": row.plan_name,
            "region": row.region_name,
            "flavor": row.flavor_name,
            "desired_state": row.desired_state,
            "restart_count": row.restart_count,
        },
        AssemblySpec,
    )


@attrs.frozen
class _Patchable:
    """The attributes of an assembly a JSON Patch may change, validated after patching."""

    name: Name
    description: str
    tags: Tags
    desired_state: PowerState
    restart_count: NonNegative
    replicas: NonNegative


def patch(
    ctx: AppContext,
    session: Session,
    principal: Principal,
    row: AssemblyRow,
    operations: Any,
) -> bool:
    """Apply a JSON Patch to an assembly's patchable attributes; False if nothing changed."""
    if row.desired_state == DesiredState.DELETED:
        raise Conflict("the assembly is being deleted; it can no longer be changed")
    if not isinstance(operations, list):
        raise InvalidInput.at("$", "a JSON Patch document must be an array of operations")
    metadata = row.spec.get("metadata", {})
    allowed = set(metadata.get("consumer_mutable", []))
    if principal.admin:
        allowed |= set(metadata.get("mutable", []))
    _check_paths(operations, allowed)
    current = {
        "name": row.name,
        "description": row.description,
        "tags": list(row.tags),
        "desired_state": row.desired_state,
        "restart_count": row.restart_count,
        "replicas": row.replicas,
    }
    try:
        changed = jsonpatch.JsonPatch(operations).apply(current)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise Conflict(f"a test operation failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise InvalidInput.at("$", f"the patch cannot be applied: {exc}") from None
    result = structure(ctx.converter, changed, _Patchable)
    if result.restart_count < row.restart_count:
        raise InvalidInput.at("$.restart_count", "restart_count can only grow")
    values = {
        "name": result.name,
        "description": result.description,
        "tags": list(result.tags),
        "desired_state": result.desired_state.value,
        "restart_count": result.restart_count,
        "replicas": _bounded(ctx, result.replicas),
    }
    if values == current:
        return False
    if result.name != row.name and AssemblyRepository(session).name_taken(
        row.project_id, result.name
    ):
        raise Conflict(f"the project already has an assembly named {result.name!r}")
    spec = spec_of(ctx, row)
    project = ProjectRepository(session).by_ids([row.project_id])[0]
    _admit(
        ctx,
        AdmissionRequest(
            user=principal.name,
            project=project.name,
            name=result.name,
            spec=attrs.evolve(
                spec,
                desired_state=DesiredState(result.desired_state.value),
                restart_count=NonNegative(result.restart_count),
            ),
            assembly_id=row.id,
            previous=spec,
        ),
    )
    if not AssemblyRepository(session).change_spec(row, row.generation, **values):
        raise Conflict("the assembly changed meanwhile; read it again and retry")
    return True


def _check_paths(operations: list[Any], allowed: set[str]) -> None:
    problems = []
    for i, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            problems.append(Problem(f"$[{i}]", "an operation is an object with 'op' and 'path'"))
            continue
        for field in ("path", "from"):
            path = op.get(field)
            if field == "from" and path is None:
                continue
            if not isinstance(path, str) or not any(
                path == a or path.startswith(a + "/") for a in allowed
            ):
                permitted = ", ".join(sorted(allowed)) or "none"
                problems.append(
                    Problem(f"$[{i}].{field}", f"{path!r} may not be changed; allowed: {permitted}")
                )
    if problems:
        raise InvalidInput(problems)
