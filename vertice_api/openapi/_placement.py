"""The OpenAPI schemas of placement across regions: what a declaration names, and what
each region reports in an assembly's status."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    array,
    boolean,
    enum,
    integer,
    nullable,
    obj,
    ref,
    string,
    time,
)
from vertice_api.openapi._resources import record
from vertice_core.model.placement import MAX_REGIONS, PlacementPolicy
from vertice_core.model.status import Phase


def placement_schema() -> Json:
    """`Placement`: in declarations and in assemblies alike."""
    return obj(
        {
            "policy": enum(
                (p.value for p in PlacementPolicy),
                "How a new instance picks its region: `spread` (where the assembly has "
                "fewest), `fallback` (the first that has not refused), `cheapest` (the "
                "flavor's lowest price).",
            ),
            "regions": {
                **array(
                    ref("Name"), "The regions, in order; the first is the assembly's `region`."
                ),
                "minItems": 2,
                "maxItems": MAX_REGIONS,
                "uniqueItems": True,
            },
        },
        ("policy", "regions"),
        description="Instances placed across several regions (hence clouds). An instance "
        "stays where it was placed; a region that refused a create for lack of capacity "
        "or quota takes no new instance for a while.",
    )


def placement_resources() -> dict[str, Json]:
    """The status parts of an assembly with a placement."""
    failure = record(
        {"at": time(), "reason": string(), "message": string()},
        description="A create the region refused for lack of capacity or quota.",
    )
    region = record(
        {
            "region": string(),
            "phase": enum(p.value for p in Phase),
            "reason": string(),
            "message": string(),
            "synced": boolean(),
            "replicas": integer("Instances placed in the region.", minimum=0),
            "ready_replicas": integer(minimum=0),
            "updated_replicas": integer(minimum=0),
            "failed": nullable(ref("PlacementFailure")),
        },
        description="What one region of the assembly reports; `failed` is set while it "
        "takes no new instance.",
    )
    return {"Placement": placement_schema(), "PlacementFailure": failure, "RegionStatus": region}
