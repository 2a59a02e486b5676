"""Declaring an assembly that adopts an instance already running in its region.

Adoption takes over an instance nobody manages (made by hand, or by vertice 1.5):
the assembly's first instance is that one, tagged by the reconciler once
(`Driver.adopt`, without a restart), instead of one it creates. Only
administrators may adopt: the instance belongs to the cloud account behind the
region, not to a project, so a user could otherwise take over what is not
theirs. The region's driver must claim the `adopt` capability; the assembly
has one instance in one region (scale it once it is adopted), launched from
nothing of its own (no snapshot, no source).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertice_core.errors import Forbidden, Problem
from vertice_core.model.assembly import AssemblyDeclaration
from vertice_core.service import capabilities

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext

#: The capability adoption needs (`vertice_core.driver.Capability.ADOPT`).
ADOPT = "adopt"


def check(
    svc: ServiceContext, session: Session, caller: Caller, declaration: AssemblyDeclaration
) -> list[Problem]:
    """What is wrong with the declaration's `adopt`, if it has one (none: nothing).

    A caller who is no administrator is refused (403), and a region whose driver
    cannot adopt is a 422 naming the capability; the rest are problems at their
    path. The region must exist (the caller checked its references first)."""
    adopt = declaration.adopt
    if adopt is None:
        return []
    if not caller.admin:
        raise Forbidden("only administrators adopt instances: they belong to the region's "
                        "cloud account, not to a project")  # fmt: skip
    problems = []
    if not adopt.cloud_id.strip():
        problems.append(Problem("$.adopt.cloud_id", "name the instance to adopt (its cloud id)"))
    if declaration.replicas != 1:
        problems.append(Problem("$.replicas", "an adopting assembly has one instance: "
                                "declare replicas 1 and scale it once adopted"))  # fmt: skip
    for field in ("placement", "snapshot", "source"):
        if getattr(declaration, field) is not None:
            problems.append(Problem(f"$.{field}", "not with adopt: the adopted instance "
                                    "runs where and what it already runs"))  # fmt: skip
    if not problems and declaration.region is not None:
        capabilities.require(session, svc.capabilities, [declaration.region], ADOPT,
                             doing="adopt instances", path="$.adopt")  # fmt: skip
    return problems
