"""The operations and schemas of `/v3/scalers`."""

from __future__ import annotations

from typing import Any

from vertice_api.openapi._build import (
    Json,
    array,
    enum,
    integer,
    nullable,
    obj,
    path_param,
    ref,
    string,
    text,
    time,
)
from vertice_api.openapi._paths import Paths, change, create, remove
from vertice_api.openapi._resources import collection, resource
from vertice_core.model.scaler import QUERY_MAX, STEP_MAX, WINDOW_MAX, TargetType

SCALER_ID = {"type": "string", "pattern": "^scl-[0-9a-f]{16}$"}


def number(description: str = "", **keywords: Any) -> Json:
    """A JSON number schema."""
    schema: Json = {"type": "number", **keywords}
    if description:
        schema["description"] = description
    return schema


def scaler_paths(paths: Paths) -> dict[str, Json]:
    """`/v3/scalers` and `/v3/scalers/{scaler_id}`."""
    project = {"$ref": "#/components/parameters/project"}
    scaler_id = path_param("scaler_id", "The scaler's id.", SCALER_ID)
    return {
        "/v3/scalers": {
            "get": paths.get("listScalers", "The caller's scalers", "scalers",
                             "ScalerCollection", parameters=[project], errors=[404, 409]),
            "post": create("createScaler", "Declare a scaler of an assembly", "scalers",
                           "ScalerInput", "Scaler", errors=[404, 409]),
        },
        "/v3/scalers/{scaler_id}": {
            "parameters": [scaler_id],
            "get": paths.get("getScaler", "Read a scaler", "scalers", "Scaler", errors=[404]),
            "patch": change("changeScaler", "Change some of a scaler's fields", "scalers",
                            ref("ScalerChange"), "Scaler", errors=[404]),
            "delete": remove("deleteScaler", "Delete a scaler (the replicas stay as they are)",
                             "scalers", errors=[404]),
        },
    }  # fmt: skip


def _fields(max_replicas: int) -> dict[str, Json]:
    """The declared fields but `assembly`, `target_type` and `project`."""
    window = {"minimum": 0, "maximum": WINDOW_MAX}
    return {
        "min": integer("The fewest replicas.", minimum=0, maximum=max_replicas),
        "max": integer("The most replicas (at least `min` and 1).", minimum=1,
                       maximum=max_replicas),
        "query": text("PromQL giving one number (one series or a scalar).", minLength=1,
                      maxLength=QUERY_MAX),
        "target": number("The value the scaler aims at.", exclusiveMinimum=0, maximum=1e15),
        "tolerance": number("No change within this share of the target.", minimum=0,
                            exclusiveMaximum=1),
        "scale_up_window": number("Seconds; scaling up takes their lowest recommendation.",
                                  **window),
        "scale_down_window": number("Seconds; scaling down takes their highest "
                                    "recommendation.", **window),
        "cooldown": number("The fewest seconds between two changes.", **window),
        "max_step": integer("The most instances one change adds or removes.", minimum=1,
                            maximum=STEP_MAX),
    }  # fmt: skip


def scaler_requests(max_replicas: int) -> dict[str, Json]:
    """The body of a scaler's declaration and of a change."""
    fields = _fields(max_replicas)
    return {
        "ScalerInput": obj(
            {
                "assembly": text("The name (or id) of an assembly of the scaler's project."),
                **fields,
                "target_type": enum([t.value for t in TargetType],
                                    "`average`: the value is per instance; `total`: for the "
                                    "whole assembly."),
                "project": nullable(ref("Name")),
            },
            ("assembly", "min", "max", "query", "target"),
            description="`project` defaults to the caller's first project.",
        ),
        "ScalerChange": obj(fields, description="The fields to change; the others stay."),
    }  # fmt: skip


def scaler_resources() -> dict[str, Json]:
    """A scaler and the collection of scalers."""
    condition_list = array(ref("Condition"))
    status = obj(
        {
            "observed_generation": integer(minimum=0),
            "value": nullable(number("The metric's last value.")),
            "recommended": nullable(integer("The last raw recommendation.", minimum=0)),
            "replicas": nullable(integer("The replicas the scaler last found or set.",
                                         minimum=0)),
            "last_scale_time": nullable(string("When the scaler last changed the replicas.")),
            "prometheus": string("The Prometheus queried."),
            "conditions": condition_list,
        },
        ("observed_generation", "value", "recommended", "replicas", "last_scale_time",
         "prometheus", "conditions"),
    )  # fmt: skip
    fields = _fields(2**31 - 1)
    scaler = resource(
        "scaler",
        {
            "id": string(pattern=SCALER_ID["pattern"]),
            "project": string(),
            "assembly": string("The assembly's name ('' once it is gone)."),
            "assembly_uri": string(),
            **{name: {k: v for k, v in schema.items() if k != "maximum"}
               for name, schema in fields.items()},
            "target_type": enum([t.value for t in TargetType]),
            "generation": integer(minimum=1),
            "created_at": time(),
            "status": status,
        },
    )  # fmt: skip
    return {"Scaler": scaler, "ScalerCollection": collection("scalers", "Scaler")}
