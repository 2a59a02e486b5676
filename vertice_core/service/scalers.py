"""Scalers: declare, list, read, change and delete, for any caller of the domain.

A scaler is checked entirely before anything is written: its assembly is one of
the scaler's project (another project's assembly is "not found", like a missing
one) and has no scaler yet, `max` is within the installation's
`VERTICE_MAX_REPLICAS`, and its query parses, when a Prometheus is configured
and answers (`QueryCheck`; the check is given by whoever builds the service, so
this layer knows no HTTP). A query Prometheus could not check is accepted, and
the scaler's `ScalingActive` condition tells later. The scaler controller
(`vertice_core.scaling`) does the scaling; nothing here calls Prometheus itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.convert import structure
from vertice_core.errors import Conflict, InvalidInput, NotFound, Problem
from vertice_core.model.scaler import ScalerInput
from vertice_core.service.resolve import project_id_for, project_name, visible_project
from vertice_core.store.repositories import AssemblyRepository, ScalerRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext
    from vertice_core.store.tables import ScalerRow

#: Why Prometheus refuses a query (None: it parses, or there was nobody to ask).
QueryCheck = Callable[[str], "str | None"]

#: What `PATCH /v3/scalers/{id}` may change.
CHANGEABLE = ("min", "max", "query", "target", "tolerance", "scale_up_window",
              "scale_down_window", "cooldown", "max_step")  # fmt: skip

#: Spec column of each input field (the rest are named alike).
COLUMNS = {"min": "min_replicas", "max": "max_replicas"}


@attrs.frozen
class StoredScaler:
    """A scaler as the domain returns it."""

    id: str
    project: str
    assembly_id: str
    #: The assembly's name ("" once it is gone).
    assembly: str
    #: The declared fields, by their input names (`min`, `max`, `query`...).
    spec: Mapping[str, Any]
    generation: int
    created_at: datetime
    #: The controller's status document (conditions, the last value and decision).
    status: dict[str, Any]


class ScalerService:
    """Every operation on scalers (see the module's docstring)."""

    def __init__(self, svc: ServiceContext, check: QueryCheck | None = None) -> None:
        self.svc = svc
        self.check = check

    def declare(self, session: Session, caller: Caller, scaler: ScalerInput) -> StoredScaler:
        """Store a new scaler (due for the scaler controller now)."""
        self._checked(scaler)
        project_id = project_id_for(session, caller, scaler.project)
        assembly = AssemblyRepository(session).id_in_project(project_id, scaler.assembly)
        if assembly is None:
            raise NotFound(f"the project has no assembly {scaler.assembly!r}")
        scalers = ScalerRepository(session)
        holder = scalers.of_assembly(assembly)
        if holder is not None:
            raise Conflict(f"the assembly already has scaler {holder.id}; change or delete it")
        row = scalers.create(project_id=project_id, assembly_id=assembly, **_columns(scaler))
        if row is None:  # declared by someone else since the check above
            raise Conflict("the assembly already has a scaler")
        return _stored(session, caller, row)

    def visible(self, session: Session, caller: Caller, project: str | None) -> list[StoredScaler]:
        """The scalers the caller may see (of one project when `project` names it)."""
        scope = caller.scope if project is None else [visible_project(session, caller, project)]
        scalers = ScalerRepository(session)
        rows = scalers.in_projects(scope)
        names = {i: a.name for i, a in scalers.assemblies(r.assembly_id for r in rows).items()}
        return [_stored(session, caller, r, names.get(r.assembly_id, "")) for r in rows]

    def get(self, session: Session, caller: Caller, scaler_id: str) -> StoredScaler:
        """One scaler the caller may see."""
        return _stored(session, caller, _find(session, caller, scaler_id))

    def change(
        self, session: Session, caller: Caller, scaler_id: str, changes: Any
    ) -> StoredScaler:
        """Change some of a scaler's fields (`CHANGEABLE`); the whole result is validated.
        A scaler the caller cannot see is a 404 before anything is said about the changes."""
        row = _find(session, caller, scaler_id)
        if not isinstance(changes, dict):
            raise InvalidInput.at("$", "must be an object of the fields to change")
        fixed = [k for k in changes if k not in CHANGEABLE]
        if fixed:
            raise InvalidInput([Problem(f"$.{k}" if str(k).isidentifier() else "$",
                                        f"cannot be changed (changeable: {', '.join(CHANGEABLE)})")
                                for k in fixed])  # fmt: skip
        current = _spec(row)
        merged = structure(self.svc.converter, {**current, "assembly": row.assembly_id,
                                                **changes}, ScalerInput)  # fmt: skip
        self._checked(merged, query=merged.query != current["query"])
        columns = _columns(merged)
        if any(getattr(row, k) != v for k, v in columns.items()):
            ScalerRepository(session).change_spec(row, **columns)
        return _stored(session, caller, row)

    def delete(self, session: Session, caller: Caller, scaler_id: str) -> None:
        """Delete a scaler; the assembly keeps the replicas it has."""
        ScalerRepository(session).delete(_find(session, caller, scaler_id))

    def _checked(self, scaler: ScalerInput, *, query: bool = True) -> None:
        """Refuse what the installation cannot take: `max` over its bound, a bad query (when
        `query`: a change that keeps the query does not ask Prometheus again)."""
        limit = self.svc.config.max_replicas
        if scaler.max > limit:
            raise InvalidInput.at("$.max", f"must be at most {limit}, the most instances one "
                                  "assembly may run here (VERTICE_MAX_REPLICAS)")  # fmt: skip
        problem = self.check(scaler.query) if query and self.check is not None else None
        if problem is not None:
            raise InvalidInput.at("$.query", f"Prometheus refuses the query: {problem}")


def _columns(scaler: ScalerInput) -> dict[str, Any]:
    """The spec columns of a declaration."""
    values = {name: getattr(scaler, name) for name in CHANGEABLE}
    values["target_type"] = scaler.target_type.value
    return {COLUMNS.get(k, k): v for k, v in values.items()}


def _spec(row: ScalerRow) -> dict[str, Any]:
    """A scaler's declared fields by their input names."""
    spec = {name: getattr(row, COLUMNS.get(name, name)) for name in CHANGEABLE}
    spec["target_type"] = row.target_type
    return spec


def _find(session: Session, caller: Caller, scaler_id: str) -> ScalerRow:
    row = ScalerRepository(session).get(scaler_id, caller.scope)
    if row is None:
        raise NotFound(f"there is no scaler {scaler_id!r}")
    return row


def _stored(
    session: Session, caller: Caller, row: ScalerRow, assembly: str | None = None
) -> StoredScaler:
    """A scaler as returned (`assembly`: its assembly's name, when the caller knows it)."""
    if not assembly:
        found = ScalerRepository(session).assemblies([row.assembly_id]).get(row.assembly_id)
        assembly = found.name if found is not None else ""
    return StoredScaler(
        id=row.id,
        project=project_name(session, caller, row.project_id),
        assembly_id=row.assembly_id,
        assembly=assembly,
        spec=_spec(row),
        generation=row.generation,
        created_at=row.created_at,
        status=dict(row.status or {}),
    )
