"""Stored assembly rows as the domain's typed records, and the version of what they show.

A row of the assemblies table (with its project's name) becomes an `Assembly`
record: the spec without its secrets and the status the reconciler wrote.
Status documents are read leniently: a key the reconciler did not write yet
takes its default, and the replica counts of a status written before
replicas existed are computed from its instances list (`ready_replicas`: the
instances in the declared power state; `updated_replicas`: every instance
listed, since nothing was ever replaced in place before). Until a status is
written, `replicas` is the declared number and the other counts are 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import cattrs
import orjson

from vertice_core.convert import structure, unstructure
from vertice_core.model.assembly import (
    Adoption,
    Assembly,
    AssemblySpec,
    CredentialKind,
    CredentialSummary,
    DesiredState,
    PowerMode,
    StopMode,
)
from vertice_core.model.build import Release, SourceSummary
from vertice_core.model.camp import Component, ComponentTag, Metadata
from vertice_core.model.placement import Placement, PlacementPolicy
from vertice_core.model.probe import Probe
from vertice_core.model.route import TlsMode
from vertice_core.model.status import (
    AssemblyStatus,
    Condition,
    ConditionStatus,
    InstanceState,
    InstanceView,
    Phase,
    PlacementFailure,
    RegionStatus,
)
from vertice_core.model.types import Name
from vertice_core.store.repositories.views import RECORD, UNIT

#: The columns of the assemblies table as the store returns them (with `project_name`).
Row = Any

# Enum members by value: a dict lookup costs a tenth of calling the enum, and every read
# of an assembly (the API's hottest path) makes a dozen of them.
STATES = {state.value: state for state in InstanceState}
_TAGS = {tag.value: tag for tag in ComponentTag}
_PHASES = {phase.value: phase for phase in Phase}
_DESIRED = {state.value: state for state in DesiredState}
KINDS = {kind.value: kind for kind in CredentialKind}
CONDITIONS = {status.value: status for status in ConditionStatus}


@attrs.frozen
class RouteInFront:
    """A route in front of an assembly, as the assembly's document shows it."""

    id: str
    hostname: str
    path_prefix: str
    port: int
    url: str
    phase: str


@attrs.frozen
class StoredAssembly:
    """An assembly as read, with the version of its status (it changes whenever what the
    status shows does, the routes in front of it included), so that a reader can tell
    whether anything changed since."""

    assembly: Assembly
    status_version: str
    #: By hostname and path prefix.
    routes: tuple[RouteInFront, ...] = ()
    #: Of the answer that declared the assembly (or that patched generated inputs away): the
    #: secret inputs vertice generated, by name (shown this once; never stored in the clear).
    generated: Mapping[str, str] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Declared:
    """An assembly just declared: its stored columns, its project's name and the secret
    inputs generated for it. Its record (`stored()`) is made when asked, after the
    transaction if the caller likes: a SQLite file's other writers wait while the
    transaction is open, and a batch's answer needs only the row's id, name and
    generation."""

    row: Row
    project: str
    generated: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    def stored(self) -> StoredAssembly:
        """The record, as a read of the assembly would give it, with the generated inputs."""
        return attrs.evolve(stored_assembly(self.row, self.project), generated=self.generated)


def stored_assembly(row: Row, project: str | None = None) -> StoredAssembly:
    """The record of a stored row (its project's name from `project`, else the row).

    A row read by `AssemblyViews.one` carries the routes in front of the assembly
    (`routes`); a row without that column is taken to have none.
    """
    routes = routes_in_front(getattr(row, "routes", None))
    return StoredAssembly(assembly_of(row, project), status_version(row, routes), routes)


def status_version(row: Row, routes: Sequence[RouteInFront] = ()) -> str:
    """A short digest of everything the status shows that the reconciler may change.

    `status_digest` covers the status document; the phase is also moved on its own
    (when a create is marked), and the conditions' flags and transition times and
    `observed_generation` and `restarts_done` are columns of their own. The routes in
    front of the assembly are shown with it, so they are part of the version too.
    """
    state = (row.phase, row.observed_generation, row.restarts_done, row.status_digest,
             row.ready, row.ready_since, row.synced, row.synced_since, tuple(routes))  # fmt: skip
    return hashlib.blake2b(repr(state).encode(), digest_size=6).hexdigest()


def route_url(status: Mapping[str, Any], tls: str, hostname: str, path_prefix: str) -> str:
    """Where a route is reached: the URL its router gave once it served it, else the
    default port's URL of its scheme."""
    given = status.get("url")
    if isinstance(given, str) and given:
        return given
    scheme = "http" if tls == TlsMode.OFF.value else "https"
    return f"{scheme}://{hostname}{path_prefix or '/'}"


