"""An assembly's source at declaration: checked, its secrets sealed, its first build queued.

A source is given as the declaration's `source`, or as the design document's
`apprepository` component (`{"tag": "apprepository", "attributes": {"url":
..., "ref": ..., "token": ...}}`); the component is then stored without its
secrets. Every check is done before anything is written, and answers a 422
at the field's path: the URL (the operator's policy: `VERTICE_BUILD_ALLOW_LOCAL`),
the ref, the subdirectory, the recipe (an installed builder for the region's
cloud type), and the bounds of the secrets. No repository is contacted here:
the build says whether it can be fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.building import builders
from vertice_core.building.policy import ref_problem, subdirectory_problem, url_problem
from vertice_core.convert import structure
from vertice_core.errors import InvalidInput, Problem
from vertice_core.model.build import AppSource, SourceSpec
from vertice_core.model.camp import Component, ComponentTag
from vertice_core.store.repositories import RegionRepository
from vertice_core.store.repositories.builds import BuildRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.model.assembly import AssemblyDeclaration
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import BuildRow

#: The longest token or deploy key accepted (characters).
MAX_SECRET = 16_384
#: Why an assembly built from source waits before its first build succeeded.
AWAITING = "AwaitingBuild"


def declared_source(
    declaration: AssemblyDeclaration, svc: ServiceContext
) -> tuple[AppSource | None, str, list[Component]]:
    """The declaration's source (from `source` or an `apprepository` component), the JSON
    path it was given at, and the components to store (the component without secrets)."""
    components = list(declaration.components)
    for index, component in enumerate(components):
        if component.tag is not ComponentTag.APPREPOSITORY:
            continue
        path = f"$.components[{index}].attributes"
        if declaration.source is not None:
            raise InvalidInput.at(
                path, "give the repository once: as `source` or as this component"
            )
        source = structure(svc.converter, dict(component.attributes), AppSource, path=path)
        shown = {k: v for k, v in component.attributes.items() if k not in ("token", "deploy_key")}
        components[index] = attrs.evolve(component, attributes=shown)
        return source, path, components
    return declaration.source, "$.source", components


def source_problems(
    session: Session, svc: ServiceContext, source: AppSource, path: str, region: str, *,
    placed: bool,
) -> list[Problem]:  # fmt: skip
    """Everything wrong with a declared source (no I/O but the region's row)."""
    problems = []
    found = url_problem(source.url, allow_local=svc.config.builds.allow_local)
    if found:
        problems.append(Problem(f"{path}.url", found))
    for field, check in (("ref", ref_problem), ("subdirectory", subdirectory_problem)):
        found = check(getattr(source, field))
        if found:
            problems.append(Problem(f"{path}.{field}", found))
    for field in ("token", "deploy_key"):
        value = getattr(source, field)
        if value is not None and not (0 < len(value) <= MAX_SECRET):
            problems.append(Problem(f"{path}.{field}", f"must be 1 to {MAX_SECRET} characters"))
    if placed:
        problems.append(Problem("$.placement", "an assembly built from source runs in one "
                                "region: its image is built on that region's engine"))  # fmt: skip
    row = RegionRepository(session).get(region)
    if row is not None:
        found = builders.recipe_problem(source.recipe, row.cloud_type)
        if found:
            problems.append(Problem(f"{path}.recipe", found))
        secret = "token" if source.token else "deploy_key" if source.deploy_key else ""
        found = builders.private_problem(source.recipe, row.cloud_type) if secret else None
        if found:
            problems.append(Problem(f"{path}.{secret}", found))
    return problems


def sealed(svc: ServiceContext, source: AppSource) -> SourceSpec:
    """The stored form of a checked source."""
    return SourceSpec(
        url=source.url.strip(),
        ref=source.ref,
        subdirectory=source.subdirectory.strip("/"),
        recipe=source.recipe,
        sealed_token=svc.box.seal(source.token) if source.token else "",
        sealed_deploy_key=svc.box.seal(source.deploy_key) if source.deploy_key else "",
    )


def queue_build(
    session: Session, *, assembly_id: str, project_id: str, region: str, source: SourceSpec,
    ref: str | None = None,
) -> BuildRow | None:  # fmt: skip
    """Queue a build of the assembly's source (its ref, or `ref`); queued builds of the
    assembly that have not started are superseded. None when a concurrent request
    took the revision (the caller answers 409)."""
    builds = BuildRepository(session)
    row = builds.create(
        project_id=project_id, assembly_id=assembly_id, region_name=region, url=source.url,
        ref=source.ref if ref is None else ref, subdirectory=source.subdirectory,
        recipe=source.recipe,
    )  # fmt: skip
    if row is not None:
        builds.supersede(assembly_id, row.id)
    return row


def awaiting(revision: int, build_id: str) -> str:
    """The `build_wait` of an assembly whose first release is being built."""
    return f"{AWAITING}: build {build_id} (revision {revision}) has not succeeded yet"


def stored_source(spec: dict[str, Any]) -> SourceSpec | None:
    """The source of a stored spec document, if it has one."""
    found = spec.get("source")
    return SourceSpec(**found) if found else None
