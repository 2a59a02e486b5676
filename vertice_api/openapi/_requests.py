"""Component schemas of what the API accepts: the model classes as the converter reads them.

The converter rejects unknown fields, so every request object is closed
(`additionalProperties: false`). Constrained scalars follow
`vertice_core.model.types`; checks JSON Schema cannot express (an SSH key's
body, whether a named region exists, a driver's settings) are said in words
and answered with a 422 that names the field.
"""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    array,
    boolean,
    enum,
    integer,
    keyed_object,
    nullable,
    obj,
    ref,
    string,
    text,
    without,
)
from vertice_core.model.assembly import PATCHABLE_PATHS, PowerState
from vertice_core.model.camp import CAMP_VERSIONS, ComponentTag
from vertice_core.model.run import MAX_ARGV, MAX_ENV, MAX_ENV_NAME, MAX_STRING_BYTES
from vertice_core.model.types import (
    CURRENCY_PATTERN,
    ENDPOINT_MAX,
    HEALTH_PATH_MAX,
    LABEL_MAX,
    MAX_INT,
    NAME_PATTERN,
    NAME_RULE,
    PUBLIC_KEY_TYPES,
)
from vertice_core.service.assemblies import MAX_BATCH
from vertice_core.service.resolve import MANAGED_COMPONENTS


def _scalars() -> dict[str, Json]:
    return {
        "Name": string(NAME_RULE, pattern=f"^{NAME_PATTERN.pattern}$"),
        "Tags": {
            "description": "Labels: an array of strings, or one string in the design "
            'document\'s form `"[linux, ubuntu]"`.',
            "anyOf": [array(string()), string()],
        },
        "PublicKey": text(
            "An OpenSSH public key line (`ssh-ed25519 AAAA... comment`) whose base64 body "
            "holds a key of the named type; one of: " + ", ".join(PUBLIC_KEY_TYPES),
        ),
    }


def _plan_input() -> Json:
    artifact = obj(
        {
            "name": text(),
            "description": text(),
            "artifact_type": text(),
            "content": keyed_object(),
            "requirements": array(keyed_object()),
        }
    )
    service = obj(
        {
            "name": text(),
            "description": text(),
            "href": text(),
            "characteristics": array(
                keyed_object(),
                "Objects with a `type` and any keys; the key may also be spelled "
                "`Characteristics`. A `::command` one may hold only `command` and `args`, "
                f"each 1 to {MAX_ARGV} strings of at most {MAX_STRING_BYTES} bytes (else 422).",
            ),
        },
        ("name",),
    )
    plan = obj(
        {
            "name": ref("Name"),
            "camp_version": {
                "description": "Missing or unsupported: 400. YAML's unquoted `1.2` is a number.",
                "enum": [*CAMP_VERSIONS, *(float(v) for v in CAMP_VERSIONS)],
            },
            "description": text(),
            "tags": ref("Tags"),
            "origin": text(),
            "artifacts": array(ref("ArtifactInput")),
            "services": array(ref("ServiceInput")),
            "inputs": array(ref("LaunchInputField"), "What a launch may or must say."),
        },
        ("name", "camp_version"),
        description="A CAMP plan (JSON or YAML). `Tags`, `Services` and `Artifacts` are "
        "accepted for their lower-case keys.",
    )
    launch_input = obj(
        {
            "name": string("A letter, then letters, digits, '.', '_' or '-' (at most 63).",
                           pattern="^[A-Za-z][A-Za-z0-9._-]{0,62}$"),
            "type": {"enum": ["string", "integer", "port", "boolean"]},
            "default": nullable(text("The value when none is given; null: required.")),
            "secret": {"type": "boolean", "description": "Sealed at rest, never returned."},
            "generate": {"type": "boolean",
                         "description": "Of a secret input: made when none is given."},
            "env": text("The variable it reaches; default: the name in capitals."),
            "description": text(),
        },
        ("name",),
    )  # fmt: skip
    return {
        "LaunchInputField": launch_input,
        "ArtifactInput": artifact,
        "ServiceInput": service,
        "PlanInput": plan,
        "PlanReplacement": without(plan, "name"),
    }


def argv(description: str) -> Json:
    """A `command` or `args`: 1 to 64 strings of at most 4096 bytes (UTF-8), not patchable."""
    return {
        **array(text(f"At most {MAX_STRING_BYTES} bytes (UTF-8).", maxLength=MAX_STRING_BYTES)),
        "description": description + " Not patchable.",
        "minItems": 1,
        "maxItems": MAX_ARGV,
    }


