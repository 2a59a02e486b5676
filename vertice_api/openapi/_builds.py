"""The operations and schemas of `/v3/builds`, and of an assembly's source and release."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    body,
    boolean,
    enum,
    free_object,
    integer,
    nullable,
    obj,
    operation,
    path_param,
    query_param,
    ref,
    response,
    string,
    text,
    time,
)
from vertice_api.openapi._paths import ASSEMBLY_ID, Paths, change, create, remove
from vertice_api.openapi._resources import collection, record, resource
from vertice_core.model.build import BuildState
from vertice_core.service.builds import MAX_LOG_READ
from vertice_core.service.sources import MAX_SECRET

BUILD_ID = {"type": "string", "pattern": "^bld-[0-9a-f]{16}$"}
HOOK_ID = {"type": "string", "pattern": "^whk-[0-9a-f]{16}$"}
NAME_OR_ID = {"type": "string", "minLength": 1, "maxLength": 63}


def build_paths(paths: Paths) -> dict[str, Json]:
    """`/v3/builds`, `/v3/builds/{build_id}`, its `log` and its `cancel`."""
    project = {"$ref": "#/components/parameters/project"}
    assembly = query_param("assembly", "Only the builds of this assembly (name or id).",
                           NAME_OR_ID)  # fmt: skip
    build_id = path_param("build_id", "The build's id.", BUILD_ID)
    count = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    log_text = {
        "description": "The log from `offset`, as plain text.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
        "headers": {
            "X-Next-Offset": {"description": "The offset to read on from.", "schema": count},
            "X-Build-State": {"description": "The build's state now.",
                              "schema": enum(s.value for s in BuildState)},
        },
    }  # fmt: skip
    return {
        "/v3/builds": {
            "get": paths.get("listBuilds", "The caller's newest builds", "builds",
                             "BuildCollection", parameters=[project, assembly],
                             errors=[404, 409]),
            "post": create("requestBuild", "Build an assembly's source (again, or another ref)",
                           "builds", "BuildRequest", "Build", errors=[404, 409]),
        },
        "/v3/builds/{build_id}": {
            "parameters": [build_id],
            "get": paths.get("getBuild", "Read a build", "builds", "Build", errors=[404]),
        },
        "/v3/builds/{build_id}/log": {
            "parameters": [build_id],
            "get": operation(
                "getBuildLog", "A build's log from an offset (follow it while it runs)",
                tag="builds", errors=[404, 422], ok={200: log_text},
                parameters=[
                    query_param("offset", "Characters to skip (the last X-Next-Offset).", count),
                    query_param("limit", "Characters to return at most.",
                                {"type": "integer", "minimum": 1, "maximum": MAX_LOG_READ}),
                ],
            ),
        },
        "/v3/assembly/{assembly_id}/rollback": {
            "parameters": [path_param("assembly_id", "The assembly's id.", ASSEMBLY_ID)],
            "post": change("rollbackAssembly", "Run an earlier successful build's image again",
                           "builds", ref("RollbackRequest"), "Build", errors=[404, 409]),
        },
        "/v3/assembly/{assembly_id}/webhook": {
            "parameters": [path_param("assembly_id", "The assembly's id.", ASSEMBLY_ID)],
            "post": operation(
                "putWebhook", "Make (or rotate) the assembly's push webhook; its secret is in "
                "this answer only (an assembly not built from source: 422)", tag="builds",
                errors=[404, 422], ok={201: response(
                    201, ref("WebhookCreated"), ("Location",))},
            ),
            "get": operation("getWebhook", "The assembly's push webhook (never its secret)",
                             tag="builds", errors=[404], ok={200: response(200, ref("Webhook"))}),
            "delete": remove("deleteWebhook", "Remove the assembly's push webhook", "builds",
                             errors=[404]),
        },
        "/v3/hooks/{hook_id}": {
            "parameters": [path_param("hook_id", "The webhook's id.", HOOK_ID)],
            "post": _signed(operation(
                "deliverPush", "A git host's push delivery (GitHub, GitLab or Gitea), proved "
                "by its signature or token", tag="builds", public=True,
                errors=[404, 409, 413, 422],
                request=body(free_object("The host's push payload.")),
                ok={202: response(202, ref("Delivery"))},
            )),
        },
        "/v3/builds/{build_id}/cancel": {
            "parameters": [build_id],
            "post": operation("cancelBuild", "Cancel a queued build, or stop a running one",
                              tag="builds", errors=[404, 409],
                              ok={200: response(200, ref("Build"))}),
        },
    }  # fmt: skip


def _signed(operation: Json) -> Json:
    """A public operation that proves its sender another way than a token: its 401."""
    responses = dict(operation["responses"])
    responses["401"] = {
        "description": "The delivery carries no valid signature or token for this webhook",
        "content": {"application/json": {"schema": ref("Error")}},
    }
    return {**operation, "responses": dict(sorted(responses.items()))}


def build_requests() -> dict[str, Json]:
    """The body of a build request, and an assembly's declared source."""
    secret = {"minLength": 1, "maxLength": MAX_SECRET}
    return {
        "BuildRequest": obj(
            {"assembly": text("The name (or id) of an assembly built from source."),
             "ref": nullable(text("A branch, tag or commit; default: the source's ref.")),
             "project": nullable(ref("Name"))},
            ("assembly",),
            description="`project` defaults to the caller's first project.",
        ),
        "RollbackRequest": obj(
            {"revision": nullable(integer("A successful build's revision; default: the newest "
                                          "before the current release.", minimum=1))},
        ),
        "AppSource": obj(
            {"url": text("`https://`, `ssh://`, `git://` or `user@host:path` (`file://` and "
                         "`http://` only where the operator allows local sources)."),
             "ref": text("A branch, a tag or a 40-hex commit; empty: the default branch."),
             "subdirectory": text("The folder of the repository to build."),
             "recipe": text("The builder (`dockerfile`, `python`, ...); empty: detected."),
             "token": nullable(text("For HTTPS: `secret` or `user:secret`. Never returned.",
                                    **secret)),
             "deploy_key": nullable(text("For ssh: an OpenSSH private key. Never returned.",
                                         **secret))},
            ("url",),
            description="A git repository the instances' image is built from.",
        ),
    }  # fmt: skip


