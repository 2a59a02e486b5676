"""`/v3/sd/prometheus`: Prometheus' HTTP service discovery of the instances vertice runs.

The answer is the `http_sd_configs` format: one target group per RUNNING
instance that has an address, its target `address:port` (node_exporter's
9100 unless the assembly or its plan's `::metrics` characteristic names
another port), and labels that Prometheus' relabelling can keep:
`__meta_vertice_project`, `__meta_vertice_assembly` (the id),
`__meta_vertice_assembly_name`, `__meta_vertice_region`,
`__meta_vertice_cloud_type`, `__meta_vertice_plan`, `__meta_vertice_flavor`.
Administrators see every project; users only theirs.
"""

from __future__ import annotations

from typing import Any

import falcon

from vertice_api.auth import principal_of
from vertice_api.context import AppContext
from vertice_core.convert import structure
from vertice_core.model.camp import DEFAULT_METRICS_PORT, Plan
from vertice_core.store.repositories import AssemblyRepository, PlanRepository


class PrometheusTargets:
    """`/v3/sd/prometheus`: target groups of the caller's RUNNING instances."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = principal_of(req)
        groups: list[dict[str, Any]] = []
        ports: dict[str, int] = {}
        with self.ctx.store.read() as session:
            plans = PlanRepository(session)
            running = AssemblyRepository(session).running_with_context(principal.scope)
            for row, project, cloud_type in running:
                if row.plan_name not in ports:
                    found = plans.get(row.plan_name)
                    plan = structure(self.ctx.converter, found.document, Plan) if found else None
                    ports[row.plan_name] = (plan and plan.metrics_port()) or DEFAULT_METRICS_PORT
                port = row.spec.get("metrics_port") or ports[row.plan_name]
                labels = {
                    "__meta_vertice_project": project,
                    "__meta_vertice_assembly": row.id,
                    "__meta_vertice_assembly_name": row.name,
                    "__meta_vertice_region": row.region_name,
                    "__meta_vertice_cloud_type": cloud_type,
                    "__meta_vertice_plan": row.plan_name,
                    "__meta_vertice_flavor": row.flavor_name,
                }
                for instance in (row.status or {}).get("instances", []):
                    address = instance.get("public_ipv4") or instance.get("private_ipv4")
                    if address and instance.get("state") == "running":
                        groups.append({"targets": [f"{address}:{port}"], "labels": labels})
        resp.media = groups
