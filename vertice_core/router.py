"""The router interface: what a reverse proxy plugin must do, in types.

A router serves one proxy (one Caddy, one HAProxy...). The route controller
constructs it with a `RouterConfig` and calls only the verbs below, one pass
at a time: `observe()` first, then **one** `apply_all` call with every change
of the pass. It owns statuses, retries and polling. The contract, checked by
`vertice_drivers.router_testkit`:

* `observe()` reads the proxy's live configuration **once** and returns, for
  every route *this installation* put there, its fingerprint. Routes of other
  installations and configuration nobody declared through vertice are not
  returned, and are never changed by `apply` or `remove`.
* A pass reads the proxy's configuration once, not once per route: a router
  whose `apply` needs the configuration (where to insert, what exists) keeps
  what `observe()` read and updates its copy with each write it makes, and
  reads again only when it has none (an `apply` without `observe`, or after
  a failed call). Concurrent `apply`/`remove` calls must be safe: each one
  decides from, and writes to, a copy that holds the others' writes (the
  Caddy router holds a lock from deciding to writing).
* `fingerprint(spec)` is what `observe()` reports for the route once `spec`
  is applied: the controller compares the two to decide whether to apply.
  It is pure (no I/O).
* `apply(spec)` makes the proxy serve `spec` (create or replace), without a
  restart and without dropping connections to other routes. It is
  idempotent. The proxy balances over `spec.upstreams` as `spec.balancing`
  says, checks them actively when `spec.health_check` is set and always
  passively (an upstream a request could not reach is left out for a while and
  the request is tried on another), so an instance that dies between two
  passes costs no failed request while another can serve it.
* `remove(route_id)` stops serving the route; one that is not there is a
  success.
* `apply_all(specs, remove)` applies a whole pass's changes at once: each spec
  as `apply` would, each id removed as `remove` would, and returns route id ->
  the `DriverError` of each route that did not go in (`{}` when all did). A
  proxy that reloads its configuration at every write (Caddy does, closing
  idle connections each time) should write once per changed object, not once
  per route: the number of writes of a pass must not grow with its routes. A
  write the proxy refuses must fail only the route(s) that caused it (the
  Caddy router then writes the suspects, routes with a provided certificate,
  one at a time). The base class applies and
  removes one route at a time, so a router without it keeps working.
* A proxy that was restarted with an empty configuration is simply observed
  with no routes: the next pass applies them all again.
* Errors are `vertice_core.errors.DriverError` subclasses: `TransientError`
  when the proxy does not answer (the target is retried with backoff),
  `TerminalError` when it refuses what was asked (a bad certificate).

A router is published as an entry point in group `vertice.routers` whose name
is the router type (`caddy`) and whose object is a `RouterInfo`; the module
holding it must be cheap to import.
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import json
from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from vertice_core.errors import DriverError
from vertice_core.model.route import Balancing, HealthCheck, TlsMode

__all__ = [
    "ROUTER_NAMESPACE",
    "Balancing",
    "HealthCheck",
    "RouteSpec",
    "Router",
    "RouterConfig",
    "RouterInfo",
    "TlsMode",
    "spec_digest",
]

ROUTER_NAMESPACE = "vertice.routers"


@attrs.frozen
class RouteSpec:
    """What the installation wants the proxy to serve for one route."""

    #: The route's id (`rte-...`): the proxy keeps it with the route, with the
    #: installation's id, so `observe` finds what is ours.
    id: str
    hostname: str
    #: "" (every path) or a prefix such as "/api" (matches "/api" and "/api/...").
    path_prefix: str
    #: `host:port` of each instance to send requests to, sorted. Empty: the proxy
    #: answers 503 for the route (nothing is running behind it yet).
    upstreams: tuple[str, ...]
    tls: TlsMode = TlsMode.INTERNAL
    balancing: Balancing = Balancing.ROUND_ROBIN
    #: The active health check of each upstream (None: passive checks only).
    health_check: HealthCheck | None = None
    #: PEM of the certificate chain and key when `tls` is `provided` (never log them).
    certificate: str = attrs.field(default="", repr=False)
    key: str = attrs.field(default="", repr=False)


def spec_digest(spec: RouteSpec) -> str:
    """A short digest of every field of a spec (routers may use it as their fingerprint)."""
    fields = attrs.asdict(spec)
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@attrs.frozen
class RouterConfig:
    """What a router is constructed with: one proxy's settings."""

    #: The router's name in the installation's configuration (`default`).
    name: str
    router_type: str
    installation_id: str
    #: An instance of the router's `RouterInfo.settings` class.
    settings: Any


class Router(abc.ABC):
    """The interface every router implements. One instance serves one proxy."""

    #: The `RouterInfo` the router was loaded from (set by `RouterInfo.load`).
    info: ClassVar[RouterInfo]

    def __init__(self, config: RouterConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def observe(self) -> dict[str, str]:
        """Route id -> fingerprint of every route of this installation the proxy serves."""

    @abc.abstractmethod
    def fingerprint(self, spec: RouteSpec) -> str:
        """What `observe` reports for the route once `spec` is applied (pure)."""

    @abc.abstractmethod
    def apply(self, spec: RouteSpec) -> None:
        """Serve `spec` (create or replace the route), without a restart."""

    @abc.abstractmethod
    def remove(self, route_id: str) -> None:
        """Stop serving the route; one that is not there is a success."""

    def apply_all(
        self, specs: Sequence[RouteSpec], remove: Sequence[str] = ()
    ) -> dict[str, DriverError]:
        """Apply `specs` and remove the routes `remove` names: a pass's changes at once.

        Returns route id -> the failure of each route that did not go in. This
        default calls `apply` and `remove` one route at a time; a router whose
        proxy pays for every write overrides it to write once per changed object.
        """
        failures: dict[str, DriverError] = {}
        for spec in specs:
            try:
                self.apply(spec)
            except DriverError as exc:
                failures[spec.id] = exc
        for route_id in remove:
            try:
                self.remove(route_id)
            except DriverError as exc:
                failures[route_id] = exc
        return failures

    def url(self, spec: RouteSpec) -> str:
        """Where clients reach the route (routers on non-default ports add the port)."""
        scheme = "http" if spec.tls is TlsMode.OFF else "https"
        return f"{scheme}://{spec.hostname}{spec.path_prefix or '/'}"

    def close(self) -> None:  # noqa: B027 -- an optional hook, empty by default
        """Release the client's resources."""


@attrs.frozen
class RouterInfo:
    """The entry point object of a router: cheap to import.

    `factory` names the `Router` subclass as `"package.module:Class"`, imported by
    `load()` only when a proxy of this type is reconciled.
    """

    router_type: str
    factory: str
    #: attrs class of the router's settings (structured by the converter; unknown keys
    #: are a configuration error naming them).
    settings: type
    description: str = ""

    def load(self) -> type[Router]:
        """Import and return the router class."""
        module_name, _, attr = self.factory.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        if not (isinstance(cls, type) and issubclass(cls, Router)):
            raise TypeError(f"{self.factory} is not a vertice Router class")
        cls.info = self
        return cls
