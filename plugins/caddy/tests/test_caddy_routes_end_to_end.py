"""Routes end to end: the API declares, the route controller converges a real Caddy.

The assemblies run on the sim region with `address: 127.0.0.1`, and their plan
publishes the port an upstream of the test listens on, so every instance's
published address is that upstream: requests sent to Caddy for the route's
hostname reach it.
"""

from __future__ import annotations

import time

import pytest

from vertice_core import builtins
from vertice_core.routing.controller import RouterTarget
from vertice_drivers.router_testkit import route_spec, serve_upstream

pytestmark = pytest.mark.slow


def plan_on(port: int, name: str = "9_web_on_a_port") -> dict:
    return {
        "name": name,
        "camp_version": "1.2",
        "services": [
            {
                "name": "web",
                "characteristics": [{"type": "org.megam.web::env", "http.port": str(port)}],
            }
        ],
    }


@pytest.fixture
def upstream():
    with serve_upstream("upstream-a") as served:
        yield served


@pytest.fixture
def routed(ctx, admin, alice, caddy, make_router, make_reconciler, configure_sim, upstream):
    """A reconciler whose route controller drives the test's Caddy, and an assembly
    of alice's whose instances publish the upstream's port."""
    port = int(upstream.address.rsplit(":", 1)[1])
    assert admin.post("/v3/plan_factory", plan_on(port)).status_code == 201
    configure_sim(address="127.0.0.1")
    router = make_router(installation=builtins.installation_id(ctx.store))
    reconciler = make_reconciler(router=RouterTarget("default", router))
    declared = alice.declare("web-1", plan_uri="/v3/plan/9_web_on_a_port", replicas=2)
    assert declared.status_code == 201, declared.json
    return reconciler, router


