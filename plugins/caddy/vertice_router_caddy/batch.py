"""A pass's changes as the few arrays they touch: pure functions, no I/O.

`CaddyRouter.apply_all` writes a whole pass with one request per changed
object path instead of one (or more) per route, because Caddy loads its whole
configuration again at every admin write (about 34 ms with 1,000 routes) and
closes idle connections each time. `plan_writes` takes the configuration
`observe()` kept and returns, in the order to send them, the new value of
each path the pass changes:

* the `routes` array of `vertice_http` and `vertice_https`: every object of
  other installations and every foreign one kept where it is, the pass's
  routes taken out and put back where `translate.insert_index` puts them
  (longer path prefixes first);
* the TLS lists (automation policies, ours first so catch-all policies come
  after them; `load_pem` certificates, ours appended);
* what is missing above them (`apps.http` with its ports, a vertice server,
  Caddy's `local` CA for `internal` TLS), created with the array inside.

The number of writes depends on which of these change, never on how many
routes the pass carries: at most seven, usually one or two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from vertice_core.errors import TerminalError
from vertice_core.router import RouteSpec, TlsMode
from vertice_router_caddy.translate import (
    HTTP_SERVER,
    POLICY,
    SERVERS,
    TLS_PATHS,
    dig,
    insert_index,
    route_tag,
    server_object,
    tls_tag,
    written,
)

#: Where Caddy's internal CA is configured.
CA_PATH = ("apps", "pki", "certificate_authorities", "local")


@attrs.frozen
class Write:
    """One admin write: the new value of `path`, and whether it exists in the kept copy
    (`before` is its current value then: the `If-Match` of the write is computed from it)."""

    path: tuple[str, ...]
    value: Any
    exists: bool
    before: Any = None


def routes_path(server: str) -> tuple[str, ...]:
    return ("apps", "http", "servers", server, "routes")


def plan_writes(
    config: Any,
    specs: Sequence[RouteSpec],
    remove: Sequence[str],
    installation: str,
    ports: tuple[str, int, int],
) -> list[Write]:
    """The writes that make `config` serve `specs` and no longer serve `remove`.

    `ports` is (listen host, HTTP port, HTTPS port) of the router's settings. Raises
    `TerminalError` when `apps.http` listens on other ports than the settings say.
    """
    touched = {s.id for s in specs} | set(remove)
    mine = {route_tag(installation, r) for r in touched}
    mine |= {tls_tag(installation, r) for r in touched}
    wanted = [written(spec, installation) for spec in specs]
    writes: list[Write] = []
    if any(w.tls_kind == POLICY for w in wanted) and dig(config, CA_PATH) is None:
        writes.append(Write(CA_PATH, {"install_trust": False}, exists=False))
    for kind, path in TLS_PATHS.items():
        before = dig(config, path)
        items = _without(before, mine)
        ours = [w.tls for w in wanted if w.tls_kind == kind]
        # The first policy whose subjects match wins: ours go before catch-all ones.
        items = ours + items if kind == POLICY else items + ours
        writes.extend(_changed(path, before, items))
    routes = {server: _without(dig(config, routes_path(server)), mine) for server in SERVERS}
    for want in wanted:
        assert want.server is not None
        assert want.route is not None
        items = routes[want.server]
        items.insert(insert_index(items, want.route), want.route)
    writes.extend(_server_writes(config, routes, ports))
    return writes


def _server_writes(
    config: Any, routes: dict[str, list[Any]], ports: tuple[str, int, int]
) -> list[Write]:
    """The writes of the servers' `routes` arrays (creating the app or a server if needed)."""
    host, http_port, https_port = ports
    http = dig(config, ("apps", "http"))

    def server(name: str) -> dict[str, Any]:
        body = server_object(name, host, http_port if name == HTTP_SERVER else https_port)
        return {**body, "routes": routes[name]}

    if not isinstance(http, dict):
        needed = {name: server(name) for name in SERVERS if routes[name]}
        if not needed:
            return []
        app = {"http_port": http_port, "https_port": https_port, "servers": needed}
        return [Write(("apps", "http"), app, exists=False)]
    for key, value in (("http_port", http_port), ("https_port", https_port)):
        current = http.get(key, 80 if key == "http_port" else 443)
        if current != value:
            raise TerminalError(
                f"caddy's apps.http.{key} is {current}; the router's settings say {value}"
            )
    writes: list[Write] = []
    for name in SERVERS:
        if dig(http, ("servers", name)) is None:
            if routes[name]:
                writes.append(Write(("apps", "http", "servers", name), server(name), False))
            continue
        writes.extend(_changed(routes_path(name), dig(config, routes_path(name)), routes[name]))
    return writes


def _without(items: Any, tags: set[str]) -> list[Any]:
    """A copy of the array `items` without the objects tagged with one of `tags`."""
    if not isinstance(items, list):
        return []
    return [i for i in items if not (isinstance(i, dict) and i.get("@id") in tags)]


def _changed(path: tuple[str, ...], before: Any, after: list[Any]) -> list[Write]:
    """The write of `path` if its value changes (an absent array that stays empty: none)."""
    if isinstance(before, list):
        return [] if before == after else [Write(path, after, exists=True, before=before)]
    return [Write(path, after, exists=False)] if after else []


def needs_certificate(spec: RouteSpec) -> bool:
    """Whether `spec` asks for a provided certificate it does not carry."""
    return spec.tls is TlsMode.PROVIDED and not (spec.certificate and spec.key)