def _assembly_input(max_replicas: int) -> Json:
    declarable = [t.value for t in ComponentTag if t not in MANAGED_COMPONENTS]
    component = obj(
        {
            "tag": enum(declarable, "Other components are filled by vertice."),
            "name": text(),
            "description": text(),
            "attributes": keyed_object(),
        },
        ("tag",),
    )
    metadata = obj(
        {
            "type_definition": text(),
            "mutable": array(enum(PATCHABLE_PATHS)),
            "consumer_mutable": array(enum(PATCHABLE_PATHS)),
        },
        description="Which paths administrators (`mutable`) and owners (`consumer_mutable`) "
        "may PATCH; by default every patchable path.",
    )
    credentials = {
        "SshKeyCredential": obj(
            {"kind": {"const": "ssh_key"}, "name": ref("Name")},
            ("kind", "name"),
            description="An SSH key stored in the project (`/v3/sshkeys`).",
        ),
        "SshPublicKeyCredential": obj(
            {"kind": {"const": "ssh_public_key"}, "public_key": ref("PublicKey")},
            ("kind", "public_key"),
        ),
        "RootPasswordCredential": obj(
            {
                "kind": {"const": "root_password"},
                "password": text(
                    "8 to 128 printable characters; encrypted at rest, never returned.",
                    minLength=8,
                    maxLength=128,
                ),
            },
            ("kind", "password"),
        ),
    }
    declaration = obj(
        {
            "name": ref("Name"),
            "plan_uri": string(
                "The plan: `/v3/plan/NAME`, an absolute URI of it, or `NAME`; unknown: a 422 "
                "problem, beside every other wrong reference.",
                pattern=f"^((https?://[A-Za-z0-9.-]+(:[0-9]+)?)?/v3/plan/)?{NAME_PATTERN.pattern}$",
            ),
            "region": nullable(ref("Name")),
            "placement": nullable(ref("Placement")),
            "flavor": ref("Name"),
            "description": text(),
            "tags": ref("Tags"),
            "credential": nullable({"oneOf": [ref(name) for name in credentials]}),
            "components": array(ref("ComponentInput")),
            "desired_state": enum(s.value for s in PowerState),
            "metadata": nullable(ref("MetadataInput")),
            "project": nullable(ref("Name")),
            "metrics_port": nullable(
                integer(
                    "Where the metrics exporter listens (overrides the plan's).", 1, maximum=65535
                )
            ),
            "probe": nullable(ref("Probe")),
            "command": nullable(
                argv(
                    "What the instances run instead of the image's entrypoint (overrides "
                    "the plan's `::command`); given without `args`, it runs with none."
                )
            ),
            "args": nullable(
                argv("The arguments instead of the image's (or the plan's) default ones.")
            ),
            "env": nullable(
                {
                    "type": "object",
                    "description": f"Environment variables, added over the plan's `::env`. "
                    f"At most {MAX_ENV}; values are sealed at rest and never returned "
                    "(reads show `env_names`). Not patchable.",
                    "maxProperties": MAX_ENV,
                    "propertyNames": {
                        "pattern": f"^[A-Za-z_][A-Za-z0-9_]{{0,{MAX_ENV_NAME - 1}}}$"
                    },
                    "additionalProperties": text(maxLength=MAX_STRING_BYTES),
                }
            ),
            "source": nullable(ref("AppSource")),
            "bindings": nullable(
                array(
                    obj(
                        {
                            "assembly": text("An assembly of the same project (another's: 404)."),
                            "component": {"enum": ["databaseinstance", "appaccess"]},
                            "env": text("The variable; default DATABASE_URL, or <NAME>_URL."),
                        },
                        ("assembly", "component"),
                    ),
                    "Other assemblies' components whose values reach the instances (at most 16).",
                )
            ),
            "inputs": nullable(
                {
                    "type": "object",
                    "description": "Values of the plan's inputs "
                    "by name: strings, numbers or booleans (checked against each "
                    "input's type: 422 naming it).",
                }
            ),
            "replicas": integer(
                "How many instances to run (default 1; 0: scaled to zero). At most the "
                "installation's VERTICE_MAX_REPLICAS.",
                0,
                maximum=max_replicas,
            ),
            "snapshot": nullable(
                {
                    **ref("Name"),
                    "description": "Restore a snapshot: its name or id, in the project. The "
                    "instances launch from its image instead of the plan's; it must be "
                    "AVAILABLE and the assembly run in its region only (else 422).",
                }
            ),
            "adopt": nullable(
                obj(
                    {"cloud_id": string("The cloud's id of the instance.", maxLength=255)},
                    ("cloud_id",),
                    description="Take over an instance already running in the region, which "
                    "no installation manages (`vertice adopt REGION` lists them), as the "
                    "assembly's instance instead of creating one: the reconciler tags it once, "
                    "without a restart. Administrators only (else 403); the region's driver "
                    "must claim `adopt` and the assembly have one replica in one region, with "
                    "no snapshot nor source (else 422). An instance another installation "
                    "manages, or that is gone, fails the assembly (reason in its status).",
                )
            ),
        },
        ("name", "plan_uri", "flavor"),
        description="An assembly to declare: in a `region`, or across the regions of a "
        "`placement` (`region` may then be left out; given, it must be the first of them). "
        "The regions and flavor must exist (and the flavor be offered in each region), else 422.",
    )
    patch_path = string(
        "An attribute the assembly's metadata lets the caller change, or a path inside it.",
        pattern="^/(" + "|".join(p.strip("/") for p in PATCHABLE_PATHS) + ")(/.*)?$",
    )
    patch = array(
        {
            "oneOf": [
                obj(
                    {"op": enum(["add", "replace", "test"]), "path": patch_path, "value": {}},
                    ("op", "path", "value"),
                    closed=False,
                ),
                obj({"op": {"const": "remove"}, "path": patch_path}, ("op", "path"), closed=False),
                obj(
                    {"op": enum(["move", "copy"]), "from": patch_path, "path": patch_path},
                    ("op", "from", "path"),
                    closed=False,
                ),
            ]
        },
        "A JSON Patch (RFC 6902) of the assembly's name, description, tags, desired_state "
        "(`running` or `stopped`), restart_count (raise it by one to restart), restart_mode and"
        " stop_mode (`soft`, the default, or `hard`: restarts and stops power the instances off"
        " without asking their system; a 422 naming the capability where a region's driver does"
        " not claim `hard_reboot` or `hard_stop`; stop_mode `suspend` keeps their memory, where"
        " it claims `suspend`, and a start resumes them), replicas (how many instances run: "
        "scale), "
        "replace_count (raise it by one to replace every instance, one at a time), flavor "
        "(another flavor resizes every instance in place, keeping its disk and identity: a 422 "
        "naming the capability and the cloud type where a region's driver does not claim "
        "`resize`, or the flavor is not offered there; quotas count the new flavor) and inputs "
        "(the plan inputs: a secret one reads `<secret>` and keeps its value while it does; a "
        "changed value is checked against the plan, a removed one goes back to its default or, "
        "generated, is generated anew and shown once in the answer; any change replaces every "
        "instance, one at a time, and assemblies bound to it follow). A document that is no "
        "JSON Patch (not an array of objects; an operation without `op` or `path`, or without "
        "the `value` or `from` its `op` needs) is a 400; a patch of a missing assembly is a 404"
        " whatever its body; a failed `test` is a 409 naming the JSON types compared.",
    )
    return {
        "ComponentInput": component,
        "MetadataInput": metadata,
        **credentials,
        "AssemblyDeclaration": declaration,
        **batch_schemas(),
        "JsonPatch": patch,
        "Probe": obj(
            {
                "port": integer("The instances' port to probe.", 1, maximum=65535),
                "path": string(
                    "An HTTP probe's path (a 2xx or 3xx answer passes); '' "
                    "opens a TCP connection instead.",
                    maxLength=HEALTH_PATH_MAX,
                ),
                "interval": {
                    "type": "number",
                    "minimum": 0.1,
                    "maximum": 3600,
                    "description": "Seconds between two probes (default 10).",
                },
                "timeout": {
                    "type": "number",
                    "minimum": 0.1,
                    "maximum": 60,
                    "description": "Seconds a probe may take (default 2).",
                },
                "failure_threshold": integer(
                    "Failures in a row that replace the instance (default 3).", 1, maximum=100
                ),
            },
            ("port",),
            description="How the instances are checked: an instance is ready (routes send "
            "it requests) once its last probe passed, and replaced after `failure_threshold` "
            "failures in a row.",
        ),
    }


