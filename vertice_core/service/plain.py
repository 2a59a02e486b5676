"""An assembly's converter form made straight from its stored row, for the API's GET.

`GET /v3/assembly/{id}` is the API's hottest path. Its document is the converter's
form of the `Assembly` record (`vertice_api.views.assembly`): the read built the
record from the row (`records.assembly_of`: a score of attrs objects, their enums
and date-times) and the converter turned it straight back into dicts, lists and
strings. Measured in one process on 2,000 RUNNING assemblies, the row to the record
took 17.7 µs and the record to its form 12.0 µs, of a GET's 75-95 µs; under wrk a
worker spends about twice that, beside the load generator on the same cores.
`plain_assembly` makes the same form from the row without the record.

It is the record path written a second time, so it is kept equal to it by
`tests/core/service/test_plain.py`: for rows that set every column and every key
of the status the reconciler writes (and the ones it may leave out), the two forms
must be equal; a field added to the record, or to one of its nested records,
shows in the converter's form and fails that test until it is added here. The
parts most assemblies do not have (probe, placement and its per-region status,
source, release, adoption) are made by the record path's own builders and the
converter, so they are written once and cost nothing when absent.

Every other answer with an assembly (a POST, a PATCH, a rehearsal) still goes
through the record: only the read that clients poll takes this path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import cattrs

from vertice_core.convert import format_time
from vertice_core.model.assembly import Adoption, CredentialKind, DesiredState
from vertice_core.model.build import Release
from vertice_core.model.probe import Probe
from vertice_core.service.records import (
    CONDITIONS,
    KINDS,
    STATES,
    RouteInFront,
    Row,
    count_of,
    placement_of,
    region_status,
    routes_in_front,
    source_summary,
    status_version,
)

_UNKNOWN_STATE = "unknown"
_UNKNOWN_CONDITION = "Unknown"
_DELETED = DesiredState.DELETED.value


@attrs.frozen
class PlainAssembly:
    """An assembly as `GET /v3/assembly/{id}` shows it: the converter's form of its
    record (`document`), the names of its components for their links, the version of
    its status and the routes in front of it (as `records.StoredAssembly` has them)."""

    document: dict[str, Any]
    plan: str
    component_names: tuple[str, ...]
    status_version: str
    routes: tuple[RouteInFront, ...] = ()


def plain_stored(converter: cattrs.Converter, row: Row) -> PlainAssembly:
    """The `PlainAssembly` of a row read by `AssemblyViews.one`."""
    routes = routes_in_front(getattr(row, "routes", None))
    components = (row.spec or {}).get("components", [])
    return PlainAssembly(
        plain_assembly(converter, row),
        row.plan_name,
        tuple(c.get("name") or c["tag"] for c in components),
        status_version(row, routes),
        routes,
    )


def plain_assembly(converter: cattrs.Converter, row: Row) -> dict[str, Any]:
    """`converter.unstructure(records.assembly_of(row))`, without the record."""
    spec = row.spec or {}
    rare = converter.unstructure
    release, adopt = spec.get("release"), spec.get("adopt")
    return {
        "id": row.id,
        "name": row.name,
        "project": row.project_name,
        "region": row.region_name,
        "flavor": row.flavor_name,
        "description": row.description,
        "tags": list(row.tags),
        "desired_state": row.desired_state,
        "restart_count": row.restart_count,
        "restart_mode": row.restart_mode,
        "stop_mode": row.stop_mode,
        "replicas": row.replicas,
        "replace_count": row.replace_count,
        "generation": row.generation,
        "credential": _credential(spec.get("credential") or {}),
        "metadata": _metadata(spec.get("metadata") or {}),
        "metrics_port": spec.get("metrics_port"),
        "probe": rare(Probe(**row.probe)) if row.probe else None,
        "placement": rare(placement_of(row.placement)),
        "command": _copy(spec.get("command")),
        "args": _copy(spec.get("args")),
        "env_names": sorted(spec.get("sealed_env") or {}),
        "source": rare(source_summary(spec.get("source"))),
        "release": rare(Release(**release)) if release else None,
        "inputs": dict(spec.get("inputs") or {}),
        "secret_inputs": sorted(spec.get("sealed_inputs") or {}),
        "bindings": [dict(b) for b in spec.get("bindings") or []],
        "snapshot": (spec.get("snapshot") or {}).get("name"),
        "adopt": rare(Adoption(**adopt)) if adopt else None,
        "status": _status(converter, row),
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
    }


def _copy(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(value)


def _credential(stored: Mapping[str, Any]) -> dict[str, Any]:
    """`CredentialSummary`'s form: its kind, and only the fields that are set."""
    kind = KINDS[stored.get("kind", "none")]
    found: dict[str, Any] = {"kind": kind.value}
    if stored.get("key_name"):
        found["name"] = stored["key_name"]
    if stored.get("public_key"):
        found["public_key"] = stored["public_key"]
    if kind is CredentialKind.ROOT_PASSWORD:
        found["password_set"] = bool(stored.get("sealed_password"))
    return found


