"""The operations of the service, plan, assembly and catalog routes, and their helpers.

Each operation lists every status it can answer; `_build.operation` adds the
ones implied by its shape (400, 401, and 413/415/422 for a body). A GET
honours `select_attr`, so it answers a `...Selection` schema: the resource's
attributes, all present unless `select_attr` picks some.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from vertice_api.http import JSON_PATCH, JSON_TYPES, YAML_TYPES
from vertice_api.openapi._build import (
    JSON,
    Json,
    body,
    operation,
    param_ref,
    path_param,
    ref,
    response,
    select_attr,
    string,
)
from vertice_api.openapi._orphans import (
    cascade_param,
    force_param,
    orphan_param,
    orphaned_response,
    retired_response,
    with_disks_param,
    with_snapshots_param,
)
from vertice_api.openapi._rehearsal import dry_run_param, rehearsal_response
from vertice_core.model.types import MAX_INT, NAME_PATTERN

NAME = {"type": "string", "pattern": f"^{NAME_PATTERN.pattern}$"}
ASSEMBLY_ID = {"type": "string", "pattern": "^asm-[0-9a-f]{16}$"}
PAGING = (param_ref("start_index"), param_ref("items_per_page"))
ETAG = ("ETag",)
BATCH_HELP = (
    "Each declaration is declared as `POST /v3/assembly_factory` would, in order, in one "
    "transaction, each in a savepoint of its own: a refused one (a name in use, an unknown "
    "plan, a quota) stores nothing and takes nothing from the others. The answer's `results` "
    "give, in order, the status the single POST would have answered: 201 with the "
    "assembly's id, or the error document. A body that is not such a list is a 422 and "
    "declares nothing; a database failure is the whole request's (503, nothing stored)."
)
SORTS = ("+name", "-name", "+created_at", "-created_at", "+status", "-status")


def selection(name: str) -> str:
    """The name of the GET variant of resource schema `name` (nothing required)."""
    return f"{name}Selection"


def shared_parameters() -> dict[str, Json]:
    """The parameters several operations share, under `components/parameters`."""
    index = {"type": "integer", "minimum": 0, "maximum": MAX_INT}

    def query(name: str, description: str, schema: Json) -> Json:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": schema}  # fmt: skip

    return {
        "start_index": query("start_index", "Index of the first item (0-based).", index),
        "items_per_page": query(
            "items_per_page",
            "Items per page (default 50; larger values are capped at 500).",
            {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        ),
        "after": query("after", "Only events with a larger id (the last one you read).", index),
        "sort": query(
            "sort", "Order of the items (default `+name`).", {"type": "string", "enum": list(SORTS)}
        ),
        "project": query(
            "project",
            "A project of the caller, by name (yours first, then those you are a member of) "
            "or by id; unknown: 404; a name several such projects share: 409.",
            NAME,
        ),
        "user": query("user", "Another user's tokens (administrators only).", NAME),
        "region": query("region", "Only flavors offered in this region; unknown: 422.", NAME),
        "name": query(
            "name",
            "Only the assemblies of this name (none match an invalid name).",
            {"type": "string"},
        ),
        "If-Match": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "Act only if one of these ETags (or `*`) names the assembly's "
            "current spec version (the generation, before the dot); else 412.",
            "schema": string(),
        },
        "If-None-Match": {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "Answer 304 without a body if one of these ETags (or `*`) is the "
            "assembly's current one.",
            "schema": string(),
        },
    }


def create(
    operation_id: str,
    summary: str,
    tag: str,
    given: str,
    answer: str,
    *,
    errors: Iterable[int] = (),
    media_types: Sequence[str] = (JSON,),
    headers: Sequence[str] = (),
    parameters: Sequence[Json] = (),
    also: Mapping[int, Json] | None = None,
) -> Json:
    """A POST of a `given` document that creates a resource: 201 with `Location` (and the
    answers `also` gives, such as a dry run's 200)."""
    return operation(
        operation_id, summary, tag=tag, errors=errors, parameters=parameters,
        request=body(ref(given), media_types),
        ok={201: response(201, ref(answer), ("Location", *headers)), **(also or {})},
    )  # fmt: skip


def change(
    operation_id: str,
    summary: str,
    tag: str,
    given: Json,
    answer: str,
    *,
    errors: Iterable[int] = (),
    media_types: Sequence[str] = (JSON,),
    parameters: Sequence[Json] = (),
    headers: Sequence[str] = (),
    answer_schema: Json | None = None,
) -> Json:
    """A PUT, PATCH or POST of a `given` body that answers 200 with the changed `answer`
    (or, given, `answer_schema`: one of several documents)."""
    schema = answer_schema if answer_schema is not None else ref(answer)
    return operation(
        operation_id, summary, tag=tag, errors=errors, parameters=parameters,
        request=body(given, media_types), ok={200: response(200, schema, headers)},
    )  # fmt: skip


def remove(operation_id: str, summary: str, tag: str, *, errors: Iterable[int] = ()) -> Json:
    """A DELETE that answers 204 without a body."""
    return operation(operation_id, summary, tag=tag, errors=errors, ok={204: response(204)})


class Paths:
    """Builds the operations, knowing the resource schemas (for `select_attr`)."""

    def __init__(self, resources: dict[str, Json]) -> None:
        self.resources = resources

    def get(
        self,
        operation_id: str,
        summary: str,
        tag: str,
        schema: str,
        *,
        errors: Sequence[int] = (),
        parameters: Sequence[Json] = (),
        headers: Sequence[str] = (),
        conditional: bool = False,
    ) -> Json:
        """A GET of the resource `schema`, honouring `select_attr` (and `If-None-Match` when
        `conditional`: a 304 without a body)."""
        attributes = list(self.resources[schema]["properties"])
        ok = {200: response(200, ref(selection(schema)), headers)}
        if conditional:
            ok[304] = response(304, None, headers)
            parameters = [*parameters, param_ref("If-None-Match")]
        return operation(
            operation_id, summary, tag=tag, errors=errors,
            parameters=[*parameters, select_attr(attributes)], ok=ok,
        )  # fmt: skip

    def meta(self) -> dict[str, Json]:
        """`/healthz`, `/metrics`, `/v3/openapi.json`, `/v3/platform`, `/v3/drivers`."""
        health = response(200, ref("Health"), description="The database answers, at the "
                          "schema this server needs.")  # fmt: skip
        exposition = {
            "description": "The metrics of every process, in Prometheus' text format.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
        down = response(503, ref("Health"), description="The database does not answer, or "
                        "its schema is not the one this server needs.")  # fmt: skip
        document = response(200, ref("OpenApiDocument"), description="This document.")
        return {
            "/healthz": {"get": operation("health", "Liveness, database and schema check",
                                          tag="meta", public=True,
                                          ok={200: health, 503: down})},
            "/metrics": {"get": operation("metrics", "Prometheus metrics", tag="meta",
                                          public=True, ok={200: exposition})},
            "/v3/openapi.json": {"get": operation("openapi", "This OpenAPI document", tag="meta",
                                                  public=True, ok={200: document})},
            "/v3/platform": {"get": self.get("getPlatform", "The CAMP platform resource",
                                             "meta", "Platform")},
            "/v3/drivers": {"get": self.get("listDrivers", "Installed drivers (administrators)",
                                            "meta", "DriverCollection", errors=[403])},
            "/v3/sd/prometheus": {"get": operation(
                "prometheusTargets", "Prometheus HTTP service discovery of RUNNING instances",
                tag="meta", ok={200: response(200, ref("PrometheusTargets"))})},
        }  # fmt: skip

    def plans(self) -> dict[str, Json]:
        """`/v3/plan_factory`, `/v3/plan/{name}`: JSON or YAML bodies."""
        types = JSON_TYPES + YAML_TYPES
        return {
            "/v3/plan_factory": {
                "get": self.get("listPlans", "List plans", "plans", "PlanCollection",
                                parameters=PAGING),
                "post": create("createPlan", "Register a plan (administrators)", "plans",
                               "PlanInput", "Plan", errors=[403, 409], media_types=types),
            },
            "/v3/plan/{name}": {
                "parameters": [path_param("name", "The plan's name.", NAME)],
                "get": self.get("getPlan", "Read a plan", "plans", "Plan", errors=[404]),
                "put": change("replacePlan", "Replace a plan (administrators)", "plans",
                              ref("PlanReplacement"), "Plan", errors=[403, 404],
                              media_types=types),
                "delete": remove("deletePlan", "Delete a plan no assembly uses (administrators)",
                                 "plans", errors=[403, 404, 409]),
            },
        }  # fmt: skip

    def assemblies(self) -> dict[str, Json]:
        """`/v3/assembly_factory`, `/v3/assembly/{id}[/events]`, `/v3/component/{id}`."""
        assembly_id = path_param("assembly_id", "The assembly's id.", ASSEMBLY_ID)
        component_id = path_param(
            "component_id",
            "`<assembly id>.<index>`",
            {"type": "string", "pattern": r"^asm-[0-9a-f]{16}\.[0-9]+$"},
        )
        if_match = param_ref("If-Match")
        deleted = response(
            202,
            ref("Assembly"),
            ETAG,
            "Accepted: the assembly is marked deleted; the reconciler removes it from the cloud.",
        )
        return {
            "/v3/assembly_factory": {
                "get": self.get("listAssemblies", "List the caller's assemblies", "assemblies",
                                "AssemblyCollection",
                                parameters=[param_ref("sort"), *PAGING, param_ref("name")]),
                "post": create("declareAssembly", "Declare an assembly from a plan",
                               "assemblies", "AssemblyDeclaration", "Assembly",
                               errors=[403, 404, 409], headers=ETAG,
                               parameters=[dry_run_param()],
                               also={200: rehearsal_response()}),
            },
            "/v3/assembly_factory/batch": {
                "post": operation("declareAssemblies", "Declare many assemblies in one "
                                  "request", tag="assemblies",
                                  request=body(ref("AssemblyBatch"), (JSON,)),
                                  ok={200: response(200, ref("AssemblyBatchResults"))},
                                  description=BATCH_HELP),
            },
            "/v3/assembly/{assembly_id}": {
                "parameters": [assembly_id],
                "get": self.get("getAssembly", "Read an assembly", "assemblies", "Assembly",
                                errors=[404], headers=ETAG, conditional=True),
                "patch": change("patchAssembly", "Change name, description, tags, desired "
                                "state, restarts, replicas or flavor (resize)", "assemblies",
                                ref("JsonPatch"), "Assembly",
                                errors=[403, 404, 409, 412], media_types=(JSON_PATCH,),
                                parameters=[if_match, dry_run_param()], headers=ETAG,
                                answer_schema={"oneOf": [ref("Assembly"), ref("Rehearsal")]}),
                "delete": operation("deleteAssembly", "Delete an assembly (any phase)",
                                    tag="assemblies",
                                    parameters=[if_match, orphan_param(), force_param(),
                                                with_snapshots_param(), with_disks_param()],
                                    errors=[404, 409, 412, 422],
                                    ok={202: deleted, 200: orphaned_response()}),
            },
            "/v3/assembly/{assembly_id}/events": {
                "parameters": [assembly_id],
                "get": self.get("listEvents", "Events of an assembly, oldest first",
                                "assemblies", "EventCollection", errors=[404],
                                parameters=[param_ref("after"), param_ref("items_per_page")]),
            },
            "/v3/assembly/{assembly_id}/plan": {
                "parameters": [assembly_id],
                "get": operation("getAssemblyPlan", "What the next reconcile pass would do, "
                                 "and why", tag="assemblies", errors=[404],
                                 ok={200: response(200, ref("AssemblyPlan"))}),
            },
            "/v3/component/{component_id}": {
                "parameters": [component_id],
                "get": self.get("getComponent", "Read a component of an assembly",
                                "assemblies", "Component", errors=[404]),
            },
        }  # fmt: skip

    def catalog(self) -> dict[str, Json]:
        """`/v3/regions[/{name}]`, `/v3/flavors[/{name}]`: everyone reads, admins write."""
        paths: dict[str, Json] = {}
        for plural, kind in (("regions", "Region"), ("flavors", "Flavor")):
            title = kind.lower()
            listing = [param_ref("region")] if plural == "flavors" else []
            # Changing a region's cloud type while assemblies use it is a conflict.
            replace_errors = [403, 404, 409] if plural == "regions" else [403, 404]
            paths[f"/v3/{plural}"] = {
                "get": self.get(f"list{kind}s", f"List {plural}", plural, f"{kind}Collection",
                                parameters=listing, errors=[422] if listing else []),
                "post": create(f"create{kind}", f"Create a {title} (administrators)", plural,
                               f"{kind}Input", kind, errors=[403, 409]),
            }  # fmt: skip
            paths[f"/v3/{plural}/{{name}}"] = {
                "parameters": [path_param("name", f"The {title}'s name.", NAME)],
                "get": self.get(f"get{kind}", f"Read a {title}", plural, kind, errors=[404]),
                "put": change(f"replace{kind}", f"Replace a {title} (administrators)", plural,
                              ref(f"{kind}Replacement"), kind, errors=replace_errors),
                "delete": _delete_named(kind, title, plural),
            }  # fmt: skip
        return paths


def _delete_named(kind: str, title: str, plural: str) -> Json:
    """The DELETE of a region or a flavor; a region's may cascade (`cascade=orphan`)."""
    summary = f"Delete a {title} no assembly uses (administrators)"
    if kind != "Region":
        return remove(f"delete{kind}", summary, plural, errors=[403, 404, 409])
    return operation(
        f"delete{kind}", summary, tag=plural, errors=[403, 404, 409],
        parameters=[cascade_param()], ok={204: response(204), 200: retired_response()},
    )  # fmt: skip
