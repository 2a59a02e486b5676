"""Component schemas of what the API returns: the documents of `vertice_api.views`.

Every resource starts with the CAMP common attributes; every collection adds
the paging counters and its items. Objects the API builds are closed
(`additionalProperties: false`) and every attribute is required unless
listed as optional, so an attribute added to (or dropped from) a view
without being documented here fails the schemathesis run.
"""

from __future__ import annotations

from collections.abc import Iterable

from vertice_api.openapi._build import (
    Json,
    array,
    boolean,
    enum,
    free_object,
    integer,
    nullable,
    obj,
    ref,
    string,
    time,
)
from vertice_api.views import ASSEMBLY_SOMETIMES, REGION_SOMETIMES, SKEW
from vertice_core.model.assembly import CredentialKind, DesiredState, PowerMode, StopMode
from vertice_core.model.camp import ComponentTag
from vertice_core.model.route import RoutePhase
from vertice_core.model.status import ConditionStatus, EventType, InstanceState, Phase


def record(
    properties: dict[str, Json], optional: Iterable[str] = (), description: str = ""
) -> Json:
    """A closed object whose properties are all present except the `optional` ones."""
    skip = set(optional)
    return obj(properties, [p for p in properties if p not in skip], description=description)


def resource(type_: str, properties: dict[str, Json], optional: Iterable[str] = ()) -> Json:
    """A resource: the CAMP common attributes (`type` is `type_`) and `properties`."""
    common: dict[str, Json] = {
        "uri": string("The resource's URI, relative to the server."),
        "name": string(),
        "type": {"const": type_},
        "description": string(),
        "tags": array(string()),
        "representation_skew": enum(sorted(set(SKEW.values()) | {"NONE"})),
    }
    return record({**common, **properties}, optional)


def collection(type_: str, item: str) -> Json:
    """A CAMP collection of `item` documents: common attributes, paging counters, items."""
    counters = {name: integer(minimum=0) for name in ("total_items", "items_per_page",
                                                      "start_index")}  # fmt: skip
    return resource(type_, {**counters, "items": array(ref(item))})


def _service_parts() -> dict[str, Json]:
    uris = ("assemblies", "plans", "regions", "flavors", "sshkeys", "projects", "users",
            "tokens", "drivers", "openapi")  # fmt: skip
    platform = resource(
        "platform",
        {"specification_version": string(), "implementation_version": string(),
         **{f"{name}_uri": string() for name in uris}},
    )  # fmt: skip
    error = record({"title": string(), "description": string("What is wrong, in words.")})
    problem = record(
        {"path": string("JSON path of the field, such as `$.services[0].name`."),
         "message": string()},
    )  # fmt: skip
    invalid = record(
        {"title": string(), "description": string(), "problems": array(ref("Problem"))}
    )
    health = record(
        {"status": enum(["ok", "unavailable"]),
         "database": string("`ok`, or why the database does not answer."),
         "schema": string("`ok`, or why the database's schema is not the one this server "
                          "needs and what to run (`unknown` while the database does not "
                          "answer).")},
    )  # fmt: skip
    document = obj(
        {"openapi": string(), "info": free_object(), "paths": free_object()},
        ("openapi", "info", "paths"),
        closed=False,
    )
    return {"Error": error, "Problem": problem, "InvalidInputError": invalid, "Health": health,
            "OpenApiDocument": document, "Platform": platform}  # fmt: skip


