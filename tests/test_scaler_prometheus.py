"""The scaler against a real Prometheus: up under load, down after the window, holds without it.

A real Prometheus (Debian's package) on a free port of 127.0.0.1 scrapes, every
second, a tiny `/metrics` endpoint the test serves on 127.0.0.1, whose gauge
`scaler_test_load` the test sets. The scaler of a sim-region assembly asks for
`ceil(load / 1)` replicas (`target_type: total`). With the load high the
reconciler scales the assembly up through the service layer; with the load low
it holds for the down window and then scales down; with Prometheus stopped it
holds whatever the load and says why. A query Prometheus cannot parse is
refused when it is declared, and accepted (then told in a condition) while
Prometheus is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from cryptography.fernet import Fernet

from vertice_core.config import Config
from vertice_core.scaling.prometheus import Prometheus
from vertice_core.store.repositories import ScalerRepository
from vertice_drivers.ports import free_port
from vertice_testing.prometheus import RunningPrometheus, running_prometheus

pytestmark = pytest.mark.slow

GAUGE = "scaler_test_load"


@attrs.define
class Load:
    """The gauge the test's metrics endpoint serves."""

    port: int
    value: float = 1.0


def until(check: Callable[[], Any], timeout: float = 60, step: float = 0.2) -> Any:
    """`check()`'s first truthy result, waiting at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"not reached within {timeout}s")


@pytest.fixture
def load() -> Iterator[Load]:
    """A `/metrics` endpoint on a free port of 127.0.0.1 serving the gauge."""
    gauge = Load(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"# TYPE {GAUGE} gauge\n{GAUGE} {gauge.value}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", gauge.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gauge
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def prometheus(tmp_path: Path, load: Load) -> Iterator[RunningPrometheus]:
    """A real Prometheus scraping the gauge every second (stopped at the end)."""
    job = {"job_name": "load", "static_configs": [{"targets": [f"127.0.0.1:{load.port}"]}]}
    with running_prometheus(tmp_path / "prometheus", [job]) as running:
        yield running


@pytest.fixture
def config(tmp_path: Path, db_url: str, prometheus: RunningPrometheus) -> Config:
    """An installation whose scalers query the test's Prometheus."""
    return Config(
        home=tmp_path / "home", database_url=db_url, secret_key=Fernet.generate_key().decode(),
        prometheus_url=prometheus.url,
    )  # fmt: skip


def sees(prometheus: RunningPrometheus, value: float) -> bool:
    """Whether Prometheus's latest sample of the gauge is `value`."""
    result = prometheus.query(GAUGE)
    return bool(result) and float(result[0]["value"][1]) == value


def condition(api: Any, uri: str, kind: str) -> dict[str, Any]:
    conditions = api.get(uri).json["status"]["conditions"]
    return next((c for c in conditions if c["type"] == kind), {})


def test_a_query_prometheus_cannot_parse_is_refused_when_declared(alice, store):
    alice.declare("web-1")
    for bad in (f"sum(rate({GAUGE}[1m]", f"{GAUGE}[1m]"):
        answer = alice.post("/v3/scalers", {"assembly": "web-1", "min": 1, "max": 3,
                                            "query": bad, "target": 1})  # fmt: skip
        assert answer.status_code == 422, answer.json
        (problem,) = answer.json["problems"]
        assert problem["path"] == "$.query" and "Prometheus refuses" in problem["message"]
    with store.read() as session:
        assert ScalerRepository(session).all() == []  # nothing stored
    good = {"assembly": "web-1", "min": 1, "max": 3, "query": f"sum({GAUGE})", "target": 1}
    assert alice.post("/v3/scalers", good).status_code == 201


