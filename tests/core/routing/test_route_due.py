"""`RouteController.due`: the one-row watermark first, the routes one by one only when it moved.

The controller here has no router (its passes write "no router is configured"),
which is enough: `due` reads the store only. Every test runs a pass first, so
the controller has seen every route, then changes one thing behind its back.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from vertice_core.routing.controller import NO_ROUTER
from vertice_core.store.repositories.routes import RouteRepository
from vertice_core.store.tables import AssemblyRow, RouteRow


@pytest.fixture
def settled(ctx, alice, make_reconciler):
    """A route in front of alice's assembly, and a route controller that has seen both."""
    assert alice.declare("web-1").status_code == 201
    created = alice.post("/v3/routes", {"hostname": "a.example.test", "assembly": "web-1",
                                        "port": 80})  # fmt: skip
    assert created.status_code == 201, created.json
    controller = make_reconciler().routes
    controller.run_target(NO_ROUTER)
    assert controller.due(time.time()).counts == {}
    return controller, created.json["uri"].rsplit("/", 1)[1]


def statements_of(ctx, call):
    """The SQL statements `call()` sends."""
    sent: list[str] = []
    ctx.store.on_statement(sent.append)
    call()
    return sent


def test_an_idle_check_is_one_statement(ctx, settled):
    controller, _ = settled
    sent = statements_of(ctx, lambda: controller.due(time.time()))
    assert len(sent) == 1, sent


def test_an_assembly_whose_status_moved_makes_its_route_due(ctx, settled):
    controller, _ = settled
    with ctx.store.write() as session:
        session.execute(update(AssemblyRow).values(status_digest="moved"))
    assert controller.due(time.time()).counts == {NO_ROUTER: 1}
    controller.run_target(NO_ROUTER)
    assert controller.due(time.time()).counts == {}


def test_a_changed_spec_makes_its_route_due(ctx, settled):
    controller, route_id = settled
    with ctx.store.write() as session:
        changed = update(RouteRow).values(generation=RouteRow.generation + 1)
        session.execute(changed.where(RouteRow.id == route_id))
    assert controller.due(time.time()).counts == {NO_ROUTER: 1}


def test_a_due_retry_makes_its_route_due(ctx, settled):
    controller, route_id = settled
    now = time.time()
    with ctx.store.write() as session:
        session.execute(update(RouteRow).where(RouteRow.id == route_id).values(due_at=now + 60))
    assert controller.due(now).counts == {}
    assert controller.due(now + 61).counts == {NO_ROUTER: 1}


def test_a_new_and_a_deleted_route_are_due(ctx, alice, settled):
    controller, route_id = settled
    alice.post("/v3/routes", {"hostname": "b.example.test", "assembly": "web-1", "port": 80})
    assert controller.due(time.time()).counts == {NO_ROUTER: 1}
    controller.run_target(NO_ROUTER)
    with ctx.store.write() as session:
        RouteRepository(session).delete(session.get(RouteRow, route_id))
    assert controller.due(time.time()).counts == {NO_ROUTER: 1}, "the proxy still serves it"