def _plan_parts() -> dict[str, Json]:
    artifact = record(
        {"name": string(), "description": string(), "artifact_type": string(),
         "content": free_object(), "requirements": array(free_object())},
    )  # fmt: skip
    service = record(
        {"name": string(), "description": string(), "href": string(),
         "characteristics": array(free_object("A `type` and any keys."))},
    )  # fmt: skip
    plan = resource(
        "plan",
        {
            "camp_version": string(),
            "origin": string(),
            "artifacts": array(ref("Artifact")),
            "services": array(ref("Service")),
            "inputs": array(ref("LaunchInput"), "What a launch may or must say."),
            "builtin": boolean("Shipped with vertice."),
            "created_at": time(),
            "updated_at": time(),
        },
    )
    item = record({"uri": string(), "name": string(), "description": string()})
    launch_input = record(
        {"name": string(), "type": enum(["string", "integer", "port", "boolean"]),
         "default": nullable(string()), "secret": boolean(), "generate": boolean(),
         "env": string(), "description": string()},
        description="An input of the plan.",
    )  # fmt: skip
    return {"Artifact": artifact, "Service": service, "Plan": plan, "PlanItem": item,
            "LaunchInput": launch_input,
            "PlanCollection": collection("plan_factory", "PlanItem")}  # fmt: skip


def _status_parts() -> dict[str, Json]:
    condition = record(
        {
            "type": string("`Ready` or `Synced`."),
            "status": enum(s.value for s in ConditionStatus),
            "last_transition_time": time(),
            "reason": string(),
            "message": string(),
        }
    )
    instance = record(
        {
            "key": string(),
            "cloud_id": string(),
            "state": enum(s.value for s in InstanceState),
            "ordinal": integer("The instance's place in the assembly, from 0.", minimum=0),
            "public_ipv4": string(),
            "private_ipv4": string(),
            "access": array(string("`host:port`")),
            "draining": boolean(
                "On its way out (scale down, or replaced): routes no longer send it requests."
            ),
            "ready": boolean(
                "Routes send it requests: it runs, is not draining, and passed its last probe "
                "(if the assembly declares one)."
            ),
            "region": string("The region it was placed in."),
            "revision": nullable(
                integer("Of an assembly built from source: the release it runs.", minimum=0)
            ),
            "flavor": string(
                "The flavor it runs ('' when not known): another flavor patched onto the "
                "assembly is shown here once the instance was resized to it."
            ),
        }
    )
    status = record(
        {
            "phase": enum(p.value for p in Phase),
            "reason": string(),
            "message": string(),
            "conditions": array(ref("Condition")),
            "observed_generation": integer(minimum=0),
            "restarts_done": integer(
                "The restart_count the instances were last restarted for (a restart asked "
                "for is carried out once this reaches it).",
                minimum=0,
            ),
            "instances": array(ref("Instance")),
            "replicas": integer("Instances declared, as the reconciler last saw.", minimum=0),
            "ready_replicas": integer("Instances that are as declared.", minimum=0),
            "updated_replicas": integer("Instances made from the current declaration.", minimum=0),
            "placement": array(
                ref("RegionStatus"), "Of an assembly with a placement: each region's report."
            ),
        }
    )
    event = record(
        {
            "id": integer(minimum=1),
            "time": time(),
            "type": enum(t.value for t in EventType),
            "reason": string(),
            "message": string(),
            "assembly_uri": nullable(string()),
            "region": nullable(string()),
        }
    )
    return {"Condition": condition, "Instance": instance, "AssemblyStatus": status,
            "Event": event, "EventCollection": collection("events", "Event")}  # fmt: skip


