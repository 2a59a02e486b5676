"""Where a port of an instance is reached, from its status view and its plan's ports.

Shared by what talks to instances through the network: the route controller (a
proxy's upstreams), the prober (health probes) and Prometheus' service discovery
(the metrics exporters' targets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cattrs

from vertice_core.convert import structure
from vertice_core.model.camp import Plan
from vertice_core.store.repositories import PlanRepository


def address_of(instance: Mapping[str, Any], port: int, plan_ports: Sequence[int]) -> str | None:
    """`host:port` where `port` of an instance (a status `instances` view) is reached.

    A port the plan publishes is reached at its published address (`access` lists
    them in the order of the plan's sorted ports); any other port at the instance's
    private address (a network shared with the instances), else its public one.
    None when the instance has no address.
    """
    published = published_address(instance.get("access") or (), port, plan_ports)
    if published:
        return published
    address = instance.get("private_ipv4") or instance.get("public_ipv4")
    return f"{address}:{port}" if address else None


def published_address(access: Sequence[str], port: int, plan_ports: Sequence[int]) -> str | None:
    """`host:port` where the plan's published `port` is reached (`access` lists the published
    addresses in the order of the plan's sorted ports), or None: a port the plan does not
    publish, or an instance without that address (a container whose ports are not bound)."""
    if port not in plan_ports:
        return None
    index = list(plan_ports).index(port)
    return str(access[index]) if index < len(access) else None


class PlanPorts:
    """The ports each plan publishes, read once per plan (plans do not change while
    assemblies use them)."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self.converter = converter
        self._ports: dict[str, tuple[int, ...]] = {}

    def of(self, plan_name: str, plans: PlanRepository) -> tuple[int, ...]:
        if plan_name not in self._ports:
            plan = plans.get(plan_name)
            parsed = structure(self.converter, plan.document, Plan) if plan else None
            self._ports[plan_name] = tuple(parsed.ports()) if parsed else ()
        return self._ports[plan_name]
