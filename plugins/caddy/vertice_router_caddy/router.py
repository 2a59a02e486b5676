"""`CaddyRouter`: the router contract on Caddy's admin API.

Every write goes to one object path (`/id/<@id>`, a server's `routes` array,
a missing app or server), never a `/load` of the whole configuration: other
servers, apps and installations are left as they are, and a concurrent
writer loses nothing of its own. `observe()` is one `GET /config/`.
"""

from __future__ import annotations

from typing import Any

from vertice_core.errors import TerminalError
from vertice_core.router import Router, RouterConfig, RouteSpec, TlsMode
from vertice_router_caddy import CaddySettings
from vertice_router_caddy.client import AdminClient
from vertice_router_caddy.translate import (
    HTTP_SERVER,
    HTTPS_SERVER,
    POLICY,
    TLS_PATHS,
    Written,
    dig,
    insert_index,
    owned,
    route_object,
    route_tag,
    server_object,
    tls_tag,
    written,
)

#: Characters an installation or route id may not hold: `_` separates the parts of an
#: `@id`, `/` would split the admin API's path.
FORBIDDEN = "_/"


class CaddyRouter(Router):
    """One Caddy, through its admin API."""

    def __init__(self, config: RouterConfig) -> None:
        super().__init__(config)
        self.settings: CaddySettings = config.settings
        self.installation = config.installation_id
        if not self.installation or any(c in self.installation for c in FORBIDDEN):
            raise ValueError(f"installation id {self.installation!r} may not hold '_' or '/'")
        self.admin = AdminClient(self.settings.admin, self.settings.timeout)

    def close(self) -> None:
        self.admin.close()

    def observe(self) -> dict[str, str]:
        found = owned(self.admin.config(), self.installation)
        return {route_id: part.digest() for route_id, part in found.items()}

    def fingerprint(self, spec: RouteSpec) -> str:
        return written(spec, self.installation).digest()

    def apply(self, spec: RouteSpec) -> None:
        _check_id(spec.id)
        if spec.tls is TlsMode.PROVIDED and not (spec.certificate and spec.key):
            raise TerminalError(f"route {spec.id}: tls provided needs a certificate and a key")
        config = self.admin.config() or {}
        want = written(spec, self.installation)
        have = owned(config, self.installation).get(spec.id, Written(None, None))
        if have.digest() == want.digest():
            return
        server = HTTP_SERVER if spec.tls is TlsMode.OFF else HTTPS_SERVER
        self._ensure_http_app(config, server)
        self._write_tls(config, spec.id, want, have)
        self._write_route(config, spec.id, server, route_object(spec, self.installation), have)

    def url(self, spec: RouteSpec) -> str:
        """The route's URL, with the port when it is not the scheme's default."""
        plain = spec.tls is TlsMode.OFF
        port = self.settings.http_port if plain else self.settings.https_port
        shown = "" if port == (80 if plain else 443) else f":{port}"
        return f"{'http' if plain else 'https'}://{spec.hostname}{shown}{spec.path_prefix or '/'}"

    def remove(self, route_id: str) -> None:
        _check_id(route_id)
        self.admin.call("DELETE", f"/id/{route_tag(self.installation, route_id)}", missing_ok=True)
        self.admin.call("DELETE", f"/id/{tls_tag(self.installation, route_id)}", missing_ok=True)

    # -- the steps of apply --

    def _ensure_http_app(self, config: Any, server: str) -> None:
        """Create `apps.http` (with the ports) and the vertice server when missing."""
        s = self.settings
        port = s.http_port if server == HTTP_SERVER else s.https_port
        body = server_object(server, s.listen_host, port)
        http = dig(config, ("apps", "http"))
        if not isinstance(http, dict):
            app = {"http_port": s.http_port, "https_port": s.https_port, "servers": {server: body}}
            self._create(config, ("apps", "http"), app)
            return
        for key, value in (("http_port", s.http_port), ("https_port", s.https_port)):
            current = http.get(key, 80 if key == "http_port" else 443)
            if current != value:
                raise TerminalError(
                    f"caddy's apps.http.{key} is {current}; the router's settings say {value}"
                )
        if dig(http, ("servers", server)) is None:
            self._create(config, ("apps", "http", "servers", server), body)

    def _write_tls(self, config: Any, route_id: str, want: Written, have: Written) -> None:
        """Put the route's TLS object in place (before the route, so it is served at once)."""
        tag = tls_tag(self.installation, route_id)
        if have.tls is not None and (want.tls is None or have.tls_kind != want.tls_kind):
            self.admin.call("DELETE", f"/id/{tag}", missing_ok=True)
        if want.tls is None or want.tls_kind is None:
            return
        if have.tls is not None and have.tls_kind == want.tls_kind:
            self.admin.call("PATCH", f"/id/{tag}", want.tls)
            return
        if want.tls_kind == POLICY:
            self._ensure_internal_ca(config)
        path = TLS_PATHS[want.tls_kind]
        items = dig(config, path)
        if not isinstance(items, list):
            self._create(config, path, [want.tls])
        elif want.tls_kind == POLICY:
            # The first policy whose subjects match wins: ours go before catch-all ones.
            self.admin.call("PUT", _config_path(path) + "/0", want.tls)
        else:
            self.admin.call("POST", _config_path(path), want.tls)

    def _ensure_internal_ca(self, config: Any) -> None:
        """Caddy's `local` CA, told not to install its root into the system's trust store."""
        path = ("apps", "pki", "certificate_authorities", "local")
        if dig(config, path) is None:
            self._create(config, path, {"install_trust": False})

    def _write_route(
        self, config: Any, route_id: str, server: str, route: dict[str, Any], have: Written
    ) -> None:
        """Replace the route in place, or (new server or new path) insert it in order."""
        tag = route_tag(self.installation, route_id)
        if (
            have.route is not None
            and have.server == server
            and have.route.get("match") == route.get("match")
        ):
            self.admin.call("PATCH", f"/id/{tag}", route)
            return
        if have.route is not None:
            self.admin.call("DELETE", f"/id/{tag}", missing_ok=True)
        routes_path = ("apps", "http", "servers", server, "routes")
        routes = [r for r in dig(config, routes_path) or [] if r is not have.route]
        index = insert_index(routes, route)
        if dig(config, routes_path) is None:
            self._create(config, routes_path, [route])
        elif index >= len(routes):
            self.admin.call("POST", _config_path(routes_path), route)
        else:
            self.admin.call("PUT", f"{_config_path(routes_path)}/{index}", route)

    def _create(self, config: Any, path: tuple[str, ...], value: Any) -> None:
        """Create `value` at `path`, making the missing objects above it (one PUT)."""
        depth = 0
        node: Any = config
        while depth < len(path) - 1 and isinstance(node, dict) and path[depth] in node:
            node = node[path[depth]]
            depth += 1
        body = value
        for key in reversed(path[depth + 1 :]):
            body = {key: body}
        self.admin.call("PUT", _config_path(path[: depth + 1]), body)
        # Keep the snapshot in step, so the next steps of this apply see what now exists.
        node = config
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value


def _config_path(path: tuple[str, ...]) -> str:
    return "/config/" + "/".join(path)


def _check_id(route_id: str) -> None:
    if not route_id or any(c in route_id for c in FORBIDDEN):
        raise TerminalError(f"route id {route_id!r} may not hold '_' or '/'")
