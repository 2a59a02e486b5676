"""The operations and schemas of `/v3/routes`."""

from __future__ import annotations

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
from vertice_api.openapi._paths import Paths, create, remove
from vertice_api.openapi._resources import collection, resource
from vertice_core.model.route import HEALTH_PATH_MAX, PEM_MAX, Balancing, RoutePhase, TlsMode

HOSTNAME = (
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
PATH_PREFIX = r"^((/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+)?$"
ROUTE_ID = {"type": "string", "pattern": "^rte-[0-9a-f]{16}$"}


def route_paths(paths: Paths) -> dict[str, Json]:
    """`/v3/routes` and `/v3/routes/{route_id}`."""
    project = {"$ref": "#/components/parameters/project"}
    route_id = path_param("route_id", "The route's id.", ROUTE_ID)
    return {
        "/v3/routes": {
            "get": paths.get("listRoutes", "The caller's routes", "routes", "RouteCollection",
                             parameters=[project], errors=[404, 409]),
            "post": create("createRoute", "Declare a route to an assembly's port", "routes",
                           "RouteInput", "Route", errors=[404, 409]),
        },
        "/v3/routes/{route_id}": {
            "parameters": [route_id],
            "get": paths.get("getRoute", "Read a route", "routes", "Route", errors=[404]),
            "delete": remove("deleteRoute", "Delete a route (the proxy stops serving it)",
                             "routes", errors=[404]),
        },
    }  # fmt: skip


def route_requests() -> dict[str, Json]:
    """The body of a route's declaration."""
    return {
        "RouteInput": obj(
            {
                "hostname": string("Unique in the installation; lower case.",
                                   pattern=HOSTNAME, maxLength=253),
                "assembly": text("The name (or id) of an assembly of the route's project."),
                "port": integer("The port of the assembly's instances.", minimum=1,
                                maximum=65535),
                "path_prefix": string("'' (every path) or a prefix such as `/api`.",
                                      pattern=PATH_PREFIX, maxLength=200),
                "tls": enum([t.value for t in TlsMode],
                            "`internal`: the proxy's own CA; `provided`: give "
                            "`certificate` and `key`."),
                "balancing": enum([b.value for b in Balancing]),
                "health_check": nullable(ref("HealthCheck")),
                "certificate": text("PEM certificate chain (tls `provided` only; write-only).",
                                    maxLength=PEM_MAX),
                "key": text("PEM private key (tls `provided` only; never returned).",
                            maxLength=PEM_MAX),
                "project": nullable(ref("Name")),
            },
            ("hostname", "assembly", "port"),
            description="`project` defaults to the caller's first project.",
        ),
        "HealthCheck": obj(
            {
                "path": string("Requested of each instance; a 2xx or 3xx answer is healthy.",
                               pattern="^/[^\\s?#*]*$", maxLength=HEALTH_PATH_MAX),
                "interval": {"type": "number", "minimum": 0.1, "maximum": 3600,
                             "description": "Seconds between two checks (default 5)."},
                "timeout": {"type": "number", "minimum": 0.1, "maximum": 60,
                            "description": "Seconds a check may take (default 2)."},
            },
            ("path",),
            description="The proxy's active health check of each instance of a route.",
        ),
    }  # fmt: skip


def route_resources() -> dict[str, Json]:
    """A route and the collection of routes."""
    status = obj(
        {
            "phase": enum([p.value for p in RoutePhase]),
            "message": string(),
            "observed_generation": integer(minimum=0),
            "upstreams": array(string("`host:port` of an instance the proxy sends to.")),
            "router": string("The router (proxy) that serves the route."),
            "conditions": array(ref("Condition")),
        },
        ("phase", "message", "observed_generation", "upstreams", "router", "conditions"),
    )
    route = resource(
        "route",
        {
            "id": string(pattern=ROUTE_ID["pattern"]),
            "project": string(),
            "hostname": string(),
            "path_prefix": string(),
            "assembly_uri": string(),
            "port": integer(minimum=1),
            "tls": enum([t.value for t in TlsMode]),
            "balancing": enum([b.value for b in Balancing]),
            "health_check": nullable(ref("HealthCheck")),
            "url": string("Where the route is reached."),
            "generation": integer(minimum=1),
            "created_at": time(),
            "status": status,
        },
    )
    return {"Route": route, "RouteCollection": collection("routes", "Route")}