def _catalog_input() -> Json:
    region = obj(
        {
            "name": ref("Name"),
            "cloud_type": string(
                "The cloud type of an installed driver (`GET /v3/drivers`); else 422.",
                pattern=f"^{NAME_PATTERN.pattern}$",
            ),
            "provider_region": text("The provider's own region or cluster.", maxLength=LABEL_MAX),
            "endpoint": text("The cloud's API: a URL or host:port.", maxLength=ENDPOINT_MAX),
            "description": text(),
            "settings": keyed_object("Validated against the driver's settings."),
            "credentials": keyed_object(
                "Validated against the driver's credentials; encrypted at rest, never "
                "returned. Omitted on a replace: the stored ones are kept."
            ),
        },
        ("name", "cloud_type"),
    )
    flavor = obj(
        {
            "name": ref("Name"),
            "cpu": integer(minimum=1, maximum=MAX_INT),
            "ram": integer("MiB", minimum=1, maximum=MAX_INT),
            "disk": integer("GiB", minimum=0, maximum=MAX_INT),
            "regions": array(ref("Name"), "Existing regions; empty means every region."),
            "price_per_hour": {"type": "number", "minimum": 0},
            "region_prices": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0},
                "description": "Prices per hour by existing region, where they differ from "
                "`price_per_hour` (what the `cheapest` placement compares).",
            },
            "stopped_price_per_hour": {
                "type": "number",
                "minimum": 0,
                "description": "Charged per hour an instance is observed stopped (default 0).",
            },
            "currency": string(
                "ISO 4217 code (default USD).", pattern=f"^{CURRENCY_PATTERN.pattern}$"
            ),
            "description": text(),
        },
        ("name", "cpu", "ram", "disk"),
    )
    return {
        "RegionInput": region,
        "RegionReplacement": without(region, "name"),
        "FlavorInput": flavor,
        "FlavorReplacement": without(flavor, "name"),
    }