def _assembly_parts() -> dict[str, Json]:
    credential = record(
        {
            "kind": enum(k.value for k in CredentialKind),
            "name": string("The stored SSH key's name."),
            "public_key": string(),
            "password_set": boolean("A root password is stored (it is never returned)."),
        },
        optional=("name", "public_key", "password_set"),
        description="The launch credential without its secret.",
    )
    metadata = record(
        {"type_definition": string(), "mutable": array(string()),
         "consumer_mutable": array(string())},
        description="Which attribute paths administrators (`mutable`) and owners "
        "(`consumer_mutable`) may change with PATCH.",
    )  # fmt: skip
    assembly = resource(
        "assembly",
        {
            "id": string(),
            "external_management_resource": string(),
            "plan_uri": string(),
            "region": string(),
            "flavor": string(),
            "project": string(),
            "desired_state": enum(s.value for s in DesiredState),
            "restart_count": integer(minimum=0),
            "restart_mode": enum(
                [m.value for m in PowerMode],
                "How restarts are carried out: `soft` (the system is asked) or `hard` (a power "
                "cycle, where the region's driver claims `hard_reboot`).",
            ),
            "stop_mode": enum(
                [m.value for m in StopMode],
                "How stops are carried out: `soft`, `hard` (powered off or killed without "
                "asking, where the region's driver claims `hard_stop`) or `suspend` (the "
                "memory kept, where it claims `suspend`: observed stopped, and a start "
                "resumes the instances without a boot).",
            ),
            "replicas": integer("How many instances should run (0: scaled to zero).", minimum=0),
            "replace_count": integer(
                "Raise it by one to replace every instance, one at a time (a rolling "
                "replacement: each new instance runs before the old one is drained).",
                minimum=0,
            ),
            "generation": integer(
                "Version of the declared spec (the ETag's first part).", minimum=1
            ),
            "credential": ref("CredentialView"),
            "components": array(ref("Link")),
            "operation_collection": array(free_object()),
            "sensor_collection": array(free_object()),
            "metadata": ref("MetadataView"),
            "metrics_port": nullable(integer("The declared metrics port, if any.", 1)),
            "probe": nullable(ref("Probe")),
            "placement": nullable(ref("Placement")),
            "command": nullable(array(string(), "The declared command, if any.")),
            "args": nullable(array(string(), "The declared arguments, if any.")),
            "env_names": array(
                string(), "The names of the declared environment variables (never their values)."
            ),
            "source": nullable(ref("SourceView")),
            "release": nullable(ref("Release")),
            "inputs": {
                "type": "object",
                "additionalProperties": string(),
                "description": "The values of the plan's inputs that are not secret.",
            },
            "secret_inputs": array(
                string(), "The names of its secret inputs (never their values)."
            ),
            "bindings": array(
                record({"assembly_id": string(), "component": string(), "env": string()}),
                "What it is bound to.",
            ),
            "snapshot": nullable(
                string("The name of the snapshot it was restored from (null: none).")
            ),
            "adopt": nullable(
                obj(
                    {"cloud_id": string("The cloud's id of the instance.")},
                    ("cloud_id",),
                    description="The instance it was declared to adopt (null: none).",
                )
            ),
            "generated_inputs": {
                "type": "object",
                "additionalProperties": string(),
                "description": "Only in the answer that declared the "
                "assembly, or that removed generated inputs in a patch: the secret inputs "
                "vertice generated (shown this once).",
            },
            "status": ref("AssemblyStatus"),
            "events_uri": string(),
            "routes": array(
                ref("RouteInFront"),
                "The routes in front of the assembly, by "
                "hostname and path prefix (in the ETag's second part).",
            ),
            "created_at": time(),
            "updated_at": time(),
        },
        optional=ASSEMBLY_SOMETIMES,
    )
    in_front = record(
        {
            "id": string(),
            "uri": string("The route's own resource (its status, conditions, upstreams)."),
            "hostname": string(),
            "path_prefix": string(),
            "port": integer(minimum=1),
            "url": string("Where clients reach it (the router's URL once served)."),
            "phase": enum([p.value for p in RoutePhase]),
        }
    )
    item = record({"uri": string(), "name": string(), "status": enum(p.value for p in Phase)})
    component = resource(
        "component",
        {
            "tag": enum(t.value for t in ComponentTag),
            "observed": boolean("Its facts come from observing the cloud."),
            "attributes": free_object(
                "Declared attributes, filled with observed facts (`appaccess`: `url` and "
                "`urls` of the routes in front of the assembly)."
            ),
            "assembly_uri": string(),
        },
    )
    return {
        "CredentialView": credential, "MetadataView": metadata,
        "Link": record({"href": string(), "target_name": string()}),
        "Assembly": assembly, "AssemblyItem": item, "RouteInFront": in_front,
        "AssemblyCollection": collection("assembly_factory", "AssemblyItem"),
        "Component": component,
    }  # fmt: skip


