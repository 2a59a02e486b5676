"""`document()`: the OpenAPI 3.1 document, assembled from paths and components."""

from __future__ import annotations

from typing import Any

from vertice_api.openapi._accounts import accounts, tenancy
from vertice_api.openapi._billing import billing_paths, billing_resources
from vertice_api.openapi._build import ERROR_RESPONSES, JSON, REASONS, Json, ref, string
from vertice_api.openapi._builds import build_paths, build_requests, build_resources
from vertice_api.openapi._disks import disk_paths, disk_requests, disk_resources
from vertice_api.openapi._links import with_links
from vertice_api.openapi._orphans import orphan_resources
from vertice_api.openapi._paths import Paths, selection, shared_parameters
from vertice_api.openapi._placement import placement_resources
from vertice_api.openapi._quotas import quota_paths, quota_resources
from vertice_api.openapi._rehearsal import rehearsal_resources
from vertice_api.openapi._requests import request_schemas
from vertice_api.openapi._resources import resource_schemas
from vertice_api.openapi._routes import route_paths, route_requests, route_resources
from vertice_api.openapi._scalers import scaler_paths, scaler_requests, scaler_resources
from vertice_api.openapi._snapshots import snapshot_paths, snapshot_requests, snapshot_resources
from vertice_core import __version__
from vertice_core.config import DEFAULT_MAX_REPLICAS

DESCRIPTION = """\
vertice declares what should run where (CAMP 1.2 plans and assemblies) and keeps
the clouds matching. Every route except `/healthz` and this document needs a
bearer token (`Authorization: Bearer vt_...`). Errors are JSON objects with a
`title` and a `description`; a 422 adds `problems`, each naming a field by its
JSON path. Request bodies are at most 1 MiB.
"""


#: The groups of operations, in the order of `app.routes`.
TAGS = ("meta", "plans", "assemblies", "regions", "flavors", "routes", "scalers", "snapshots",
        "disks", "builds", "sshkeys", "projects", "users", "tokens", "quotas",
        "billing")  # fmt: skip


def _selections(resources: dict[str, Json]) -> dict[str, Json]:
    """The GET variants of the resource schemas: same attributes, none required."""
    variants = {}
    for name, schema in resources.items():
        # Resources and collections: the objects with a CAMP `type` (what a GET answers).
        if "const" in schema.get("properties", {}).get("type", {}):
            variant = {k: v for k, v in schema.items() if k != "required"}
            variant["description"] = (
                f"A {name}: every attribute, or only those `select_attr` names."
            )
            variants[selection(name)] = variant
    return variants


def _error_responses() -> dict[str, Json]:
    answers = {}
    for status, name in ERROR_RESPONSES.items():
        schema = ref("InvalidInputError") if status == 422 else ref("Error")
        answer: Json = {"description": REASONS[status], "content": {JSON: {"schema": schema}}}
        if status == 401:
            answer["headers"] = {
                "WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}
            }
        if status == 429:
            answer["headers"] = {
                "Retry-After": {
                    "description": "Seconds until requests are accepted again.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        answers[name] = answer
    return answers


def _headers() -> dict[str, Json]:
    return {
        "Location": {
            "description": "The URI of the new resource.",
            "required": True,
            "schema": string(),
        },
        "ETag": {
            "description": "The assembly's version: its spec version (the generation), a dot, "
            "and its status version. It changes whenever the document does; send it back as "
            "If-None-Match to get a 304 while nothing changed, or as If-Match to change the "
            "spec only if nobody else did (only the generation is compared).",
            "required": True,
            "schema": string(pattern='^"[0-9]+\\.[0-9a-f]+"$'),
        },
        "WWW-Authenticate": {"description": "`Bearer`", "required": True, "schema": string()},
    }


def _paths(resources: dict[str, Json]) -> dict[str, Json]:
    """Every path of the API and its operations, in the order of `app.routes`."""
    builder = Paths(resources)
    return {
        **builder.meta(),
        **builder.plans(),
        **builder.assemblies(),
        **builder.catalog(),
        **route_paths(builder),
        **scaler_paths(builder),
        **snapshot_paths(builder),
        **disk_paths(builder),
        **build_paths(builder),
        **tenancy(builder),
        **accounts(builder),
        **quota_paths(builder),
        **billing_paths(),
    }


def document(max_replicas: int = DEFAULT_MAX_REPLICAS) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API (of an installation whose assemblies may run at
    most `max_replicas` instances)."""
    resources = {
        **resource_schemas(),
        **route_resources(),
        **scaler_resources(),
        **snapshot_resources(),
        **disk_resources(),
        **build_resources(),
        **placement_resources(),
        **orphan_resources(),
        **rehearsal_resources(),
        **quota_resources(),
        **billing_resources(),
    }
    schemas = {
        **resources,
        **_selections(resources),
        **request_schemas(max_replicas),
        **route_requests(),
        **scaler_requests(max_replicas),
        **snapshot_requests(),
        **disk_requests(),
        **build_requests(),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "vertice", "version": __version__, "description": DESCRIPTION},
        "security": [{"bearer": []}],
        "tags": [{"name": tag} for tag in TAGS],
        "paths": with_links(_paths(resources)),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`vt_...`) from `vertice init`, "
                    "`vertice users create` or `POST /v3/tokens`.",
                },
            },
            "schemas": dict(sorted(schemas.items())),
            "parameters": shared_parameters(),
            "responses": _error_responses(),
            "headers": _headers(),
        },
    }