def _tenancy_input() -> Json:
    return {
        "SshKeyInput": obj(
            {"name": ref("Name"), "public_key": ref("PublicKey"), "project": nullable(ref("Name"))},
            ("name", "public_key"),
            description="`project` defaults to the caller's first project.",
        ),
        "ProjectInput": obj(
            {"name": nullable(ref("Name")), "description": text()},
            description="Without a name, a heroku-style one is made up. A name is unique "
            "among its owner's projects only; one of a project id's form (`prj-` and 16 hex "
            "digits) is refused.",
        ),
        "MemberChange": obj({"user": ref("Name")}, ("user",)),
        "UserInput": obj({"name": ref("Name"), "admin": boolean()}, ("name",)),
        "TokenInput": obj(
            {
                "name": text(maxLength=LABEL_MAX),
                "expires_in": nullable(
                    integer("Seconds; null: never.", minimum=1, maximum=MAX_INT)
                ),
                "user": nullable(ref("Name")),
            },
            description="`user` (administrators only) issues the token for another user.",
        ),
    }


def request_schemas(max_replicas: int) -> dict[str, Json]:
    """Every component schema of a request body, by name (`max_replicas`: the bound of an
    assembly's `replicas` in this installation)."""
    return {
        **_scalars(),
        **_plan_input(),
        **_assembly_input(max_replicas),
        **_catalog_input(),
        **_tenancy_input(),
    }


def batch_schemas() -> dict[str, Json]:
    """The body and the answer of `POST /v3/assembly_factory/batch`."""
    declarations = array(
        {"type": "object", "description": "An `AssemblyDeclaration`: one the single POST "
         "would refuse (malformed too) is refused in its place, with the same answer."},
        "Declared in order, each on its own.",
    )  # fmt: skip
    declarations.update(minItems=1, maxItems=MAX_BATCH)
    result = obj(
        {
            "index": integer("The declaration's place in the list (from 0).", 0),
            "status": integer("What `POST /v3/assembly_factory` would have answered.", 201),
            "id": string("Of a stored one."),
            "uri": string("Of a stored one."),
            "name": string("Of a stored one."),
            "generation": integer("Of a stored one.", 1),
            "generated_inputs": {"type": "object", "additionalProperties": string(),
                                 "description": "Of a stored one: secret inputs vertice "
                                                "generated, shown this once."},
            "title": string("Of a refused one."),
            "description": string("Of a refused one: why."),
            "problems": array(ref("Problem"), "Of a 422: every problem."),
        },
        ("index", "status"),
    )  # fmt: skip
    return {
        "AssemblyBatch": obj(
            {"declarations": declarations},
            ("declarations",),
            description=f"At most {MAX_BATCH} declarations, as `POST /v3/assembly_factory` "
            "takes them.",
        ),
        "AssemblyBatchResult": result,
        "AssemblyBatchResults": obj(
            {
                "results": array(ref("AssemblyBatchResult"), "One per declaration, in order."),
                "created": integer("Declarations stored.", 0),
                "refused": integer("Declarations refused.", 0),
            },
            ("results", "created", "refused"),
        ),
    }
