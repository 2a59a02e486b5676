"""Resolving what a declaration names: plan, project, region, flavor, launch credential.

Each function turns a name or a value the user gave into what the store
keeps, or says precisely what is wrong with it (an `InvalidInput` naming the
field's JSON path, a `NotFound` for an unknown plan). Nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import attrs

from vertice_core.convert import structure
from vertice_core.errors import Conflict, InvalidInput, NotFound, Problem
from vertice_core.model.assembly import (
    PATCHABLE_PATHS,
    AssemblyDeclaration,
    CredentialKind,
    LaunchCredential,
    RootPassword,
    SshKeyRef,
    SshPublicKey,
    default_metadata,
)
from vertice_core.model.camp import Component, ComponentTag, Metadata, Plan
from vertice_core.model.types import Name
from vertice_core.store.memo import memoized
from vertice_core.store.repositories import PlanRepository, ProjectRepository, SshKeyRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import ProjectRow

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


def project_matches(session: Session, caller: Caller, ref: str) -> list[ProjectRow]:
    """The projects `ref` (a project's name or id) may mean to the caller, best first.

    Among the projects the caller may see: the one whose id is `ref`; else those named
    `ref` that the caller owns (one at most); else those they are a member of; else
    (administrators, who see every project) any. The first of these that is not empty
    is the answer: two or more projects in it are ambiguous (`one_project`). Names are
    unique per owner only, and a project the caller cannot see is never among them, so
    the answer tells nothing of other users' projects (issue 17, item 8).
    """
    found = ProjectRepository(session).matching(ref, caller.scope)
    tiers = (
        [row for row in found if row.id == ref],
        [row for row in found if row.owner_id == caller.user_id],
        [row for row in found if row.id in caller.project_ids],
        list(found),
    )
    return next((tier for tier in tiers if tier), [])


def one_project(session: Session, caller: Caller, ref: str, path: str | None = None) -> ProjectRow:
    """The project `ref` means to the caller (`project_matches`): `NotFound` when they
    can see none, `Conflict` when several are equally good. With `path` (a body field's
    JSON path), both are an `InvalidInput` at that path instead."""
    found = project_matches(session, caller, ref)
    if len(found) == 1:
        return found[0]
    if not found:
        message = f"{'you have' if path else 'there is'} no project named {ref!r}"
    else:
        ids = ", ".join(row.id for row in found)
        message = (f"several projects you can see are named {ref!r} ({ids}): "
                   "name the one you mean by its id")  # fmt: skip
    if path is not None:
        raise InvalidInput.at(path, message)
    raise (NotFound if not found else Conflict)(message)


def project_id_for(session: Session, caller: Caller, name: str | None) -> str:
    """The id of the project a write goes to: `name` (`$.project`) if the caller may use
    it, else their first."""
    if name is None:
        return caller.default_project()
    return one_project(session, caller, name, "$.project").id


def visible_project(session: Session, caller: Caller, name: str) -> str:
    """The id of a project the caller may see, for a `?project=` filter (404 otherwise)."""
    return one_project(session, caller, name).id


def project_name(session: Session, caller: Caller, project_id: str) -> str:
    """The name of a project (from the caller's own list when it is one of theirs)."""
    known = caller.project_name(project_id)
    if known is not None:
        return known
    found = ProjectRepository(session).by_ids([project_id])
    return found[0].name if found else ""


def replicas_problem(replicas: int, maximum: int) -> Problem | None:
    """Why `replicas` cannot be declared here (the installation's bound), or None."""
    if replicas < 0:
        return Problem("$.replicas", "must not be negative")
    if replicas > maximum:
        return Problem(
            "$.replicas",
            f"must be at most {maximum}, the most instances one assembly may run here "
            "(VERTICE_MAX_REPLICAS)",
        )
    return None


def home_region(declaration: AssemblyDeclaration) -> Name:
    """The region an assembly is homed in: its `region`, else its placement's first."""
    if declaration.region is not None:
        return declaration.region
    if declaration.placement is not None:
        return declaration.placement.regions[0]
    raise InvalidInput.at("$.region", "required: name a region, or a placement")


def placement_problems(svc: ServiceContext, declaration: AssemblyDeclaration) -> list[Problem]:
    """What is wrong with the regions, flavor and replicas a declaration names."""
    problems = []
    home = home_region(declaration)
    placement = declaration.placement
    if placement is not None and home != placement.regions[0]:
        problems.append(
            Problem(
                "$.region",
                f"must be the first of placement.regions ({placement.regions[0]!r}), or left out",
            )
        )
    regions = [("$.region", home)]
    if placement is not None:
        regions = [(f"$.placement.regions[{i}]", r) for i, r in enumerate(placement.regions)]
    offered_in = svc.catalog.flavor_regions(declaration.flavor)
    if offered_in is None:
        problems.append(Problem("$.flavor", f"there is no flavor named {declaration.flavor!r}"))
    for path, region in regions:
        if not svc.catalog.has_region(region):
            problems.append(Problem(path, f"there is no region named {region!r}"))
        elif offered_in and region not in offered_in:
            problems.append(
                Problem(
                    "$.flavor",
                    f"flavor {declaration.flavor!r} is not offered in region {region!r}",
                )
            )
    bound = replicas_problem(declaration.replicas, svc.config.max_replicas)
    if bound is not None:
        problems.append(bound)
    return problems


def plan_model(svc: ServiceContext, session: Session, name: str) -> Plan:
    """The stored plan `name` as a `Plan` (its inputs, characteristics...), read once per
    session (`memoized`: a batch declares many assemblies of one plan)."""

    def read() -> Plan | None:
        document = PlanRepository(session).document(name)
        return structure(svc.converter, document, Plan) if document is not None else None

    found = memoized(session, "plan", name, read)
    if found is None:
        raise NotFound(f"there is no plan named {name!r}")
    return found


@attrs.frozen
class References:
    """What a declaration's names refer to, each None when it refers to nothing, and
    the problems saying so, all of them (`references`)."""

    problems: list[Problem]
    plan: str | None = None
    plan_model: Plan | None = None
    project_id: str | None = None
    credential: LaunchCredential | None = None


def references(
    svc: ServiceContext, session: Session, caller: Caller, declaration: AssemblyDeclaration
) -> References:
    """Resolve the plan, the project and the launch credential a declaration names,
    collecting a problem for each that names nothing (`placement_problems` does the
    regions and flavor), so one answer lists every wrong reference."""
    problems: list[Problem] = []
    name = plan_name_of(declaration.plan_uri)
    plan = name if svc.catalog.has_plan(name) else None
    if plan is None:
        problems.append(Problem("$.plan_uri", f"there is no plan named {name!r}"))
    try:
        project_id: str | None = project_id_for(session, caller, declaration.project)
    except InvalidInput as exc:
        problems += exc.problems
        project_id = None
    found = None
    if project_id is not None:
        try:
            found = credential(svc, session, project_id, declaration.credential)
        except InvalidInput as exc:
            problems += exc.problems
    model = plan_model(svc, session, plan) if plan is not None else None
    return References(problems, plan, model, project_id, found)


def metadata(given: Metadata | None) -> Metadata:
    """The metadata to store: the default, or the given one if it names patchable paths only."""
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


def components(declared: list[Component], flavor: str, region: str) -> list[Component]:
    """The components to store: the ones vertice manages, then the declared ones."""
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


def offered_components(plan: Plan) -> list[Component]:
    """The components a plan's instances offer others: a `databaseinstance` when its plan
    describes one (its scheme and port; the rest is observed when it is read)."""
    settings = plan.settings("databaseinstance")
    if not settings:
        return []
    attributes: dict[str, Any] = {k: settings[k] for k in ("scheme", "port") if k in settings}
    return [Component(ComponentTag.DATABASEINSTANCE, name="database", attributes=attributes)]


def credential(
    svc: ServiceContext,
    session: Session,
    project_id: str,
    given: SshKeyRef | SshPublicKey | RootPassword | None,
) -> LaunchCredential:
    """The launch credential to store: a stored key looked up, a password sealed."""
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
    return LaunchCredential(
        kind=CredentialKind.ROOT_PASSWORD, sealed_password=svc.box.seal(given.password)
    )
