"""A real Prometheus (Debian's package) on 127.0.0.1, the peer of the discovery and scaler tests.

`running_prometheus(home, scrape_configs)` writes a configuration that scrapes
and evaluates every second, starts `prometheus` on a free port of 127.0.0.1
with its database under `home`, waits until it is ready, and stops it when the
block ends (a test may stop it earlier, to see what vertice does without it).
`sd_job()` is the scrape job of vertice's instances, found through vertice's
HTTP service discovery (`GET /v3/sd/prometheus`) with a bearer token and
relabelled so that queries can select an assembly. `serving_app(app)` serves
a WSGI app (an in-process vertice API) on 127.0.0.1, so that a Prometheus can
reach the discovery endpoint of a test's own installation.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import attrs
import httpx
import yaml

from vertice_drivers.ports import free_port
from vertice_testing.waiting import until_answers

__all__ = ["RELABEL", "RunningPrometheus", "running_prometheus", "sd_job", "serving_app"]

#: vertice's discovery labels, kept under plain names (Prometheus drops `__meta_` labels).
RELABEL = [
    ("__meta_vertice_assembly", "assembly"),
    ("__meta_vertice_assembly_name", "assembly_name"),
    ("__meta_vertice_project", "project"),
    ("__meta_vertice_region", "region"),
    ("__meta_vertice_cloud_type", "cloud_type"),
    ("__meta_vertice_plan", "plan"),
    ("__meta_vertice_flavor", "flavor"),
    ("__meta_vertice_instance", "replica"),
]


@attrs.define
class RunningPrometheus:
    """A Prometheus process and its base URL."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop it (again: nothing)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The result of an instant query (`[]` when it has no series)."""
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=2)
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result


def sd_job(name: str, sd_url: str, token: str, metrics_path: str = "/metrics") -> dict[str, Any]:
    """The scrape job of the instances `GET {sd_url}/v3/sd/prometheus` lists for `token`."""
    return {
        "job_name": name,
        "metrics_path": metrics_path,
        "http_sd_configs": [{
            "url": f"{sd_url}/v3/sd/prometheus",
            "refresh_interval": "1s",
            # Debian's Prometheus 2.42 sends no scheme unless told.
            "authorization": {"type": "Bearer", "credentials": token},
        }],
        "relabel_configs": [
            {"source_labels": [source], "target_label": target} for source, target in RELABEL
        ],
    }  # fmt: skip


def prometheus_binary() -> str | None:
    """The `prometheus` executable on PATH (Debian's package), or None."""
    return shutil.which("prometheus")


@contextmanager
def running_prometheus(
    home: Path, scrape_configs: Sequence[dict[str, Any]], timeout: float = 90
) -> Iterator[RunningPrometheus]:
    """Prometheus scraping `scrape_configs` every second, until the block ends."""
    binary = prometheus_binary()
    assert binary, "make test installs Debian's prometheus"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": list(scrape_configs),
    }))  # fmt: skip
    port = free_port()
    log = home / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={home / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = RunningPrometheus(f"http://127.0.0.1:{port}", process)
    try:
        until_answers(f"{running.url}/-/ready", process, log, "prometheus", timeout)
        yield running
    finally:
        running.stop()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass


@contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """Serve the WSGI `app` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    server: WSGIServer = make_server("127.0.0.1", port, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
