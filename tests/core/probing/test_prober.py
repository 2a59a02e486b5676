"""The prober against a real HTTP server: readiness, replacement after failures, an event.

The assembly runs on the sim region with `address: 127.0.0.1`, and its plan
publishes the port of an HTTP server this test runs, so every instance's
published address is that server: the probe of `/healthz` really goes over
TCP to it, and the test decides whether it answers 200 or 503.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vertice_core.probing.controller import DISCOVER

pytestmark = pytest.mark.slow


class Switch(http.server.BaseHTTPRequestHandler):
    """`/healthz` answers 200 while the server's `healthy` is set, else 503."""

    def do_GET(self) -> None:
        healthy = self.server.healthy.is_set()  # type: ignore[attr-defined]
        self.send_response(200 if healthy else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[tuple[int, threading.Event]]:
    """An HTTP server on a free 127.0.0.1 port (stopped at the end) and its health switch."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Switch)
    httpd.healthy = threading.Event()  # type: ignore[attr-defined]
    httpd.healthy.set()  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], httpd.healthy  # type: ignore[attr-defined]
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def plan_on(port: int) -> dict[str, Any]:
    return {
        "name": "9_probed_web",
        "camp_version": "1.2",
        "services": [{"name": "web", "characteristics": [
            {"type": "org.megam.web::env", "http.port": str(port)}]}],
    }  # fmt: skip


def settle(reconciler: Any, done: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = done()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not so after {timeout}s"
        reconciler.run_pass()
        reconciler.run_probe_pass()
        time.sleep(0.05)


def test_instances_are_ready_once_probed_unready_when_failing_and_replaced(
    admin, alice, make_reconciler, configure_sim, server
):
    port, healthy = server
    assert admin.post("/v3/plan_factory", plan_on(port)).status_code == 201
    configure_sim(address="127.0.0.1")
    probe = {"port": port, "path": "/healthz", "interval": 0.1, "failure_threshold": 3}
    declared = alice.declare("web-1", plan_uri="/v3/plan/9_probed_web", replicas=2, probe=probe)
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    assert declared.json["probe"] == {**probe, "timeout": 2.0}
    reconciler = make_reconciler()

    def status() -> dict[str, Any]:
        return alice.get(uri).json["status"]

    settle(reconciler, lambda: status()["ready_replicas"] == 2, "both instances ready")
    assert all(i["ready"] for i in status()["instances"])
    first = {i["key"] for i in status()["instances"]}

    healthy.clear()
    settle(reconciler, lambda: not any(i["ready"] for i in status()["instances"]),
           "both instances unready after a failed probe")  # fmt: skip
    assert status()["ready_replicas"] == 0

    def replaced() -> list[dict[str, Any]]:
        events = alice.get(f"{uri}/events").json["items"]
        return [e for e in events if e["reason"] == "InstanceUnhealthy"]

    events = settle(reconciler, replaced, "an instance replaced after 3 failures")
    assert events[0]["type"] == "Warning"
    assert "failed its probe 3 times in a row (GET /healthz on 127.0.0.1:" in events[0]["message"]

    healthy.set()
    settle(reconciler, lambda: status()["ready_replicas"] == 2
           and not first & {i["key"] for i in status()["instances"]},
           "both replaced, and the new ones ready")  # fmt: skip


def test_the_prober_is_due_again_soon_for_new_instances_and_costs_no_query_meanwhile(
    ctx, make_reconciler
):
    reconciler = make_reconciler()
    prober = reconciler.probes
    assert prober.due(0.0).counts == {"probes": 1}  # a first pass at once
    counted: list[str] = []
    ctx.store.on_statement(counted.append)
    (result,) = reconciler.run_probe_pass()
    assert (result.probed, result.error) == (0, None)
    after = time.time()
    queries = len(counted)
    assert queries > 0
    assert prober.due(after).counts == {}  # nothing to probe: not due at once...
    assert len(counted) == queries  # ...and finding that out read nothing
    soon = after + DISCOVER + 1
    assert prober.due(soon).counts == {"probes": 1}  # but it looks again soon


def test_a_new_instance_of_a_probed_assembly_is_not_ready_before_its_first_probe(
    admin, alice, make_reconciler, configure_sim, server
):
    # The pass that created an instance reported it ready (routes sent it requests at
    # once): a rolling replacement put a revision that never passed a probe in the routes.
    port, _ = server
    assert admin.post("/v3/plan_factory", plan_on(port)).status_code == 201
    configure_sim(address="127.0.0.1")
    probe = {"port": port, "path": "/healthz", "interval": 0.1, "failure_threshold": 3}
    uri = alice.declare("web-1", plan_uri="/v3/plan/9_probed_web", probe=probe).json["uri"]
    reconciler = make_reconciler()
    reconciler.run_pass()  # creates the instance; no probe ran
    (created,) = alice.get(uri).json["status"]["instances"]
    assert created["ready"] is False
    settle(reconciler, lambda: alice.get(uri).json["status"]["ready_replicas"] == 1, "ready")
