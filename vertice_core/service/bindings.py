"""Bindings at declaration and at deletion: which provider, which component, which variable.

A binding names an assembly of the consumer's own project (another project's is
"not found", a 404, as everywhere) and a component it offers: `databaseinstance`
when its plan describes one (a `::databaseinstance` characteristic naming the
scheme, port and the inputs holding user, password and database), `appaccess`
always. A provider that others consume cannot be deleted (409 naming them)
unless the delete is forced; its consumers then keep their last values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertice_core.errors import Conflict, NotFound, Problem
from vertice_core.model.binding import MAX_BINDINGS, Binding, BoundComponent
from vertice_core.model.run import env_name_problem
from vertice_core.service import resolve
from vertice_core.store.repositories import AssemblyRepository
from vertice_core.store.repositories.bindings import BindingRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.context import ServiceContext


def declared(
    svc: ServiceContext, session: Session, project_id: str, bindings: list[Binding] | None
) -> tuple[list[dict[str, str]], list[Problem]]:
    """The bindings to store (`assembly_id`, `component`, `env`) and what is wrong with them."""
    if not bindings:
        return [], []
    if len(bindings) > MAX_BINDINGS:
        return [], [Problem("$.bindings", f"must hold at most {MAX_BINDINGS} bindings")]
    assemblies = AssemblyRepository(session)
    stored: list[dict[str, str]] = []
    problems: list[Problem] = []
    variables: set[str] = set()
    for index, binding in enumerate(bindings):
        at = f"$.bindings[{index}]"
        provider_id = assemblies.id_in_project(project_id, binding.assembly)
        row = assemblies.one(provider_id, None) if provider_id else None
        if row is None:
            raise NotFound(f"{at}.assembly: the project has no assembly {binding.assembly!r}")
        if binding.component is BoundComponent.DATABASEINSTANCE:
            plan = resolve.plan_model(svc, session, row.plan_name)
            if not list(plan.characteristics("databaseinstance")):
                offers = (
                    f"assembly {row.name!r} (plan {row.plan_name!r}) offers no databaseinstance"
                )
                problems.append(Problem(f"{at}.component", offers))
        variable = binding.variable(row.name)
        problem = env_name_problem(variable)
        if problem:
            problems.append(Problem(f"{at}.env", problem))
        elif variable in variables:
            problems.append(Problem(f"{at}.env", f"{variable!r} is set by another binding"))
        variables.add(variable)
        stored.append({"assembly_id": row.id, "component": binding.component.value,
                       "env": variable})  # fmt: skip
    return stored, problems


def check_unused(session: Session, provider_id: str, *, force: bool) -> None:
    """Refuse to delete a provider others consume, unless `force`."""
    if force:
        return
    names = BindingRepository(session).consumer_names(provider_id)
    if names:
        raise Conflict(f"assemblies {', '.join(repr(n) for n in names)} are bound to this one; "
                       "delete them or their bindings first, or force the delete")  # fmt: skip
