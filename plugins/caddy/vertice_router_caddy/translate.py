"""Route specs to Caddy JSON and back: pure functions, no I/O.

What vertice writes for one route:

* a route object in server `vertice_http` (tls `off`) or `vertice_https`
  (tls `internal`/`provided`), tagged `@id` `vertice_<installation>_<route id>`:
  a `reverse_proxy` over the upstreams that retries unreachable upstreams on
  another for `TRY_DURATION`, checks them passively and, when the route says
  so, actively (or a 503 `static_response` without upstreams);
* for tls `internal`, an automation policy for the hostname with the
  `internal` issuer; for tls `provided`, a `load_pem` certificate; either is
  tagged `@id` `vertice_<installation>_<route id>_tls`.

The fingerprint is a digest of the canonical JSON of those objects and the
server's name. Caddy returns objects as it was given them (keys sorted), so
the same digest of what `GET /config/` shows equals the fingerprint exactly
when the proxy serves the spec.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs

from vertice_core.router import Balancing, HealthCheck, RouteSpec, TlsMode

#: How long a request is tried on other upstreams when its upstream cannot be reached.
TRY_DURATION = "5s"
TRY_INTERVAL = "20ms"
#: How long an upstream a request could not reach gets no requests.
FAIL_DURATION = "10s"
HTTP_SERVER = "vertice_http"
HTTPS_SERVER = "vertice_https"
SERVERS = (HTTP_SERVER, HTTPS_SERVER)
TLS_SUFFIX = "_tls"
#: Kinds of TLS objects: where each lives in Caddy's configuration.
POLICY = "policy"
CERTIFICATE = "certificate"
TLS_PATHS = {
    POLICY: ("apps", "tls", "automation", "policies"),
    CERTIFICATE: ("apps", "tls", "certificates", "load_pem"),
}


@attrs.frozen
class Written:
    """Everything vertice keeps in Caddy for one route (None: not there)."""

    server: str | None
    route: dict[str, Any] | None
    tls_kind: str | None = None
    tls: dict[str, Any] | None = None

    def digest(self) -> str:
        """The fingerprint: a digest of the canonical JSON of the objects."""
        document = {"server": self.server, "route": self.route, "tls": self.tls}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def prefix(installation: str) -> str:
    """The start of the `@id` of every object of the installation."""
    return f"vertice_{installation}_"


def route_tag(installation: str, route_id: str) -> str:
    return f"{prefix(installation)}{route_id}"


def tls_tag(installation: str, route_id: str) -> str:
    return f"{route_tag(installation, route_id)}{TLS_SUFFIX}"


def path_matcher(path_prefix: str) -> list[str]:
    """Caddy path patterns for a prefix: `/api` matches `/api` and `/api/...`, not `/apix`."""
    bare = path_prefix.rstrip("/")
    return [bare, f"{bare}/*"] if bare else []


def route_object(spec: RouteSpec, installation: str) -> dict[str, Any]:
    """The route object of `spec`: match the host (and path), proxy to the upstreams."""
    match: dict[str, Any] = {"host": [spec.hostname]}
    paths = path_matcher(spec.path_prefix)
    if paths:
        match["path"] = paths
    handler: dict[str, Any]
    if spec.upstreams:
        handler = {
            "handler": "reverse_proxy",
            "upstreams": [{"dial": address} for address in spec.upstreams],
            "load_balancing": {
                "selection_policy": {"policy": _policy(spec.balancing)},
                # A request whose upstream cannot be reached (an instance that just died,
                # or has not started listening) is tried on another for this long.
                "try_duration": TRY_DURATION,
                "try_interval": TRY_INTERVAL,
            },
            "health_checks": _health_checks(spec.health_check),
        }
    else:
        handler = {"handler": "static_response", "status_code": 503, "body": "no upstream\n"}
    return {
        "@id": route_tag(installation, spec.id),
        "match": [match],
        "handle": [handler],
        "terminal": True,
    }


def _duration(seconds: float) -> str:
    """Seconds as a Go duration string (what Caddy's JSON takes and gives back)."""
    return f"{round(seconds * 1000)}ms"


def _health_checks(check: HealthCheck | None) -> dict[str, Any]:
    """Passive checks always (an upstream a request could not reach is left out for
    `FAIL_DURATION`); active ones when the route declares a check."""
    checks: dict[str, Any] = {"passive": {"fail_duration": FAIL_DURATION, "max_fails": 1}}
    if check is not None:
        checks["active"] = {
            "uri": check.path,
            "interval": _duration(check.interval),
            "timeout": _duration(check.timeout),
        }
    return checks


def _policy(balancing: Balancing) -> str:
    return {Balancing.ROUND_ROBIN: "round_robin", Balancing.LEAST_CONNECTIONS: "least_conn"}[
        balancing
    ]


def tls_object(spec: RouteSpec, installation: str) -> tuple[str | None, dict[str, Any] | None]:
    """The TLS object of `spec` and its kind, or (None, None) for plain HTTP."""
    tag = tls_tag(installation, spec.id)
    if spec.tls is TlsMode.INTERNAL:
        return POLICY, {
            "@id": tag,
            "subjects": [spec.hostname],
            "issuers": [{"module": "internal"}],
        }
    if spec.tls is TlsMode.PROVIDED:
        return CERTIFICATE, {
            "@id": tag,
            "certificate": spec.certificate,
            "key": spec.key,
            "tags": [tag],
        }
    return None, None


def written(spec: RouteSpec, installation: str) -> Written:
    """What applying `spec` writes."""
    kind, tls = tls_object(spec, installation)
    server = HTTP_SERVER if spec.tls is TlsMode.OFF else HTTPS_SERVER
    return Written(server, route_object(spec, installation), kind, tls)


def dig(config: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in a JSON document, or None."""
    for key in path:
        if not isinstance(config, dict):
            return None
        config = config.get(key)
    return config


def owned(config: Any, installation: str) -> dict[str, Written]:
    """Route id -> what the installation has in `config` (a whole `GET /config/`)."""
    start = prefix(installation)
    found: dict[str, Written] = {}
    for server in SERVERS:
        for route in dig(config, ("apps", "http", "servers", server, "routes")) or []:
            tag = route.get("@id") if isinstance(route, dict) else None
            if isinstance(tag, str) and tag.startswith(start) and not tag.endswith(TLS_SUFFIX):
                route_id = tag[len(start) :]
                found[route_id] = attrs.evolve(
                    found.get(route_id, Written(None, None)), server=server, route=route
                )
    for kind, path in TLS_PATHS.items():
        for item in dig(config, path) or []:
            tag = item.get("@id") if isinstance(item, dict) else None
            if isinstance(tag, str) and tag.startswith(start) and tag.endswith(TLS_SUFFIX):
                route_id = tag[len(start) : -len(TLS_SUFFIX)]
                found[route_id] = attrs.evolve(
                    found.get(route_id, Written(None, None)), tls_kind=kind, tls=item
                )
    return found


def prefix_length(route: Any) -> int:
    """The length of the longest path pattern a route matches on (0: every path)."""
    longest = 0
    for match in (route.get("match") or []) if isinstance(route, dict) else []:
        for pattern in (match.get("path") or []) if isinstance(match, dict) else []:
            longest = max(longest, len(str(pattern).removesuffix("/*")))
    return longest


def insert_index(routes: list[Any], route: dict[str, Any]) -> int:
    """Where to insert `route` so routes with longer path prefixes are tried first."""
    length = prefix_length(route)
    for index, other in enumerate(routes):
        if prefix_length(other) < length:
            return index
    return len(routes)


def server_object(name: str, listen_host: str, port: int) -> dict[str, Any]:
    """A vertice server: listens on one port; no automatic HTTP->HTTPS redirects."""
    server: dict[str, Any] = {"listen": [f"{listen_host}:{port}"], "routes": []}
    if name == HTTPS_SERVER:
        # Caddy would add redirect routes (catch-all ones too) to the server on the HTTP
        # port: plain HTTP is then no longer what the routes with tls `off` alone say.
        server["automatic_https"] = {"disable_redirects": True}
    return server
