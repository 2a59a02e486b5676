"""Where the instances' metrics exporters listen: the targets of Prometheus' service discovery.

One target group per running instance with an address, at the port the
assembly declares, else the one its plan's `::metrics` characteristic names,
else node_exporter's 9100. A port the plan publishes (a container's `::env`
`*.port`, bound to a host port of its own) is reached at its published
address, as routes and probes reach it; any other at the instance's public
address, else its private one. Labels
name the project, the assembly (id and name), the instance's ordinal, the
region and its cloud type, the plan and the flavor. A caller sees the
instances of their projects; an administrator every project's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import cattrs

from vertice_core.convert import structure
from vertice_core.model.camp import DEFAULT_METRICS_PORT, Plan
from vertice_core.model.status import InstanceState
from vertice_core.reach import published_address
from vertice_core.service.records import Row, status_of
from vertice_core.store.repositories import AssemblyRepository, PlanRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller

#: The prefix of every label (Prometheus drops `__meta_` labels unless relabelled).
LABEL = "__meta_vertice_"


@attrs.frozen
class TargetGroup:
    """One scrape target (`address:port`) and the labels that describe it."""

    targets: list[str]
    labels: dict[str, str]


def prometheus_targets(
    session: Session, caller: Caller, converter: cattrs.Converter
) -> list[TargetGroup]:
    """The target groups of the running instances the caller sees, by assembly and ordinal."""
    plans = PlanRepository(session)
    ports: dict[str, int] = {}
    published: dict[str, list[int]] = {}
    found = AssemblyRepository(session).running_with_context(caller.scope)
    for row, _, _ in found:
        if row.plan_name not in ports:
            plan = plans.get(row.plan_name)
            parsed = structure(converter, plan.document, Plan) if plan else None
            ports[row.plan_name] = (parsed and parsed.metrics_port()) or DEFAULT_METRICS_PORT
            published[row.plan_name] = parsed.ports() if parsed else []
    return target_groups(found, ports, published)


def target_groups(
    assemblies: Iterable[tuple[Row, str, str]],
    plan_ports: Mapping[str, int],
    published: Mapping[str, Sequence[int]] | None = None,
) -> list[TargetGroup]:
    """The target groups of `(assembly row, project name, cloud type)`s, given the metrics
    port of each plan and the ports each plan publishes."""
    groups: list[TargetGroup] = []
    for row, project, cloud_type in assemblies:
        port = row.spec.get("metrics_port") or plan_ports.get(row.plan_name, DEFAULT_METRICS_PORT)
        plan_published = (published or {}).get(row.plan_name, ())
        labels = {
            "project": project,
            "assembly": row.id,
            "assembly_name": row.name,
            "region": row.region_name,
            "cloud_type": cloud_type,
            "plan": row.plan_name,
            "flavor": row.flavor_name,
        }
        for instance in sorted(status_of(row).instances, key=lambda i: i.ordinal):
            address = instance.public_ipv4 or instance.private_ipv4
            target = published_address(instance.access, port, plan_published) or (
                address and f"{address}:{port}"
            )
            if target and instance.state is InstanceState.RUNNING:
                named = {**labels, "instance": str(instance.ordinal)}
                groups.append(TargetGroup([target], {LABEL + k: v for k, v in named.items()}))
    return groups