def _catalog_parts() -> dict[str, Json]:
    admin_only = "Administrators only."
    region = resource(
        "region",
        {
            "cloud_type": string(),
            "provider_region": string(),
            "endpoint": string(admin_only),
            "settings": free_object(admin_only),
            "credentials_set": array(
                string(), "Administrators only: which credential fields are set (never values)."
            ),
            "created_at": time(admin_only),
            "updated_at": time(admin_only),
        },
        optional=REGION_SOMETIMES,
    )
    flavor = resource(
        "flavor",
        {
            "cpu": integer(minimum=1),
            "ram": integer("MiB", minimum=1),
            "disk": integer("GiB", minimum=0),
            "regions": array(string(), "Regions it is offered in; empty means every region."),
            "price_per_hour": {"type": "number", "minimum": 0},
            "region_prices": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0},
                "description": "Prices per hour by region, where they differ.",
            },
            "stopped_price_per_hour": {"type": "number", "minimum": 0},
            "currency": string(),
        },
    )
    driver = record(
        {
            "name": string(),
            "cloud_type": string(),
            "distribution": string(),
            "version": string(),
            "capabilities": array(string()),
            "description": string(),
            "error": nullable(string("Why the driver cannot be used.")),
        }
    )
    target_group = obj(
        {
            "targets": array(string("`address:port` of the instance's metrics exporter.")),
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        ("targets", "labels"),
    )
    return {
        "PrometheusTargets": array(target_group, "Prometheus' HTTP SD format."),
        "Region": region, "RegionCollection": collection("regions", "Region"),
        "Flavor": flavor, "FlavorCollection": collection("flavors", "Flavor"),
        "Driver": driver, "DriverCollection": collection("drivers", "Driver"),
    }  # fmt: skip


def _tenancy_parts() -> dict[str, Json]:
    ssh_key = resource(
        "sshkey",
        {"public_key": string(), "fingerprint": string(), "project": string(),
         "created_at": time()},
    )  # fmt: skip
    project = resource(
        "project",
        {"id": string("The project's id: it names the project wherever a name is taken, also "
                      "when several projects you can see share its name."),
         "owner": nullable(string("The name of the user who created it (null once deleted). "
                                  "A name is unique among its owner's projects only.")),
         "members": array(string()),
         "invited": array(string("A user name invited to join, who has not accepted yet.")),
         "created_at": time()},
    )  # fmt: skip
    invitation = resource(
        "invitation",
        {"project": string("The project's name."), "user": string("The invited user's name."),
         "invited_by": string(), "created_at": time()},
    )  # fmt: skip
    user = {"admin": boolean(), "projects": array(string()), "created_at": time()}
    token = {"id": string(), "user": string(), "created_at": time(),
             "expires_at": nullable(time())}  # fmt: skip
    secret = {"token": string("The new API token, shown only in this answer.")}
    return {
        "SshKey": ssh_key, "SshKeyCollection": collection("sshkeys", "SshKey"),
        "Project": project, "ProjectCollection": collection("projects", "Project"),
        "Invitation": invitation,
        "InvitationCollection": collection("invitations", "Invitation"),
        "User": resource("user", user), "NewUser": resource("user", {**user, **secret}),
        "UserCollection": collection("users", "User"),
        "Token": resource("token", token), "NewToken": resource("token", {**token, **secret}),
        "TokenCollection": collection("tokens", "Token"),
    }  # fmt: skip


def resource_schemas() -> dict[str, Json]:
    """Every component schema of a response, by name."""
    return {
        **_service_parts(),
        **_plan_parts(),
        **_status_parts(),
        **_assembly_parts(),
        **_catalog_parts(),
        **_tenancy_parts(),
    }
