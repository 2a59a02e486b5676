"""`/v3/sd/prometheus`: Prometheus' HTTP service discovery of the instances vertice runs.

The answer is the `http_sd_configs` format: one target group per running
instance that has an address (`vertice_core.service.discovery` says which,
at which port and with which labels). Administrators see every project;
users only theirs.
"""

from __future__ import annotations

import attrs
import falcon

from vertice_api.auth import caller_of
from vertice_api.context import AppContext
from vertice_core.service.discovery import prometheus_targets


class PrometheusTargets:
    """`/v3/sd/prometheus`: target groups of the caller's running instances."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            groups = prometheus_targets(session, caller_of(req), self.ctx.converter)
        resp.media = [attrs.asdict(group) for group in groups]
