"""Assemblies: declare, read, patch, scale and delete, for any caller of the domain.

`AssemblyService` is built once per process from the `ServiceContext` and
called by the API, the CLI's server-side commands and tests alike. Each
write takes the caller's session (the caller owns the transaction), checks
what the caller may do, validates everything before it writes anything, asks
the admission hooks, bumps the spec's generation and returns the assembly as
it now stands. A write may name the generations it was made from
(`expected`); when the assembly has moved on, it is refused (`StaleVersion`).
No cloud is called: the reconciler makes the change real.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.convert import unstructure
from vertice_core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from vertice_core.hooks import AdmissionRequest
from vertice_core.ids import new_id
from vertice_core.model.assembly import (
    AssemblyDeclaration,
    AssemblySpec,
    DesiredState,
    LaunchCredential,
    PowerMode,
    StopMode,
)
from vertice_core.model.inputs import resolve as resolve_inputs
from vertice_core.model.run import run_problems
from vertice_core.model.types import Name, NonNegative
from vertice_core.service import (
    adoption,
    bindings,
    capabilities,
    disks,
    orphans,
    resolve,
    snapshots,
    sources,
)
from vertice_core.service.admission import admit
from vertice_core.service.input_changes import changed_inputs, shown_inputs
from vertice_core.service.patching import FIELDS, allowed_paths, apply_patch
from vertice_core.service.plain import PlainAssembly, plain_stored
from vertice_core.service.quotas import QuotaLedger
from vertice_core.service.records import (
    Declared,
    Row,
    StoredAssembly,
    spec_of,
    stored_assembly,
    stored_spec,
)
from vertice_core.store.repositories import AssemblyRepository
from vertice_core.store.repositories.bindings import BindingRepository
from vertice_core.store.repositories.builds import BuildRepository
from vertice_core.store.repositories.placements import PlacementRepository
from vertice_core.store.repositories.views import AssemblyViews

#: The capability a flavor change needs (`vertice_core.driver.Capability.RESIZE`).
RESIZE = "resize"

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.service.context import ServiceContext


#: The most declarations one batch request (`POST /v3/assembly_factory/batch`) holds.
MAX_BATCH = 1000


class AssemblyService:
    """Every operation on assemblies (see the module's docstring)."""

    def __init__(self, svc: ServiceContext) -> None:
        self.svc = svc

    def read(self, connection: Connection, caller: Caller, assembly_id: str) -> StoredAssembly:
        """The assembly as it stands (a read-only connection suffices: one statement)."""
        row = AssemblyViews(connection).one(assembly_id, caller.scope)
        return stored_assembly(_visible(row, assembly_id))

    def read_plain(self, connection: Connection, caller: Caller, assembly_id: str) -> PlainAssembly:
        """`read`, as the converter's form made straight from the row (`plain`): what
        `GET /v3/assembly/{id}` answers with."""
        row = AssemblyViews(connection).one(assembly_id, caller.scope)
        return plain_stored(self.svc.converter, _visible(row, assembly_id))

    def declare(
        self, session: Session, caller: Caller, declaration: AssemblyDeclaration
    ) -> Declared:
        """Resolve, admit and store a new assembly (generation 1, due for reconciling now).
        Its record is `Declared.stored()`, made when the caller asks for it."""
        svc = self.svc
        # Every wrong reference is a problem of one answer (plan, project, regions,
        # flavor, key), not the first one found (issue 16).
        region = resolve.home_region(declaration)
        references = resolve.references(svc, session, caller, declaration)
        problems = references.problems + resolve.placement_problems(svc, declaration)
        problems += run_problems(
            "$", command=declaration.command, args=declaration.args, env=declaration.env
        )
        restored, restore_problems = snapshots.restored(
            session, references.project_id, declaration, region
        )
        problems += restore_problems
        plan, plan_model, project_id = references.plan, references.plan_model, references.project_id
        if plan is None or plan_model is None or project_id is None:
            raise InvalidInput(problems)  # what depends on them cannot be checked
        plan_inputs = plan_model.inputs
        given, input_problems = resolve_inputs(plan_inputs, declaration.inputs)
        problems += input_problems
        secret = {i.name for i in plan_inputs if i.secret}
        bound, binding_problems = bindings.declared(svc, session, project_id, declaration.bindings)
        problems += binding_problems
        source, source_path, declared = sources.declared_source(declaration, svc)
        if source is not None:
            placed = declaration.placement is not None
            problems += sources.source_problems(session, svc, source, source_path, region,
                                                placed=placed)  # fmt: skip
        if problems:
            raise InvalidInput(problems)
        problems += adoption.check(svc, session, caller, declaration)
        if problems:
            raise InvalidInput(problems)
        spec = AssemblySpec(
            plan=Name(plan),
            region=region,
            flavor=declaration.flavor,
            credential=references.credential or LaunchCredential(),
            components=resolve.components(declared, declaration.flavor, region)
            + resolve.offered_components(plan_model),
            desired_state=DesiredState(declaration.desired_state.value),
            metadata=resolve.metadata(declaration.metadata),
            metrics_port=declaration.metrics_port,
            replicas=declaration.replicas,
            probe=declaration.probe,
            placement=declaration.placement,
            command=declaration.command,
            args=declaration.args,
            sealed_env={k: svc.box.seal(v) for k, v in (declaration.env or {}).items()},
            source=sources.sealed(svc, source) if source is not None else None,
            inputs={k: v for k, v in given.values.items() if k not in secret},
            sealed_inputs={k: svc.box.seal(v) for k, v in given.values.items() if k in secret},
            bindings=bound,
            snapshot=restored,
            adopt=declaration.adopt,
        )
        project = resolve.project_name(session, caller, project_id)
        admit(
            svc.plugins,
            AdmissionRequest(
                user=caller.name,
                project=project,
                name=declaration.name,
                spec=spec,
                ledger=QuotaLedger(
                    session, project_id, project, enforce_balance=self.svc.config.billing.enforce
                ),
            ),
        )
        row = AssemblyRepository(session).create(
            id=new_id("asm"),
            project_id=project_id,
            name=declaration.name,
            description=declaration.description,
            tags=list(declaration.tags),
            plan_name=plan,
            region_name=region,
            flavor_name=declaration.flavor,
            desired_state=spec.desired_state.value,
            replicas=spec.replicas,
            probe=attrs.asdict(spec.probe) if spec.probe is not None else None,
            placement=unstructure(svc.converter, spec.placement),
            spec=stored_spec(svc.converter, spec),
            build_wait=sources.AWAITING if spec.source is not None else None,
        )
        if spec.placement is not None:
            PlacementRepository(session).add(row.id, spec.placement.regions)
        BindingRepository(session).add(row.id, bound)
        if spec.source is not None:
            build = sources.queue_build(session, assembly_id=row.id, project_id=project_id,
                                        region=region, source=spec.source)  # fmt: skip
            if build is not None:  # a new assembly's first revision is never taken
                row.build_wait = sources.awaiting(build.revision, build.id)
                BuildRepository(session).wait(row.id, row.build_wait)
        generated = {name: given.values[name] for name in given.generated}
        return Declared(row, project, generated)

    def patch(
        self,
        session: Session,
        caller: Caller,
        assembly_id: str,
        operations: Any,
        *,
        expected: Collection[int] | None = None,
    ) -> StoredAssembly:
        """Apply a JSON Patch to the attributes the assembly's metadata lets the caller change."""
        row = self._changeable(session, caller, assembly_id, expected)
        allowed = allowed_paths(row.spec.get("metadata", {}), caller.admin)
        current = {**patchable(row), "inputs": shown_inputs(row.spec)}
        values = apply_patch(self.svc.converter, current, operations, allowed)
        patched = values.pop("inputs")
        if patched == current["inputs"]:
            return self._change(session, caller, row, values)
        plan = resolve.plan_model(self.svc, session, row.plan_name)
        changed = changed_inputs(row.spec, plan.inputs, patched, self.svc.box)
        spec = {**row.spec, "inputs": changed.inputs, "sealed_inputs": changed.sealed_inputs}
        if spec == row.spec:  # the same values given again
            return self._change(session, caller, row, values)
        # the instances are replaced, one at a time, to run with the new values
        values["replace_count"] = max(values["replace_count"], row.replace_count + 1)
        stored = self._change(session, caller, row, values, spec=spec)
        return attrs.evolve(stored, generated=changed.generated)

    def scale(
        self,
        session: Session,
        caller: Caller,
        assembly_id: str,
        replicas: int,
        *,
        expected: Collection[int] | None = None,
    ) -> StoredAssembly:
        """Declare how many instances the assembly runs: what `PATCH /replicas` does."""
        row = self._changeable(session, caller, assembly_id, expected)
        if "/replicas" not in allowed_paths(row.spec.get("metadata", {}), caller.admin):
            raise Forbidden("the assembly's metadata does not let you change /replicas")
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise InvalidInput.at("$.replicas", "must be an integer")
        return self._change(session, caller, row, {**patchable(row), "replicas": replicas})

    def delete(
        self,
        session: Session,
        caller: Caller,
        assembly_id: str,
        *,
        expected: Collection[int] | None = None,
        force: bool = False,
        with_snapshots: bool = False,
        with_disks: bool = False,
    ) -> StoredAssembly:
        """Ask for the assembly's deletion (any phase; again is a no-op). The reconciler
        removes its instances, then its row. An assembly others are bound to is a 409
        naming them, unless `force`. Its snapshots are kept, unless `with_snapshots`
        (then they are deleted too, or nothing is: `snapshots.delete_of_assembly`); its
        disks are detached and kept, unless `with_disks` (`disks.for_deleted_assembly`)."""
        repository = AssemblyRepository(session)
        row = _deletable(session, caller, assembly_id, expected, force)
        if with_snapshots:
            snapshots.delete_of_assembly(session, row.project_id, row.id)
        disks.for_deleted_assembly(session, row.id, with_disks=with_disks)
        if row.desired_state == DesiredState.DELETED:
            return stored_assembly(row)
        if not repository.change_spec(row.id, row.generation, desired_state="deleted"):
            raise Conflict("the assembly changed meanwhile; read it again and retry")
        return stored_assembly(_visible(repository.one(row.id, None), assembly_id))

    def orphan(
        self,
        session: Session,
        caller: Caller,
        assembly_id: str,
        *,
        expected: Collection[int] | None = None,
        force: bool = False,
    ) -> orphans.Orphaned:
        """Delete the assembly now (any phase, even while being deleted), leaving its
        instances running in the cloud: `orphan=true` (see `service.orphans`). Who may,
        and the 409 of an assembly others are bound to, are as for `delete`."""
        return orphans.orphan(session, _deletable(session, caller, assembly_id, expected, force))

    def _changeable(
        self,
        session: Session,
        caller: Caller,
        assembly_id: str,
        expected: Collection[int] | None,
    ) -> Row:
        row = _visible(AssemblyRepository(session).one(assembly_id, caller.scope), assembly_id)
        _check_version(row, expected)
        if row.desired_state == DesiredState.DELETED:
            raise Conflict("the assembly is being deleted; it can no longer be changed")
        return row

    def _check_resize(self, session: Session, row: Row, flavor: str) -> None:
        """`InvalidInput` unless `flavor` exists, is offered in every region of the assembly
        and their drivers claim `resize`: the instances are resized in place, keeping their
        disks and addresses (the reconciler calls `Driver.resize`)."""
        offered_in = self.svc.catalog.flavor_regions(flavor)
        if offered_in is None:
            raise InvalidInput.at("$.flavor", f"there is no flavor named {flavor!r}")
        regions = _regions(row)
        for region in regions:
            if offered_in and region not in offered_in:
                raise InvalidInput.at(
                    "$.flavor", f"flavor {flavor!r} is not offered in region {region!r}"
                )
        capabilities.require(session, self.svc.capabilities, regions, RESIZE,
                             doing="resize instances in place", path="$.flavor")  # fmt: skip

    def _change(
        self,
        session: Session,
        caller: Caller,
        row: Row,
        values: dict[str, Any],
        spec: dict[str, Any] | None = None,
    ) -> StoredAssembly:
        """Validate, admit and store new values of the patchable attributes (and the spec
        document, when its inputs changed)."""
        current = patchable(row)
        if values == current and spec is None:
            return stored_assembly(row)
        if values["restart_count"] < row.restart_count:
            raise InvalidInput.at("$.restart_count", "restart_count can only grow")
        if values["replace_count"] < row.replace_count:
            raise InvalidInput.at("$.replace_count", "replace_count can only grow")
        if values["replicas"] != row.replicas:
            problem = resolve.replicas_problem(values["replicas"], self.svc.config.max_replicas)
            if problem is not None:
                raise InvalidInput([problem])
        if values["flavor"] != row.flavor_name:
            self._check_resize(session, row, values["flavor"])
        for field, mode, capability, doing in _MODES:
            if values[field] == mode and getattr(row, field) != mode:
                capabilities.require(session, self.svc.capabilities, _regions(row), capability,
                                     doing=doing, path=f"$.{field}")  # fmt: skip
        repository = AssemblyRepository(session)
        if values["name"] != row.name and repository.name_taken(row.project_id, values["name"]):
            raise Conflict(f"the project already has an assembly named {values['name']!r}")
        previous = spec_of(self.svc.converter, row)
        admit(
            self.svc.plugins,
            AdmissionRequest(
                user=caller.name,
                project=row.project_name,
                name=values["name"],
                spec=attrs.evolve(
                    previous if spec is None else spec_of(self.svc.converter, row, spec),
                    desired_state=DesiredState(values["desired_state"]),
                    restart_count=NonNegative(values["restart_count"]),
                    restart_mode=PowerMode(values["restart_mode"]),
                    stop_mode=StopMode(values["stop_mode"]),
                    replicas=NonNegative(values["replicas"]),
                    replace_count=NonNegative(values["replace_count"]),
                    flavor=Name(values["flavor"]),
                ),
                assembly_id=row.id,
                previous=previous,
                ledger=QuotaLedger(
                    session,
                    row.project_id,
                    row.project_name,
                    enforce_balance=self.svc.config.billing.enforce,
                ),
            ),
        )
        values = {_COLUMNS.get(field, field): value for field, value in values.items()}
        if spec is not None:
            values = {**values, "spec": spec}
        if not repository.change_spec(row.id, row.generation, **values):
            raise Conflict("the assembly changed meanwhile; read it again and retry")
        return stored_assembly(_visible(repository.one(row.id, None), row.id))


#: `(field, mode, capability, what it does)`: the power modes that need a capability of
#: every region's driver.
_MODES = (
    ("restart_mode", "hard", "hard_reboot", "restart instances the hard way"),
    ("stop_mode", "hard", "hard_stop", "stop instances the hard way"),
    ("stop_mode", "suspend", "suspend", "suspend instances"),
)


def _regions(row: Row) -> list[str]:
    """The regions the assembly's instances run in (its placement's, else its own)."""
    return list((row.placement or {}).get("regions") or [row.region_name])


#: The columns of the patchable attributes not named as their column.
_COLUMNS = {"flavor": "flavor_name"}


def patchable(row: Row) -> dict[str, Any]:
    """The current values of an assembly's patchable attributes."""
    return {
        field: list(row.tags) if field == "tags" else getattr(row, _COLUMNS.get(field, field))
        for field in FIELDS
    }


def _visible(row: Row | None, assembly_id: str) -> Row:
    if row is None:
        raise NotFound(f"there is no assembly {assembly_id!r}")
    return row


def _deletable(
    session: Session,
    caller: Caller,
    assembly_id: str,
    expected: Collection[int] | None,
    force: bool,
) -> Row:
    """The assembly, if the caller may delete it at this version (bindings: see `delete`)."""
    row = _visible(AssemblyRepository(session).one(assembly_id, caller.scope), assembly_id)
    _check_version(row, expected)
    bindings.check_unused(session, row.id, force=force)
    return row


def _check_version(row: Row, expected: Collection[int] | None) -> None:
    if expected is not None and row.generation not in expected:
        raise StaleVersion(
            f"the assembly changed since the version you named: it is at generation "
            f"{row.generation}; read it again and retry",
            current=row.generation,
        )
