"""`CaddyRouter`: the router contract on Caddy's admin API.

Every write goes to one object path (`/id/<@id>`, a server's `routes` array,
a TLS list, a missing app or server), never a `/load` of the whole
configuration: other servers, apps and installations are left as they are.

`apply_all` (what the route controller calls, once per pass) writes each
changed array once, whatever the number of routes (`batch.plan_writes`):
Caddy loads its whole configuration again at every write and closes idle
connections each time. Each array is written with `If-Match` computed from
the copy it was decided from (`client.etag`), so a concurrent writer's change
to the same array between our read and our write is never lost: Caddy
answers 412, and the pass reads again and recomputes once; a second 412
makes the pass write route by route instead (without `If-Match`), so an
array whose Etag is computed wrong (`client.etag` imitates Go's encoding of
Caddy's JSON) costs writes, never progress. A write Caddy
refuses (it validates the whole configuration: a bad certificate) makes the
pass write its routes without a provided certificate in one batch again and
apply the others one at a time (every route one at a time if that batch is
refused too), so only the bad one fails.

`observe()` is one `GET /config/`, and the configuration it read is kept
(`live.LiveConfig`): the pass's `apply` calls decide from it and mirror their
writes into it, so a pass reads the configuration once however many routes it
applies. `apply` and `remove` hold the copy's lock from reading to writing
(the controller calls them from several threads). A write Caddy refuses
while deciding from a kept copy is retried once against a fresh read (the
copy may be stale: Caddy restarted, an operator's edit); a failed call drops
the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vertice_core.errors import DriverError, TerminalError
from vertice_core.router import Router, RouterConfig, RouteSpec, TlsMode
from vertice_router_caddy import CaddySettings
from vertice_router_caddy.batch import needs_certificate, plan_writes
from vertice_router_caddy.client import AdminClient, Stale
from vertice_router_caddy.live import LiveConfig
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
        self.live = LiveConfig(self.admin)

    def close(self) -> None:
        self.admin.close()

    def observe(self) -> dict[str, str]:
        """One `GET /config/`, kept for the pass's `apply` calls."""
        with self.live.lock:
            try:
                found = owned(self.live.read(), self.installation)
            except DriverError:
                self.live.forget()
                raise
        return {route_id: part.digest() for route_id, part in found.items()}

    def fingerprint(self, spec: RouteSpec) -> str:
        return written(spec, self.installation).digest()

    def apply(self, spec: RouteSpec) -> None:
        _check_spec(spec)
        with self.live.lock:
            kept = self.live.kept
            try:
                self._apply(spec, self.live.current())
            except TerminalError:
                self.live.forget()
                if not kept:
                    raise
                self._apply(spec, self.live.current())  # once more, on a fresh read
            except DriverError:
                self.live.forget()
                raise

    def apply_all(
        self, specs: Sequence[RouteSpec], remove: Sequence[str] = ()
    ) -> dict[str, DriverError]:
        """The pass's changes with one write per changed array (see the module)."""
        failures: dict[str, DriverError] = {}
        for spec in specs:
            try:
                _check_spec(spec)
            except TerminalError as exc:
                failures[spec.id] = exc
        for route_id in remove:
            try:
                _check_id(route_id)
            except TerminalError as exc:
                failures[route_id] = exc
        specs = [s for s in specs if s.id not in failures]
        remove = [r for r in remove if r not in failures]
        with self.live.lock:
            try:
                self._write_batch(specs, remove)
            except Stale:
                # 412 twice: a busy concurrent writer, or an array whose Etag our imitation
                # of Caddy's JSON encoding gets wrong (a foreign object holding a form feed).
                # Route by route (no If-Match) still makes progress.
                self.live.forget()
                failures.update(super().apply_all(specs, remove))
            except TerminalError:
                self.live.forget()
                failures.update(self._after_refusal(specs, remove))
            except DriverError as exc:
                self.live.forget()
                failures.update(dict.fromkeys([*(s.id for s in specs), *remove], exc))
        return failures

    def _after_refusal(
        self, specs: Sequence[RouteSpec], remove: Sequence[str]
    ) -> dict[str, DriverError]:
        """Caddy refused a write of the batch: the routes without a provided certificate
        (the usual cause) in one batch again, then each provided one alone; if that batch
        is refused too, every route alone. Either way only the routes at fault fail."""
        provided = [s for s in specs if s.tls is TlsMode.PROVIDED]
        if provided:
            try:
                self._write_batch([s for s in specs if s.tls is not TlsMode.PROVIDED], remove)
                return super().apply_all(provided, [])
            except TerminalError:
                self.live.forget()
            except DriverError as exc:
                self.live.forget()
                return dict.fromkeys([*(s.id for s in specs), *remove], exc)
        return super().apply_all(specs, remove)  # one route at a time

    def _write_batch(self, specs: Sequence[RouteSpec], remove: Sequence[str]) -> None:
        """Send `plan_writes`' writes; on a 412, read again and send them once more."""
        s = self.settings
        ports = (s.listen_host, s.http_port, s.https_port)
        for attempt in (1, 2):
            writes = plan_writes(self.live.current(), specs, remove, self.installation, ports)
            try:
                for write in writes:
                    if write.exists:
                        self.live.put(write.path, write.value, write.before)
                    else:
                        self.live.create(write.path, write.value)
                return
            except Stale:
                self.live.forget()
                if attempt == 2:
                    raise

    def _apply(self, spec: RouteSpec, config: Any) -> None:
        """Write what differs between `spec` and what `config` holds of the route."""
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
        with self.live.lock:
            try:
                self.live.delete(route_tag(self.installation, route_id))
                self.live.delete(tls_tag(self.installation, route_id))
            except DriverError:
                self.live.forget()
                raise

    # -- the steps of apply --

    def _ensure_http_app(self, config: Any, server: str) -> None:
        """Create `apps.http` (with the ports) and the vertice server when missing."""
        s = self.settings
        port = s.http_port if server == HTTP_SERVER else s.https_port
        body = server_object(server, s.listen_host, port)
        http = dig(config, ("apps", "http"))
        if not isinstance(http, dict):
            app = {"http_port": s.http_port, "https_port": s.https_port, "servers": {server: body}}
            self.live.create(("apps", "http"), app)
            return
        for key, value in (("http_port", s.http_port), ("https_port", s.https_port)):
            current = http.get(key, 80 if key == "http_port" else 443)
            if current != value:
                raise TerminalError(
                    f"caddy's apps.http.{key} is {current}; the router's settings say {value}"
                )
        if dig(http, ("servers", server)) is None:
            self.live.create(("apps", "http", "servers", server), body)

    def _write_tls(self, config: Any, route_id: str, want: Written, have: Written) -> None:
        """Put the route's TLS object in place (before the route, so it is served at once)."""
        tag = tls_tag(self.installation, route_id)
        if have.tls is not None and (want.tls is None or have.tls_kind != want.tls_kind):
            self.live.delete(tag)
        if want.tls is None or want.tls_kind is None:
            return
        if have.tls is not None and have.tls_kind == want.tls_kind:
            self.live.replace(tag, want.tls)
            return
        if want.tls_kind == POLICY:
            self._ensure_internal_ca(config)
        path = TLS_PATHS[want.tls_kind]
        items = dig(config, path)
        if not isinstance(items, list):
            self.live.create(path, [want.tls])
        elif want.tls_kind == POLICY:
            # The first policy whose subjects match wins: ours go before catch-all ones.
            self.live.insert(path, 0, want.tls)
        else:
            self.live.append(path, want.tls)

    def _ensure_internal_ca(self, config: Any) -> None:
        """Caddy's `local` CA, told not to install its root into the system's trust store."""
        path = ("apps", "pki", "certificate_authorities", "local")
        if dig(config, path) is None:
            self.live.create(path, {"install_trust": False})

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
            self.live.replace(tag, route)
            return
        if have.route is not None:
            self.live.delete(tag)
        routes_path = ("apps", "http", "servers", server, "routes")
        routes = dig(config, routes_path)
        if not isinstance(routes, list):
            self.live.create(routes_path, [route])
            return
        index = insert_index(routes, route)
        if index >= len(routes):
            self.live.append(routes_path, route)
        else:
            self.live.insert(routes_path, index, route)


def _check_id(route_id: str) -> None:
    if not route_id or any(c in route_id for c in FORBIDDEN):
        raise TerminalError(f"route id {route_id!r} may not hold '_' or '/'")


def _check_spec(spec: RouteSpec) -> None:
    _check_id(spec.id)
    if needs_certificate(spec):
        raise TerminalError(f"route {spec.id}: tls provided needs a certificate and a key")
