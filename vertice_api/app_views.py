"""Representations of what runs an application: routes, scalers, builds and webhooks.

The documents of `/v3/routes`, `/v3/scalers`, `/v3/builds` and an assembly's
`/webhook`, in the form and with the CAMP common attributes of `vertice_api.views`
(split from it to keep it small). Secrets never appear: a route's certificate and key
are not shown, a webhook's secret only in the answer that made it.
"""

from __future__ import annotations

from typing import Any

from vertice_api.views import V3, common
from vertice_core.convert import format_time
from vertice_core.model.build import Build, Webhook
from vertice_core.service.routes import StoredRoute
from vertice_core.service.scalers import StoredScaler


def route(stored: StoredRoute) -> dict[str, Any]:
    """A route (its certificate and key are never shown)."""
    doc = common(f"{V3}/routes/{stored.id}", stored.hostname, "route")
    status = stored.status
    doc.update(
        id=stored.id,
        project=stored.project,
        hostname=stored.hostname,
        path_prefix=stored.path_prefix,
        assembly_uri=f"{V3}/assembly/{stored.assembly_id}",
        port=stored.port,
        tls=stored.tls,
        balancing=stored.balancing,
        health_check=stored.health_check,
        url=stored.url,
        generation=stored.generation,
        created_at=format_time(stored.created_at),
        status={
            "phase": stored.phase,
            "message": stored.message,
            "observed_generation": int(status.get("observed_generation", 0)),
            "upstreams": list(status.get("upstreams", [])),
            "router": str(status.get("router", "")),
            "conditions": list(status.get("conditions", [])),
        },
    )
    return doc


def scaler(stored: StoredScaler) -> dict[str, Any]:
    """A scaler: its declaration and what the scaler controller last decided."""
    doc = common(f"{V3}/scalers/{stored.id}", stored.id, "scaler")
    status = stored.status
    doc.update(
        id=stored.id,
        project=stored.project,
        assembly=stored.assembly,
        assembly_uri=f"{V3}/assembly/{stored.assembly_id}",
        **stored.spec,
        generation=stored.generation,
        created_at=format_time(stored.created_at),
        status={
            "observed_generation": int(status.get("observed_generation", 0)),
            "value": status.get("value"),
            "recommended": status.get("recommended"),
            "replicas": status.get("replicas"),
            "last_scale_time": status.get("last_scale_time"),
            "prometheus": str(status.get("prometheus", "")),
            "conditions": list(status.get("conditions", [])),
        },
    )
    return doc


def build(found: Build) -> dict[str, Any]:
    """A build: what it builds, where it is, what it made, and where its log is."""
    uri = f"{V3}/builds/{found.id}"
    doc = common(uri, found.id, "build")
    doc.update(
        id=found.id,
        project=found.project,
        assembly=found.assembly,
        assembly_uri=f"{V3}/assembly/{found.assembly_id}",
        revision=found.revision,
        region=found.region,
        url=found.url,
        ref=found.ref,
        subdirectory=found.subdirectory,
        recipe=found.recipe,
        state=found.state.value,
        builder=found.builder,
        commit=found.commit,
        image=found.image,
        reason=found.reason,
        message=found.message,
        attempts=found.attempts,
        log_size=found.log_size,
        log_uri=f"{uri}/log",
        created_at=format_time(found.created_at) if found.created_at else None,
        started_at=format_time(found.started_at) if found.started_at else None,
        finished_at=format_time(found.finished_at) if found.finished_at else None,
        duration=found.duration,
    )
    return doc


def webhook(hook: Webhook) -> dict[str, Any]:
    """An assembly's push webhook: where to deliver, what came; its secret only when made."""
    doc: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "assembly_uri": f"{V3}/assembly/{hook.assembly_id}",
        "created_at": format_time(hook.created_at) if hook.created_at else None,
        "deliveries": hook.deliveries,
        "last_delivery_at": format_time(hook.last_delivery_at) if hook.last_delivery_at else None,
        "last_result": hook.last_result,
    }
    if hook.secret is not None:
        doc["secret"] = hook.secret
    return doc
