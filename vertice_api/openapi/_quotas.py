"""The OpenAPI pieces of quotas: `/v3/quotas[/{project}[/{region}]]` (issue 13;
`vertice_api.resources.quotas`)."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    integer,
    nullable,
    obj,
    param_ref,
    path_param,
    ref,
    string,
)
from vertice_api.openapi._paths import NAME, Paths, change, remove
from vertice_api.openapi._resources import collection, record, resource
from vertice_core.model.quota import RESOURCES
from vertice_core.model.types import MAX_INT

WHAT = {
    "instances": "instances (replicas)",
    "vcpus": "vCPUs (replicas times the flavor's)",
    "ram": "MiB of RAM (replicas times the flavor's)",
    "disk": "GiB of disk (replicas times the flavor's)",
    "routes": "routes (over all regions only)",
}


def quota_resources() -> dict[str, Json]:
    """A quota, their collection, and what a `PUT` sends."""
    limits = record({r: nullable(integer(WHAT[r], minimum=0)) for r in RESOURCES},
                    description="The limits; null: no limit.")  # fmt: skip
    usage = record({r: integer(WHAT[r], minimum=0) for r in RESOURCES},
                   description="What the project's assemblies declare in the quota's scope "
                   "(those being deleted no longer count).")  # fmt: skip
    quota = resource(
        "quota",
        {
            "project": string(),
            "region": nullable(string("The region it limits; null: all regions together.")),
            "limits": ref("QuotaLimits"),
            "usage": ref("QuotaUsage"),
            "updated_at": nullable(string(format="date-time")),
            "updated_by": string("The administrator who set it last ('' if none is set)."),
        },
    )
    given = obj(
        {r: nullable(integer(WHAT[r], minimum=0, maximum=MAX_INT)) for r in RESOURCES},
        description="The limits to set; a missing or null one is no limit. `routes` only "
        "on a project's quota over all regions.",
    )
    return {"Quota": quota, "QuotaCollection": collection("quotas", "Quota"),
            "QuotaLimits": limits, "QuotaUsage": usage, "QuotaInput": given}  # fmt: skip


def quota_paths(paths: Paths) -> dict[str, Json]:
    """Read the quotas of one's projects; set and lift them (administrators)."""
    project = path_param("project", "The project's name (yours first, then those you are a "
                         "member of; administrators: any) or id.", NAME)  # fmt: skip
    region = path_param("region", "The region the quota limits.", NAME)
    one = {
        "get": paths.get("getQuota", "A project's quota and what it declares", "quotas",
                         "Quota", errors=[404, 409]),
        "put": change("setQuota", "Set a quota (administrators)", "quotas", ref("QuotaInput"),
                      "Quota", errors=[403, 404, 409]),
        "delete": remove("liftQuota", "Lift a quota (administrators)", "quotas",
                         errors=[403, 404, 409]),
    }  # fmt: skip
    return {
        "/v3/quotas": {
            "get": paths.get("listQuotas", "The quotas of the caller's projects (administrators: "
                             "every project's), each with what it declares", "quotas",
                             "QuotaCollection", errors=[404, 409],
                             parameters=[param_ref("project")]),
        },
        "/v3/quotas/{project}": {"parameters": [project], **one},
        "/v3/quotas/{project}/{region}": {
            "parameters": [project, region],
            **{verb: {**op, "operationId": f"{op['operationId']}InRegion"}
               for verb, op in one.items()},
        },
    }  # fmt: skip