def routes_in_front(text: str | None) -> tuple[RouteInFront, ...]:
    """The routes of the `routes` string `AssemblyViews.one` reads (see its module)."""
    if not text:
        return ()
    found = []
    for record in text.split(RECORD):
        route_id, hostname, path_prefix, port, tls, phase, status = record.split(UNIT)
        url = route_url(orjson.loads(status) or {}, tls, hostname, path_prefix)
        found.append(RouteInFront(route_id, hostname, path_prefix, int(port), url, phase))
    return tuple(sorted(found, key=lambda r: (r.hostname, r.path_prefix, r.id)))


def assembly_of(row: Row, project: str | None = None) -> Assembly:
    """The `Assembly` record of a stored row."""
    spec = row.spec or {}
    return Assembly(
        id=row.id,
        name=row.name,
        project=row.project_name if project is None else project,
        plan=row.plan_name,
        region=row.region_name,
        flavor=row.flavor_name,
        description=row.description,
        tags=list(row.tags),
        desired_state=_DESIRED[row.desired_state],
        restart_count=row.restart_count,
        restart_mode=PowerMode(row.restart_mode),
        stop_mode=StopMode(row.stop_mode),
        replicas=row.replicas,
        replace_count=row.replace_count,
        generation=row.generation,
        credential=credential_summary(spec.get("credential") or {}),
        components=components_of(spec),
        metadata=_metadata(spec.get("metadata") or {}),
        metrics_port=spec.get("metrics_port"),
        probe=Probe(**row.probe) if row.probe else None,
        placement=placement_of(row.placement),
        command=spec.get("command"),
        args=spec.get("args"),
        env_names=sorted(spec.get("sealed_env") or {}),
        source=source_summary(spec.get("source")),
        release=Release(**spec["release"]) if spec.get("release") else None,
        inputs=dict(spec.get("inputs") or {}),
        secret_inputs=sorted(spec.get("sealed_inputs") or {}),
        bindings=[dict(b) for b in spec.get("bindings") or []],
        snapshot=(spec.get("snapshot") or {}).get("name"),
        adopt=Adoption(**spec["adopt"]) if spec.get("adopt") else None,
        status=status_of(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def source_summary(stored: Mapping[str, Any] | None) -> SourceSummary | None:
    """A stored source without its secrets: whether each is set."""
    if not stored:
        return None
    return SourceSummary(
        url=stored["url"],
        ref=stored.get("ref", ""),
        subdirectory=stored.get("subdirectory", ""),
        recipe=stored.get("recipe", ""),
        token_set=bool(stored.get("sealed_token")),
        deploy_key_set=bool(stored.get("sealed_deploy_key")),
    )


def placement_of(stored: Mapping[str, Any] | None) -> Placement | None:
    """The declared placement of a row's `placement` column (None: none declared)."""
    if not stored:
        return None
    return Placement(PlacementPolicy(stored["policy"]), [Name(r) for r in stored["regions"]])


def credential_summary(stored: Mapping[str, Any]) -> CredentialSummary:
    """The launch credential without its secret: its kind, and the key if one."""
    kind = KINDS[stored.get("kind", "none")]
    return CredentialSummary(
        kind=kind,
        name=stored.get("key_name") or None,
        public_key=stored.get("public_key") or None,
        password_set=bool(stored.get("sealed_password"))
        if kind is CredentialKind.ROOT_PASSWORD
        else None,
    )


def components_of(spec: Mapping[str, Any]) -> list[Component]:
    """The components of a stored spec, in their stored order."""
    return [
        Component(
            _TAGS[c["tag"]], c.get("name", ""), c.get("description", ""), c.get("attributes") or {}
        )
        for c in spec.get("components", [])
    ]


def _metadata(stored: Mapping[str, Any]) -> Metadata:
    return Metadata(
        type_definition=stored.get("type_definition", ""),
        mutable=list(stored.get("mutable", [])),
        consumer_mutable=list(stored.get("consumer_mutable", [])),
    )


def status_of(row: Row) -> AssemblyStatus:
    """The observed status of a stored row (see the module's note on missing counts)."""
    stored = row.status or {}
    instances = [_instance(i, row.region_name) for i in stored.get("instances", [])]
    in_declared_state = sum(1 for i in instances if i.state.value == row.desired_state)
    phase, reason, message = _PHASES[row.phase], row.reason, row.message
    if row.desired_state == DesiredState.DELETED.value and phase is not Phase.DELETING:
        # Asked to go: DELETING at once, even while no pass reaches the cloud (issue 16).
        phase = Phase.DELETING
        was = f"{row.phase}: {row.message}" if row.message else row.phase
        reason, message = "DeleteRequested", f"deletion requested (it was {was})"
    return AssemblyStatus(
        phase=phase,
        reason=reason,
        message=message,
        conditions=[_as_of_spec(_condition(c), row) for c in stored.get("conditions", [])],
        observed_generation=row.observed_generation,
        restarts_done=row.restarts_done,
        instances=instances,
        replicas=count_of(stored, "replicas", row.replicas),
        ready_replicas=count_of(stored, "ready_replicas", in_declared_state),
        updated_replicas=count_of(stored, "updated_replicas", len(instances)),
        placement=[region_status(p) for p in stored.get("placement", [])],
    )


def _as_of_spec(condition: Condition, row: Row) -> Condition:
    """`Synced` is not True while the reconciler has not seen the spec's newest generation:
    the stored condition says the cloud matched the spec as it was (issue 16)."""
    if (
        condition.type != "Synced"
        or condition.status is not ConditionStatus.TRUE
        or row.observed_generation >= row.generation
    ):
        return condition
    return attrs.evolve(
        condition,
        status=ConditionStatus.FALSE,
        last_transition_time=row.updated_at,
        reason="NotObserved",
        message=f"generation {row.generation} is not reconciled yet "
        f"(the last one reconciled is {row.observed_generation})",
    )


def region_status(stored: Mapping[str, Any]) -> RegionStatus:
    """One region's entry of a placed assembly's status, as the reconciler wrote it."""
    failed = stored.get("failed")
    return RegionStatus(
        region=stored.get("region", ""),
        phase=_PHASES.get(stored.get("phase", ""), Phase.PENDING),
        reason=stored.get("reason", ""),
        message=stored.get("message", ""),
        synced=stored.get("synced") is not False,
        replicas=count_of(stored, "replicas", 0),
        ready_replicas=count_of(stored, "ready_replicas", 0),
        updated_replicas=count_of(stored, "updated_replicas", 0),
        failed=PlacementFailure(
            at=datetime.fromtimestamp(failed.get("at", 0), UTC),
            reason=failed.get("reason", ""),
            message=failed.get("message", ""),
        )
        if isinstance(failed, Mapping)
        else None,
    )


def count_of(stored: Mapping[str, Any], key: str, otherwise: int) -> int:
    """The count `stored[key]`, or `otherwise` where it is missing or not an integer."""
    value = stored.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else otherwise


def _instance(stored: Mapping[str, Any], region: str) -> InstanceView:
    return InstanceView(
        key=stored.get("key", ""),
        cloud_id=stored.get("cloud_id", ""),
        state=STATES.get(stored.get("state", ""), InstanceState.UNKNOWN),
        ordinal=stored.get("ordinal", 0),
        public_ipv4=stored.get("public_ipv4", ""),
        private_ipv4=stored.get("private_ipv4", ""),
        access=list(stored.get("access", [])),
        draining=stored.get("draining", False) is True,
        ready=stored.get("state") == "running"
        and stored.get("draining") is not True
        and stored.get("ready") is not False,
        region=stored.get("region") or region,
        revision=stored.get("revision"),
        flavor=stored.get("flavor") or "",
    )


def _condition(stored: Mapping[str, Any]) -> Condition:
    return Condition(
        type=stored.get("type", ""),
        status=CONDITIONS.get(stored.get("status", ""), ConditionStatus.UNKNOWN),
        last_transition_time=datetime.fromisoformat(stored["last_transition_time"]),
        reason=stored.get("reason", ""),
        message=stored.get("message", ""),
    )


def spec_of(
    converter: cattrs.Converter, row: Row, document: Mapping[str, Any] | None = None
) -> AssemblySpec:
    """The `AssemblySpec` of a stored row (what admission hooks see), with `document` as
    its spec document when given (a change about to be stored)."""
    return structure(
        converter,
        {
            **(row.spec if document is None else document),
            "plan": row.plan_name,
            "region": row.region_name,
            "flavor": row.flavor_name,
            "desired_state": row.desired_state,
            "restart_count": row.restart_count,
            "restart_mode": row.restart_mode,
            "stop_mode": row.stop_mode,
            "replicas": row.replicas,
            "replace_count": row.replace_count,
            "probe": row.probe,
            "placement": row.placement,
        },
        AssemblySpec,
    )


#: What the `spec` column holds (older rows may lack the later keys: readers use `.get`).
SPEC_DOCUMENT_KEYS = (
    "components",
    "credential",
    "metadata",
    "metrics_port",
    "command",
    "args",
    "sealed_env",
    "source",
    "release",
    "inputs",
    "sealed_inputs",
    "bindings",
    "snapshot",
    "adopt",
)


#: The keys of the spec document left out when empty (older rows have none of them).
_LEFT_OUT_EMPTY = ("source", "release", "inputs", "sealed_inputs", "bindings", "snapshot", "adopt")


def stored_spec(converter: cattrs.Converter, spec: AssemblySpec) -> dict[str, Any]:
    """The `spec` column of an assembly: components, credential, metadata, metrics port,
    command, args, sealed env, source, release, inputs, bindings, the snapshot it was
    restored from and the instance it adopts (the rest of the spec has columns of its
    own)."""
    document = unstructure(converter, spec)
    return {k: document[k] for k in SPEC_DOCUMENT_KEYS if document[k] or k not in _LEFT_OUT_EMPTY}
