"""The API's own metrics: a middleware timing every request, and `GET /metrics`.

`/metrics` answers in Prometheus' text exposition format with the values of
every process of the installation (multiprocess mode under `vertice serve`),
plus `vertice_assemblies{phase=...}`, counted in the database when scraped.
It needs no token: it carries counts, never tenants' data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import falcon
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from vertice_api.context import AppContext
from vertice_core.metrics import Metrics, exposition
from vertice_core.store.repositories import AssemblyRepository

#: The methods counted under their own name; any other is counted as `other`.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def labels(req: falcon.Request, resp: falcon.Response) -> tuple[str, str, str]:
    """The route, method and status labels of a request, each from a bounded set.

    A label value that a client chooses is a new series in every worker's file and in every
    scrape, for good (issue 17): 2,000 requests with random methods grew `/metrics` from
    92 KB to 3.6 MB. So the route is the matched template (one `unmatched` for every path no
    route matches, never the raw path), the method is one of `METHODS` or `other`, and the
    status is the numeric code the app chose, never anything read from the request.
    """
    route = req.uri_template or "unmatched"
    method = req.method if req.method in METHODS else "other"
    return route, method, str(resp.status_code)


class RequestMetrics:
    """Counts and times every request by route template, method and status (see `labels`)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        # `labels()` costs more than the increment; each combination is looked up once.
        self._series: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool
    ) -> None:
        started = getattr(req.context, "started", None)
        if started is None:
            return
        key = labels(req, resp)
        series = self._series.get(key)
        if series is None:
            route, method, status = key
            series = self._series[key] = (
                self.metrics.http_requests.labels(route, method, status),
                self.metrics.http_seconds.labels(route, method),
            )
        series[0].inc()
        series[1].observe(time.perf_counter() - started)


class _Phases:
    """A collector of how many assemblies are in each phase, read at scrape time."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("vertice_assemblies", "Assemblies by phase", labels=["phase"])
        with self.ctx.store.read() as session:
            for phase, count in AssemblyRepository(session).count_by_phase().items():
                family.add_metric([phase], count)
        yield family


class MetricsResource:
    """`/metrics`: the installation's metrics in Prometheus' exposition format."""

    public = True

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.phases = _Phases(ctx)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = exposition(self.ctx.metrics, [self.phases])
