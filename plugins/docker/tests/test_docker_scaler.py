"""The scaler of a Docker-backed assembly, end to end: real load, real metric, real Prometheus.

Every link of the chain is the real one. The assembly's busybox containers
count the requests their `/cgi-bin/work` answers and export the count at
`/cgi-bin/metrics` (`docker_engine_peer.busybox`). A real Prometheus (Debian's
package, on a reserved port of 127.0.0.1) finds the containers through
vertice's own service discovery (`GET /v3/sd/prometheus` of the test's
installation, served on 127.0.0.1 with alice's token), at the published
address of the assembly's `metrics_port`, and scrapes them every second. A
route sends `web.vertice.test` to the containers through a real Caddy, and the
reconciler runs as in production (`run_forever`, in a thread) with the route
and scaler controllers. The scaler asks for one instance per 20 requests per
second (`sum(rate(...))`, `target_type: total`).

`wrk` sends requests to `/cgi-bin/work` through Caddy, far more than 20 a
second: the scaler scales the assembly up, with a `ScaledUp` event carrying the
metric and both counts. wrk stops: once the rate has fallen and the down window
has passed, the scaler scales back down to `min`. Prometheus stopped and load
sent again: the scaler holds, pass after pass, and says Prometheus is
unreachable. Every wait has a deadline; no duration is asserted.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vertice_core.router import RouterConfig
from vertice_core.routing.controller import RouterTarget
from vertice_core.routing.routers import router_info
from vertice_core.scaling.prometheus import Prometheus
from vertice_testing import wrk
from vertice_testing.caddy import Caddy
from vertice_testing.prometheus import RunningPrometheus, running_prometheus, sd_job, serving_app
from vertice_testing.waiting import until

pytestmark = pytest.mark.slow

HOST = "web.vertice.test"
#: Requests per second one instance is meant to take: wrk's load is many times that.
TARGET = 20
MAX = 4
#: Seconds the scaler waits, the load gone, before it scales down.
DOWN_WINDOW = 5
#: Instances take requests once httpd answers (not as soon as their container runs).
PROBE = {"port": 8080, "path": "/", "interval": 1, "timeout": 1, "failure_threshold": 3}
SCALED = re.compile(r": (\d+) -> (\d+) replicas \(metric ([\d.e+-]+), target total 20\)")


@pytest.fixture
def prometheus(tmp_path, client, alice) -> Iterator[RunningPrometheus]:
    """Prometheus scraping `/cgi-bin/metrics` of every instance vertice's discovery lists
    for alice (the test's API served on 127.0.0.1 for it); both stopped at the end."""
    with serving_app(client.app) as api_url:
        job = sd_job("vertice-instances", api_url, alice.token, "/cgi-bin/metrics")
        with running_prometheus(tmp_path / "prometheus", [job]) as running:
            yield running


@pytest.fixture
def reconciling(make_reconciler, installation, caddy, prometheus) -> Iterator[Callable[[], None]]:
    """`reconciling()` starts the reconciler, with the Caddy router and the Prometheus, in a
    thread (stopped at the end)."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> None:
        info = router_info("caddy")
        settings = info.settings(admin=caddy.admin_url, http_port=caddy.http_port,
                                 https_port=caddy.https_port, listen_host="127.0.0.1")  # fmt: skip
        router = info.load()(RouterConfig("default", "caddy", installation, settings))
        reconciler = make_reconciler(
            router=RouterTarget("default", router), prometheus=Prometheus(prometheus.url)
        )
        threads.append(threading.Thread(target=reconciler.run_forever, args=(stop,), daemon=True))
        threads[-1].start()

    yield start
    stop.set()
    for thread in threads:
        thread.join(30)


def load(caddy: Caddy) -> Any:
    """wrk sending requests to `/cgi-bin/work` through Caddy (stopped with `wrk.finish`)."""
    return wrk.start(f"http://127.0.0.1:{caddy.http_port}/cgi-bin/work", 120,
                     connections=4, headers=[f"Host: {HOST}"])  # fmt: skip


def scaler_passes(ctx: Any) -> float:
    """How many passes the scaler controller made, whatever their outcome."""
    return sum(s.value for m in ctx.metrics.scaler_passes.collect() for s in m.samples
               if s.name.endswith("_total"))  # fmt: skip


def test_scales_up_under_load_down_after_the_window_and_holds_without_prometheus(
    alice, ctx, docker_region, declare, caddy, prometheus, reconciling
):
    docker_region()
    uri = declare("web", replicas=1, metrics_port=8080, probe=PROBE)
    assembly = alice.get(uri).json["id"]
    route = alice.post("/v3/routes", {"hostname": HOST, "assembly": "web", "port": 8080,
                                      "tls": "off"})  # fmt: skip
    assert route.status_code == 201, route.json
    declared = alice.post("/v3/scalers", {
        "assembly": "web", "min": 1, "max": MAX, "target": TARGET, "target_type": "total",
        "query": f'sum(rate(busybox_requests_total{{assembly="{assembly}"}}[5s]))',
        "scale_down_window": DOWN_WINDOW, "cooldown": 2,
    })  # fmt: skip
    assert declared.status_code == 201, declared.json
    scaler = declared.json["uri"]
    reconciling()

    def condition(kind: str) -> dict[str, Any]:
        conditions = alice.get(scaler).json["status"].get("conditions") or []
        return next((c for c in conditions if c["type"] == kind), {})

    def replicas() -> int:
        return int(alice.get(uri).json["replicas"])

    def running() -> int:
        """How many instances run and are ready (their probe passed)."""
        instances = alice.get(uri).json["status"]["instances"]
        return sum(1 for i in instances if i["state"] == "running" and i["ready"])

    def scaled(reason: str) -> list[tuple[int, int, float]]:
        events = alice.get(f"{uri}/events").json["items"]
        found = [SCALED.search(e["message"]) for e in events if e["reason"] == reason]
        return [(int(m[1]), int(m[2]), float(m[3])) for m in found if m]

    # Prometheus scrapes the one container through the discovery, and the scaler reads it
    until(lambda: prometheus.query(f'up{{assembly="{assembly}", replica="0"}} == 1'),
          "the container discovered and scraped", 90)  # fmt: skip
    until(lambda: condition("ScalingActive").get("status") == "True", "a metric found")
    assert replicas() == 1

    work = load(caddy)
    try:
        until(lambda: replicas() > 1 and running() == replicas(), "scaled up and running", 60)
    finally:
        measured = wrk.finish(work, interrupt=True)
    print(f"wrk while scaling up: {measured}")
    old, new, value = scaled("ScaledUp")[0]
    assert old == 1 and 1 < new <= MAX
    assert value > TARGET  # the metric that made it scale: the load, many times the target
    assert measured.requests_per_second > 2 * TARGET, measured
    assert measured.non_2xx == 0, measured  # new instances took requests once ready only

    reasons: set[str] = set()

    def down() -> bool:
        reasons.add(condition("AbleToScale").get("reason", ""))
        return replicas() == 1 and running() == 1

    until(down, "scaled back down to one", 60)
    assert "ScaleDownStabilized" in reasons, reasons  # the window held it, then it moved
    assert scaled("ScaledDown")[-1][1] == 1
    print(f"scaled up: {scaled('ScaledUp')}; down: {scaled('ScaledDown')}")

    prometheus.stop()
    work = load(caddy)
    try:
        inactive = until(lambda: (condition("ScalingActive").get("status") == "False"
                                  and condition("ScalingActive")), "Prometheus missed")  # fmt: skip
        assert inactive["reason"] == "PrometheusUnreachable", inactive
        first = scaler_passes(ctx)

        def held() -> bool:
            assert replicas() == 1  # no value is no reason to move
            return scaler_passes(ctx) >= first + 5

        until(held, "five scaler passes")
        assert running() == 1
    finally:
        print(f"wrk without Prometheus: {wrk.finish(work, interrupt=True)}")
    assert condition("ScalingActive")["reason"] == "PrometheusUnreachable"
