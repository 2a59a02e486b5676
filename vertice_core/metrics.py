"""The control plane's own metrics, in Prometheus' terms (prometheus-client).

Build one `Metrics` per process (in `main` or `create_app`) and pass it on;
nothing registers globally. Every process of an installation on one machine
(the API's gunicorn workers and the reconcilers, under `vertice serve` or
started apart) writes its values to files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode, chosen by
that variable for the metrics made once it is set), and the API's `/metrics`
adds them up, so every worker and the reconciler count. Without that
variable the values live in `Metrics.registry`. `vertice_core.metrics_folder`
says which folder, and when the files of processes that ended go.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

#: Latency buckets (seconds) for HTTP requests and driver calls.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def multiprocess_dir() -> str | None:
    """The folder multiprocess metrics are written to, if this process uses one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric vertice exports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "vertice_http_requests", "HTTP requests served", ["route", "method", "status"],
            registry=r,
        )  # fmt: skip
        self.http_seconds = Histogram(
            "vertice_http_request_seconds", "HTTP request latency", ["route", "method"],
            buckets=BUCKETS, registry=r,
        )  # fmt: skip
        self.passes = Counter(
            "vertice_reconcile_passes", "Reconcile passes over a region", ["region", "outcome"],
            registry=r,
        )  # fmt: skip
        self.pass_seconds = Histogram(
            "vertice_reconcile_pass_seconds", "Duration of a pass over a region", ["region"],
            buckets=BUCKETS, registry=r,
        )  # fmt: skip
        self.route_passes = Counter(
            "vertice_route_passes", "Route controller passes over a router", ["router", "outcome"],
            registry=r,
        )  # fmt: skip
        self.probe_passes = Counter(
            "vertice_probe_passes", "Prober passes", ["target", "outcome"], registry=r,
        )  # fmt: skip
        self.scaler_passes = Counter(
            "vertice_scaler_passes", "Scaler controller passes", ["prometheus", "outcome"],
            registry=r,
        )  # fmt: skip
        self.build_passes = Counter(
            "vertice_build_passes", "Build controller passes", ["target", "outcome"], registry=r,
        )  # fmt: skip
        self.binding_passes = Counter(
            "vertice_binding_passes", "Binding controller passes", ["target", "outcome"],
            registry=r,
        )  # fmt: skip
        self.meter_passes = Counter(
            "vertice_meter_passes", "Meter passes", ["target", "outcome"], registry=r,
        )  # fmt: skip
        self.snapshot_passes = Counter(
            "vertice_snapshot_passes", "Snapshot controller passes over a region",
            ["region", "outcome"], registry=r,
        )  # fmt: skip
        self.disk_passes = Counter(
            "vertice_disk_passes", "Disk controller passes over a region",
            ["region", "outcome"], registry=r,
        )  # fmt: skip
        self.builds = Counter(
            "vertice_builds", "Builds finished", ["builder", "state"], registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "vertice_reconcile_queue_depth", "Assemblies due now", registry=r,
            multiprocess_mode="livemax",
        )  # fmt: skip
        self.queue_lag = Gauge(
            "vertice_reconcile_queue_lag_seconds", "How long the oldest due assembly has waited",
            registry=r, multiprocess_mode="livemax",
        )  # fmt: skip
        self.driver_calls = Counter(
            "vertice_driver_calls", "Driver calls", ["cloud_type", "verb", "outcome"], registry=r
        )
        self.driver_seconds = Histogram(
            "vertice_driver_call_seconds", "Driver call latency", ["cloud_type", "verb"],
            buckets=BUCKETS, registry=r,
        )  # fmt: skip
        self.ghosts = Counter(
            "vertice_ghosts_removed", "Ghost instances deleted", ["region"], registry=r
        )
        self.db_statements = Counter(
            "vertice_db_statements", "SQL statements executed", ["kind"], registry=r
        )
        self._statement_kinds: dict[str, Any] = {}
        self.db_retries = Counter(
            "vertice_db_retries", "Requests tried again after the database failed them",
            ["reason"], registry=r,
        )  # fmt: skip

    def value(self, name: str, **labels: str) -> float:
        """The current value of one sample of this process (0 if it was never set)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def calls(self, cloud_type: str, verb: str, outcome: str = "ok") -> float:
        """How many driver calls of `verb` ended with `outcome` in this process."""
        return self.value(
            "vertice_driver_calls_total", cloud_type=cloud_type, verb=verb, outcome=outcome
        )

    def count_statement(self, statement: str) -> None:
        """Count one SQL statement as a read, a write or other (transactions, pragmas)."""
        head = statement.lstrip()[:6].upper()
        if head == "SELECT":
            kind = "read"
        elif head in ("INSERT", "UPDATE", "DELETE"):
            kind = "write"
        else:
            kind = "other"
        # `labels()` costs more than the increment: each kind's child is looked up once.
        child = self._statement_kinds.get(kind)
        if child is None:
            child = self._statement_kinds[kind] = self.db_statements.labels(kind)
        child.inc()


def process_ended() -> None:
    """Drop this process's live gauges from the shared folder as it ends (they would go on
    counting in the max over the live processes); its counts stay in the sums."""
    folder = multiprocess_dir()
    if folder:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]


def exposition(metrics: Metrics, extra: Iterable[object] = ()) -> bytes:
    """The text exposition of every process's metrics (or this process's alone)."""
    folder = multiprocess_dir()
    registry = CollectorRegistry()
    if folder:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry = metrics.registry
    for collector in extra:
        registry.register(collector)  # type: ignore[arg-type]
    try:
        return bytes(generate_latest(registry))
    finally:
        for collector in extra:
            registry.unregister(collector)  # type: ignore[arg-type]