def settle(reconciler, done, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the controllers did not converge"
        reconciler.run_pass()
        reconciler.route_runtime.run_target("default")
        time.sleep(0.05)


def test_a_declared_route_is_served_by_caddy_and_removed_when_deleted(
    alice, caddy, routed, upstream
):
    reconciler, _ = routed
    created = alice.post("/v3/routes", {"hostname": "web.example.test", "assembly": "web-1",
                                        "port": int(upstream.address.rsplit(":", 1)[1]),
                                        "tls": "off"})  # fmt: skip
    assert created.status_code == 201, created.json
    uri = created.json["uri"]
    settle(reconciler, lambda: alice.get(uri).json["status"]["upstreams"] == [upstream.address])
    route = alice.get(uri).json
    assert route["status"]["phase"] == "READY"
    assert route["status"]["router"] == "default"
    assert route["url"] == f"http://web.example.test:{caddy.http_port}/"
    assert {c["type"]: c["status"] for c in route["status"]["conditions"]} == {
        "Synced": "True",
        "Ready": "True",
    }
    status, body = caddy.request("web.example.test", "/hello")
    assert (status, body.splitlines()[0]) == (200, "upstream-a")

    assert alice.delete(uri).status_code == 204
    settle(reconciler, lambda: caddy.request("web.example.test", "/")[1] == "")
    assert reconciler.routes.target.router.observe() == {}


def test_caddy_restarted_empty_gets_its_routes_back_within_a_pass(alice, caddy, routed, upstream):
    reconciler, router = routed
    port = int(upstream.address.rsplit(":", 1)[1])
    body = {"hostname": "web.example.test", "assembly": "web-1", "port": port, "tls": "off"}
    uri = alice.post("/v3/routes", body).json["uri"]
    settle(reconciler, lambda: alice.get(uri).json["status"]["upstreams"] == [upstream.address])
    caddy.stop()
    result = reconciler.route_runtime.run_target("default")
    assert result.error, "a proxy that does not answer fails the pass"
    assert "does not answer" in alice.get(uri).json["status"]["message"]
    caddy.start()  # an empty configuration
    assert router.observe() == {}
    reconciler.route_runtime.run_target("default")
    assert caddy.request("web.example.test", "/")[1].startswith("upstream-a")
    assert alice.get(uri).json["status"]["phase"] == "READY"


def test_an_instance_scaled_away_is_deleted_only_once_caddy_no_longer_sends_it_requests(
    alice, caddy, routed, upstream
):
    """Its drain (0.5 s here) has long ended while Caddy is down: the route's status still
    says Caddy may send it requests, so it is kept (draining) until Caddy, started again
    empty, took the route without it; the route's document does not show the keys."""
    reconciler, _ = routed
    port = int(upstream.address.rsplit(":", 1)[1])
    body = {"hostname": "web.example.test", "assembly": "web-1", "port": port, "tls": "off"}
    uri = alice.post("/v3/routes", body).json["uri"]
    assembly = alice.get("/v3/assembly_factory").json["items"][0]["uri"]
    settle(reconciler, lambda: alice.get(uri).json["status"]["upstreams"] == [upstream.address])
    assert set(alice.get(uri).json["status"]) == {
        "phase", "message", "observed_generation", "upstreams", "router", "conditions"}  # fmt: skip

    caddy.stop()
    alice.replace(assembly, "/replicas", 1)
    deadline = time.monotonic() + 2.0  # four times the drain
    while time.monotonic() < deadline:
        reconciler.run_pass()
        reconciler.route_runtime.run_target("default")
        time.sleep(0.05)
    instances = alice.get(assembly).json["status"]["instances"]
    assert [(i["ordinal"], i["draining"]) for i in instances] == [(0, False), (1, True)]
    assert "does not answer" in alice.get(uri).json["status"]["message"]

    caddy.start()  # empty: the next route pass gives it the route, without ordinal 1
    settle(reconciler, lambda: len(alice.get(assembly).json["status"]["instances"]) == 1)
    assert alice.get(uri).json["status"]["phase"] == "READY"
    assert caddy.request("web.example.test", "/")[1].startswith("upstream-a")


def test_a_route_deleted_from_caddy_by_hand_comes_back_and_foreign_config_is_left_alone(
    alice, caddy, routed, upstream, make_router
):
    reconciler, router = routed
    port = int(upstream.address.rsplit(":", 1)[1])
    foreign = make_router(installation="vti-someoneelse")
    with serve_upstream("foreign") as other:
        mine = route_spec("other.example.test", other)
        foreign.apply(mine)
        body = {"hostname": "web.example.test", "assembly": "web-1", "port": port, "tls": "off"}
        uri = alice.post("/v3/routes", body).json["uri"]
        route_id = uri.rsplit("/", 1)[1]
        settle(reconciler, lambda: caddy.request("web.example.test", "/")[1].startswith("upstream"))
        router.remove(route_id)  # by hand, behind vertice's back
        assert caddy.request("web.example.test", "/")[1] == ""
        reconciler.route_runtime.run_target("default")
        assert caddy.request("web.example.test", "/")[1].startswith("upstream-a")
        assert caddy.request("other.example.test", "/")[1].startswith("foreign")
        assert list(foreign.observe()) == [mine.id]


def test_without_a_router_routes_say_so(alice, make_reconciler, upstream):
    alice.declare("web-1")
    uri = alice.post("/v3/routes", {"hostname": "a.example.test", "assembly": "web-1",
                                    "port": 80}).json["uri"]  # fmt: skip
    reconciler = make_reconciler()
    reconciler.route_runtime.run_target("(no router)")
    status = alice.get(uri).json["status"]
    assert status["phase"] == "PENDING"
    assert "no router is configured" in status["message"]


def test_a_pass_applies_twenty_routes_with_one_apply_all_call(alice, caddy, routed, upstream):
    """The controller hands the router a pass's changes in one call (a spy on the real
    router counts them; Caddy does the work), and Caddy sees a constant number of writes."""
    reconciler, router = routed
    port = int(upstream.address.rsplit(":", 1)[1])
    calls: list[tuple[int, int]] = []
    real_apply_all, real_apply = router.apply_all, router.apply

    def apply_all(specs, remove=()):
        calls.append((len(specs), len(remove)))
        return real_apply_all(specs, remove)

    def apply(spec):
        calls.append((-1, 0))
        return real_apply(spec)

    router.apply_all, router.apply = apply_all, apply
    uris = [alice.post("/v3/routes", {"hostname": f"b{i}.example.test", "assembly": "web-1",
                                      "port": port, "tls": "off"}).json["uri"]
            for i in range(20)]  # fmt: skip
    writes = caddy.config_writes()
    reconciler.route_runtime.run_target("default")
    assert calls == [(20, 0)]
    assert caddy.config_writes() - writes <= 2, "one write per changed array, not per route"
    assert len(router.observe()) == 20
    assert {alice.get(uri).json["status"]["phase"] for uri in uris} <= {"READY", "PENDING"}
    assert all("did not take" not in alice.get(u).json["status"]["message"] for u in uris)
    for uri in uris[:10]:
        assert alice.delete(uri).status_code == 204
    reconciler.route_runtime.run_target("default")
    assert calls[1:] == [(0, 10)]
    assert len(router.observe()) == 10