def test_scales_up_then_down_after_the_window_and_holds_without_prometheus(
    alice, ctx, make_reconciler, prometheus, load
):
    assembly = alice.declare("web-1").json
    declared = alice.post("/v3/scalers", {
        "assembly": "web-1", "min": 1, "max": 6, "query": f"max({GAUGE})", "target": 1,
        "target_type": "total", "scale_down_window": 5, "cooldown": 0,
    })  # fmt: skip
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    reconciler = make_reconciler(prometheus=Prometheus(prometheus.url))

    def replicas_after_pass() -> int:
        reconciler.run_scaler_pass()
        return int(alice.get(assembly["uri"]).json["replicas"])

    until(lambda: sees(prometheus, 1.0))
    assert replicas_after_pass() == 1
    assert condition(alice, uri, "ScalingActive")["status"] == "True"

    load.value = 4.0
    until(lambda: replicas_after_pass() == 4)
    assert condition(alice, uri, "AbleToScale")["reason"] == "ScaledUp"
    status = alice.get(uri).json["status"]
    assert (status["value"], status["replicas"]) == (4.0, 4)
    with ctx.store.read() as session:
        (row,) = ScalerRepository(session).all()
        assert [n for _, n in row.history][-1] == 4  # kept for a restarted reconciler
        assert row.last_scale_at is not None

    load.value = 1.0
    reasons = set()

    def down() -> bool:
        replicas = replicas_after_pass()
        reasons.add(condition(alice, uri, "AbleToScale")["reason"])
        return replicas == 1

    until(down)
    assert "ScaleDownStabilized" in reasons, reasons  # held for the window, then scaled down
    events = alice.get(f"{assembly['uri']}/events").json["items"]
    scaled = [(e["reason"], e["message"]) for e in events if e["reason"].startswith("Scaled")]
    assert [r for r, _ in scaled] == ["ScaledUp", "ScaledDown"]
    assert "1 -> 4 replicas (metric 4," in scaled[0][1]
    assert "4 -> 1 replicas (metric 1," in scaled[1][1]

    prometheus.stop()
    load.value = 5.0
    inactive = until(lambda: replicas_after_pass() == 1
                     and condition(alice, uri, "ScalingActive").get("status") == "False"
                     and condition(alice, uri, "ScalingActive"))  # fmt: skip
    assert inactive["reason"] == "PrometheusUnreachable"
    assert "does not answer" in inactive["message"]
    for _ in range(5):
        assert replicas_after_pass() == 1  # holds: no value is no reason to move
    events = alice.get(f"{assembly['uri']}/events").json["items"]
    assert [e["reason"] for e in events if e["reason"].startswith("Scal")][-1] == (
        "ScalingInactive"
    )

    # Prometheus down at declaration: even a query it would refuse is accepted, and told later
    alice.declare("web-2")
    unchecked = alice.post("/v3/scalers", {"assembly": "web-2", "min": 1, "max": 3,
                                           "query": f"sum({GAUGE}", "target": 1})  # fmt: skip
    assert unchecked.status_code == 201, unchecked.json
    reconciler.run_scaler_pass()
    told = condition(alice, unchecked.json["uri"], "ScalingActive")
    assert (told["status"], told["reason"]) == ("False", "PrometheusUnreachable")


def test_a_scaler_never_scales_past_a_quota_and_says_so(
    alice, admin, make_reconciler, prometheus, load
):
    """Issue 13: the scaler declares replicas as its project would, so a quota holds it."""
    assembly = alice.declare("web-q").json
    project = assembly["project"]
    assert admin.put(f"/v3/quotas/{project}", {"instances": 2}).status_code == 200
    declared = alice.post("/v3/scalers", {
        "assembly": "web-q", "min": 1, "max": 6, "query": f"max({GAUGE})", "target": 1,
        "target_type": "total", "cooldown": 0,
    })  # fmt: skip
    assert declared.status_code == 201, declared.json
    reconciler = make_reconciler(prometheus=Prometheus(prometheus.url))
    load.value = 4.0
    until(lambda: sees(prometheus, 4.0))

    def refused() -> dict[str, Any]:
        reconciler.run_scaler_pass()
        able = condition(alice, declared.json["uri"], "AbleToScale")
        return able if able.get("reason") == "FailedUpdateScale" else {}

    able = until(refused)
    assert able["status"] == "False"
    assert "quota exceeded" in able["message"] and "may declare 2 of instances" in able["message"]
    assert alice.get(assembly["uri"]).json["replicas"] == 1
