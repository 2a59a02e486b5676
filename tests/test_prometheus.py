"""Prometheus discovers vertice's instances and scrapes them, and vertice's own metrics.

A real Prometheus (Debian's package) on 127.0.0.1 reads `GET /v3/sd/prometheus`
of a real `vertice serve` with a bearer token; the sim region reports
127.0.0.1 as its instances' address, where a real node_exporter listens on the
port the assembly asks for. Prometheus must list the targets with vertice's
labels and health `up`, a node_exporter series must carry the assembly label,
and Prometheus must scrape vertice's own `/metrics`.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from vertice_drivers.ports import free_port
from vertice_testing.prometheus import running_prometheus, sd_job

pytestmark = pytest.mark.slow


def background(command: list[str], log) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def node_exporter(tmp_path) -> Iterator[int]:
    """A real node_exporter on a free port of 127.0.0.1."""
    binary = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    assert binary, "make test installs Debian's prometheus-node-exporter"
    port = free_port()
    with (tmp_path / "node_exporter.log").open("wb") as log:
        process = background([binary, f"--web.listen-address=127.0.0.1:{port}"], log)
    try:
        wait(lambda: httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait(check: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, KeyError, IndexError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"not reached within {timeout}s ({last})")


@pytest.fixture
def prometheus(tmp_path, live_server) -> Iterator[str]:
    """A real Prometheus discovering through the live server's SD endpoint, and scraping the
    server's own `/metrics`."""
    jobs = [
        sd_job("vertice-instances", live_server.url, live_server.token),
        {
            "job_name": "vertice",
            "static_configs": [{"targets": [live_server.url.removeprefix("http://")]}],
        },
    ]
    with running_prometheus(tmp_path / "prometheus", jobs) as running:
        yield running.url


def test_prometheus_discovers_and_scrapes_vertice_instances(live_server, node_exporter, prometheus):
    headers = {"Authorization": f"Bearer {live_server.token}"}
    base = live_server.url
    region = {"cloud_type": "sim", "provider_region": "local", "settings": {"address": "127.0.0.1"}}
    assert httpx.put(f"{base}/v3/regions/local", json=region, headers=headers).status_code == 200
    declared = httpx.post(
        f"{base}/v3/assembly_factory",
        json={"name": "node-1", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local",
              "flavor": "small", "metrics_port": node_exporter},
        headers=headers,
    )  # fmt: skip
    assert declared.status_code == 201, declared.text
    assembly = declared.json()["id"]
    wait(lambda: httpx.get(f"{base}/v3/sd/prometheus", headers=headers).json())
    (group,) = httpx.get(f"{base}/v3/sd/prometheus", headers=headers).json()
    assert group["targets"] == [f"127.0.0.1:{node_exporter}"]
    assert group["labels"]["__meta_vertice_assembly"] == assembly
    assert group["labels"]["__meta_vertice_instance"] == "0"
    assert httpx.get(f"{base}/v3/sd/prometheus").status_code == 401

    def discovered() -> dict[str, Any]:
        targets = httpx.get(f"{prometheus}/api/v1/targets").json()["data"]["activeTargets"]
        return next(
            (t for t in targets if t["labels"].get("assembly") == assembly and t["health"] == "up"),
            {},
        )

    target = wait(discovered)
    assert target["labels"]["assembly_name"] == "node-1"
    assert target["labels"]["cloud_type"] == "sim"
    assert target["discoveredLabels"]["__meta_vertice_plan"] == "1_virtualmachine_ubuntu"

    def series() -> list[dict[str, Any]]:
        query = {"query": f'node_boot_time_seconds{{assembly="{assembly}"}}'}
        return httpx.get(f"{prometheus}/api/v1/query", params=query).json()["data"]["result"]

    (sample,) = wait(series)
    assert sample["metric"]["project"]
    assert sample["metric"]["flavor"] == "small"
    assert sample["metric"]["replica"] == "0"

    def own_metrics_scraped() -> list[dict[str, Any]]:
        query = {"query": 'up{job="vertice"} == 1'}
        return httpx.get(f"{prometheus}/api/v1/query", params=query).json()["data"]["result"]

    wait(own_metrics_scraped)
    query = {"query": 'sum(vertice_http_requests_total{route="/v3/sd/prometheus"})'}
    (count,) = wait(
        lambda: httpx.get(f"{prometheus}/api/v1/query", params=query).json()["data"]["result"]
    )
    assert float(count["value"][1]) >= 1