def _metadata(stored: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type_definition": stored.get("type_definition", ""),
        "mutable": list(stored.get("mutable", [])),
        "consumer_mutable": list(stored.get("consumer_mutable", [])),
    }


def _status(converter: cattrs.Converter, row: Row) -> dict[str, Any]:
    """`records.status_of(row)`'s form (see that function for what each rule means)."""
    stored = row.status or {}
    region = row.region_name
    instances = [_instance(i, region) for i in stored.get("instances", [])]
    desired = row.desired_state
    in_declared_state = sum(1 for i in instances if i["state"] == desired)
    phase, reason, message = row.phase, row.reason, row.message
    if desired == _DELETED and phase != "DELETING":
        was = f"{phase}: {message}" if message else phase
        phase, reason, message = "DELETING", "DeleteRequested", f"deletion requested (it was {was})"
    return {
        "phase": phase,
        "reason": reason,
        "message": message,
        "conditions": [_condition(c, row) for c in stored.get("conditions", [])],
        "observed_generation": row.observed_generation,
        "restarts_done": row.restarts_done,
        "instances": instances,
        "replicas": count_of(stored, "replicas", row.replicas),
        "ready_replicas": count_of(stored, "ready_replicas", in_declared_state),
        "updated_replicas": count_of(stored, "updated_replicas", len(instances)),
        "placement": [converter.unstructure(region_status(p)) for p in stored.get("placement", [])],
    }


def _instance(stored: Mapping[str, Any], region: str) -> dict[str, Any]:
    state = stored.get("state", "")
    draining = stored.get("draining", False) is True
    return {
        "key": stored.get("key", ""),
        "cloud_id": stored.get("cloud_id", ""),
        "state": state if state in STATES else _UNKNOWN_STATE,
        "ordinal": stored.get("ordinal", 0),
        "public_ipv4": stored.get("public_ipv4", ""),
        "private_ipv4": stored.get("private_ipv4", ""),
        "access": list(stored.get("access", [])),
        "draining": draining,
        "ready": state == "running"
        and stored.get("draining") is not True
        and stored.get("ready") is not False,
        "region": stored.get("region") or region,
        "revision": stored.get("revision"),
        "flavor": stored.get("flavor") or "",
    }


def _condition(stored: Mapping[str, Any], row: Row) -> dict[str, Any]:
    status = stored.get("status", "")
    condition = {
        "type": stored.get("type", ""),
        "status": status if status in CONDITIONS else _UNKNOWN_CONDITION,
        "last_transition_time": format_time(datetime.fromisoformat(stored["last_transition_time"])),
        "reason": stored.get("reason", ""),
        "message": stored.get("message", ""),
    }
    if (
        condition["type"] == "Synced"
        and condition["status"] == "True"
        and row.observed_generation < row.generation
    ):  # `records._as_of_spec`: the spec's newest generation is not reconciled yet
        condition.update(
            status="False",
            last_transition_time=format_time(row.updated_at),
            reason="NotObserved",
            message=f"generation {row.generation} is not reconciled yet "
            f"(the last one reconciled is {row.observed_generation})",
        )
    return condition