def build_resources() -> dict[str, Json]:
    """A build, the collection of builds, and an assembly's source and release."""
    moment = nullable(time())
    build = resource(
        "build",
        {
            "id": string(pattern=BUILD_ID["pattern"]),
            "project": string(),
            "assembly": string("The assembly's name ('' once it is gone)."),
            "assembly_uri": string(),
            "revision": integer("Counts the assembly's builds from 1.", minimum=1),
            "region": string("The region whose engine builds it."),
            "url": string(),
            "ref": string(),
            "subdirectory": string(),
            "recipe": string("The recipe asked for ('' : detected)."),
            "state": enum(s.value for s in BuildState),
            "builder": string("The builder that ran."),
            "commit": string("The commit fetched."),
            "image": string("The image made (once it succeeded)."),
            "reason": string(),
            "message": string(),
            "attempts": integer(minimum=0),
            "log_size": integer("Characters of log stored.", minimum=0),
            "log_uri": string(),
            "created_at": moment,
            "started_at": moment,
            "finished_at": moment,
            "duration": nullable({"type": "number", "minimum": 0}),
        },
    )
    source = record(
        {"url": string(), "ref": string(), "subdirectory": string(), "recipe": string(),
         "token_set": boolean("A token is stored (it is never returned)."),
         "deploy_key_set": boolean("A deploy key is stored (it is never returned).")},
        description="The repository the instances' image is built from, without secrets.",
    )  # fmt: skip
    release = record(
        {"revision": integer(minimum=1), "build_id": string(pattern=BUILD_ID["pattern"]),
         "image": string(), "commit": string()},
        description="The build whose image the instances run.",
    )  # fmt: skip
    hook = {
        "id": string(pattern=HOOK_ID["pattern"]),
        "url": string("Where git hosts deliver pushes, relative to the API's URL."),
        "assembly_uri": string(),
        "created_at": moment,
        "deliveries": integer("Verified deliveries so far.", minimum=0),
        "last_delivery_at": moment,
        "last_result": string("What the last verified delivery did."),
    }
    webhook = record(hook)
    created = record({**hook, "secret": string("Give it to the git host; shown only here.")})
    delivery = record(
        {"host": enum(["github", "gitea", "gitlab"]),
         "build": nullable(string("The build the push queued.")),
         "ignored": nullable(string("Why the delivery builds nothing."))},
    )  # fmt: skip
    return {"Build": build, "BuildCollection": collection("builds", "Build"),
            "SourceView": source, "Release": release, "Webhook": webhook,
            "WebhookCreated": created, "Delivery": delivery}  # fmt: skip
