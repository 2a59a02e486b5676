"""The route controller's pure plan, as tables: upstreams of instances, and what a pass does."""

from __future__ import annotations

import pytest

from vertice_core.model.route import RoutePhase
from vertice_core.router import spec_digest
from vertice_core.routing.plan import RouteFacts, plan_pass, spec_of, upstream_of


def instance(state="running", access=(), private="10.0.0.5", public="203.0.113.5"):
    return {"state": state, "access": list(access), "private_ipv4": private, "public_ipv4": public}


@pytest.mark.parametrize(
    ("given", "port", "plan_ports", "expected"),
    [
        # a published plan port: its published address, in the order of the plan's ports
        (
            instance(access=["127.0.0.1:32001", "127.0.0.1:32002"]),
            443,
            [80, 443],
            "127.0.0.1:32002",
        ),
        (instance(access=["127.0.0.1:32001"]), 80, [80, 443], "127.0.0.1:32001"),
        # a plan port the cloud did not publish: the private address
        (instance(access=["127.0.0.1:32001"]), 443, [80, 443], "10.0.0.5:443"),
        # not a plan port: the private address, else the public one, else nowhere
        (instance(access=["127.0.0.1:32001"]), 9000, [80], "10.0.0.5:9000"),
        (instance(private=""), 9000, [], "203.0.113.5:9000"),
        (instance(private="", public=""), 9000, [], None),
        # only running instances receive requests
        (instance(state="pending", access=["127.0.0.1:1"]), 80, [80], None),
        (instance(state="stopped"), 80, [80], None),
        (instance(state="error"), 80, [80], None),
        # a draining instance (scaled down, or replaced) receives no new requests
        ({**instance(access=["127.0.0.1:1"]), "draining": True}, 80, [80], None),
        ({**instance(access=["127.0.0.1:1"]), "draining": False}, 80, [80], "127.0.0.1:1"),
    ],
)
def test_upstream_of_an_instance(given, port, plan_ports, expected):
    assert upstream_of(given, port, plan_ports) == expected


def facts(route_id="rte-1", instances=(), exists=True, **changes):
    values = {
        "id": route_id, "hostname": f"{route_id}.example.test", "path_prefix": "", "port": 80,
        "tls": "off", "balancing": "round_robin", "assembly_id": "asm-1",
        "assembly_exists": exists, "instances": instances, "plan_ports": (80,),
    }  # fmt: skip
    return RouteFacts(**{**values, **changes})


UP = [instance(access=["127.0.0.1:1"]), instance(access=["127.0.0.1:2"]), instance("pending")]


def test_upstreams_are_the_running_instances_sorted_and_unique():
    twice = [*UP, instance(access=["127.0.0.1:1"])]
    assert spec_of(facts(instances=twice)).upstreams == ("127.0.0.1:1", "127.0.0.1:2")


def test_a_decision_names_the_instances_behind_its_upstreams():
    """What the route's status records once the proxy took it (the reconciler deletes an
    instance it drains only once no route serves it): running, not draining."""
    keyed = [{**i, "key": f"k{n}"} for n, i in enumerate(UP)]
    draining = {**instance(access=["127.0.0.1:3"]), "key": "k9", "draining": True}
    (decision,) = plan_pass([facts(instances=[*keyed, draining])], {}, spec_digest).decisions
    assert decision.serving == ("k0", "k1")


@pytest.mark.parametrize(
    ("routes", "live", "applied", "removed", "messages"),
    [
        # nothing served yet: apply
        ([facts(instances=UP)], {}, ["rte-1"], [], ["served by 2 instances"]),
        # served as declared: nothing to do
        ([facts(instances=UP)], "same", [], [], ["served by 2 instances"]),
        # served with other upstreams (an instance came): apply again
        ([facts(instances=UP)], {"rte-1": "old"}, ["rte-1"], [], ["served by 2 instances"]),
        # nothing running yet: applied anyway (the proxy answers 503), and said so
        ([facts(instances=[instance("pending")])], {}, ["rte-1"], [],
         ["no running instance serves port 80: the proxy answers 503"]),
        ([facts(exists=False)], {}, ["rte-1"], [],
         ["the assembly asm-1 no longer exists: the proxy answers 503"]),
        # served but no longer declared: removed
        ([], {"rte-9": "x"}, [], ["rte-9"], []),
        ([facts(instances=UP[:1])], {"rte-9": "x", "rte-1": "y"}, ["rte-1"], ["rte-9"],
         ["served by 1 instance"]),
    ],
)  # fmt: skip
def test_a_pass_applies_what_differs_and_removes_the_undeclared(
    routes, live, applied, removed, messages
):
    if live == "same":
        live = {r.id: spec_digest(spec_of(r)) for r in routes}
    plan = plan_pass(routes, live, spec_digest)
    assert [d.spec.id for d in plan.decisions if d.apply] == applied
    assert list(plan.remove) == removed
    assert [d.message for d in plan.decisions] == messages
    assert {d.phase for d in plan.decisions} <= {RoutePhase.READY}
