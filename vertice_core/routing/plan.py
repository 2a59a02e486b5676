"""The pure planning of a route pass: what to apply, what to remove, what each route says.

No I/O: the controller reads the routes, their assemblies and the proxy's live
configuration, and this module decides. Tested as a table
(`tests/core/routing/test_route_plan.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from vertice_core.model.route import Balancing, HealthCheck, RoutePhase, TlsMode
from vertice_core.reach import address_of
from vertice_core.router import RouteSpec


@attrs.frozen
class RouteFacts:
    """What the pass read of one route and the assembly behind it."""

    id: str
    hostname: str
    path_prefix: str
    port: int
    tls: str
    balancing: str
    #: The assembly's id, and whether it still exists.
    assembly_id: str
    assembly_exists: bool
    #: The assembly's status instances (`instance_view` documents).
    instances: Sequence[Mapping[str, Any]] = ()
    #: The ports the assembly's plan publishes, sorted (how `access` is ordered).
    plan_ports: Sequence[int] = ()
    health_check: HealthCheck | None = None
    certificate: str = attrs.field(default="", repr=False)
    key: str = attrs.field(default="", repr=False)


@attrs.frozen
class RouteDecision:
    """What the pass does for one route, and the status it writes if that works."""

    spec: RouteSpec
    #: Whether the proxy must be told (what it serves differs from the spec).
    apply: bool
    phase: RoutePhase
    message: str
    #: The keys of the instances behind the spec's upstreams (what the route's status
    #: records once the proxy took the spec: the reconciler deletes an instance it drains
    #: only once no route sends it requests, see `reconcile.rolling.drained`).
    serving: tuple[str, ...] = ()


@attrs.frozen
class PassPlan:
    """The decisions of a pass: one per declared route, and the routes to remove."""

    decisions: tuple[RouteDecision, ...]
    #: Ids of routes the proxy serves for this installation that are not declared.
    remove: tuple[str, ...]


def upstream_of(instance: Mapping[str, Any], port: int, plan_ports: Sequence[int]) -> str | None:
    """Where the proxy reaches `port` of an instance that should get requests, or None.

    Requests go to running instances that are not draining (on their way out, so
    requests go to the others while their own finish) and not known unready (their
    probe has not passed); see `vertice_core.reach.address_of` for the address.
    """
    if instance.get("state") != "running" or instance.get("draining"):
        return None
    if instance.get("ready") is False:
        return None
    return address_of(instance, port, plan_ports)


def serving_of(route: RouteFacts) -> tuple[str, ...]:
    """The keys of the instances the route sends requests to (those with an upstream)."""
    return tuple(sorted(
        str(i.get("key", "")) for i in route.instances
        if upstream_of(i, route.port, route.plan_ports)
    ))  # fmt: skip


def spec_of(route: RouteFacts) -> RouteSpec:
    """The spec the proxy should serve for a route."""
    found = (upstream_of(i, route.port, route.plan_ports) for i in route.instances)
    upstreams = tuple(sorted({u for u in found if u}))
    return RouteSpec(
        id=route.id,
        hostname=route.hostname,
        path_prefix=route.path_prefix,
        upstreams=upstreams,
        tls=TlsMode(route.tls),
        balancing=Balancing(route.balancing),
        health_check=route.health_check,
        certificate=route.certificate,
        key=route.key,
    )


def plan_pass(
    routes: Sequence[RouteFacts],
    live: Mapping[str, str],
    fingerprint: Callable[[RouteSpec], str],
) -> PassPlan:
    """Decide a pass: apply each route whose live fingerprint differs, remove the undeclared."""
    decisions = []
    for route in routes:
        spec = spec_of(route)
        apply = live.get(route.id) != fingerprint(spec)
        if not route.assembly_exists:
            message = f"the assembly {route.assembly_id} no longer exists: the proxy answers 503"
        elif not spec.upstreams:
            message = f"no running instance serves port {route.port}: the proxy answers 503"
        else:
            count = len(spec.upstreams)
            message = f"served by {count} instance{'s' if count > 1 else ''}"
        decisions.append(RouteDecision(spec, apply, RoutePhase.READY, message, serving_of(route)))
    declared = {route.id for route in routes}
    return PassPlan(tuple(decisions), tuple(sorted(set(live) - declared)))
