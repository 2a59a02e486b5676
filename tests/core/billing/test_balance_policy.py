"""The balance policy end to end, against the simulated cloud with a clock moved on by
hours: no launch without credit; credit, usage, a warning, the balance exhausted (launches
refused), running instances stopped after the grace period; credit again, and each step an
event the notifier plugins receive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from vertice_core.billing.meter import HOUR
from vertice_core.billing.policy import PolicySettings
from vertice_core.config import Config
from vertice_core.hooks import hookimpl
from vertice_core.model.status import Event
from vertice_core.service.billing import BillingService
from vertice_core.service.caller import Caller
from vertice_testing.clocks import ShiftedClock

pytestmark = pytest.mark.slow

POLICY = PolicySettings(warn_below=0.05, enforce=True, stop_after=2 * HOUR)


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    """An installation that enforces the balance policy."""
    return Config(home=tmp_path / "home", database_url=db_url,
                  secret_key=Fernet.generate_key().decode(), billing=POLICY)  # fmt: skip


class Notifier:
    """A notifier plugin: what it was handed."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    @hookimpl
    def vertice_event_recorded(self, event: Event, project_id: str | None) -> None:
        self.events.append(event)

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events if e.reason.startswith("Balance")]


def credit(ctx: Any, project: str, amount: str) -> None:
    admin = Caller(user_id="", name="admin", admin=True, project_ids=())
    with ctx.store.write() as session:
        BillingService().credit(session, admin, project, amount)


def test_a_project_pays_for_what_it_runs_and_is_stopped_when_it_cannot(
    alice: Any, ctx: Any, make_reconciler: Callable[..., Any], converge: Any
) -> None:
    notifier = Notifier()
    ctx.plugins.register(notifier)
    project = alice.get("/v3/projects").json["items"][0]["name"]
    clock = ShiftedClock.next_hour()
    reconciler = make_reconciler(clock=clock)
    meter = reconciler.meter

    def meter_pass() -> None:
        meter.run_target("meter")

    # no credit: a priced flavor is refused, and nothing is stored
    refused = alice.declare("web", replicas=2)
    assert refused.status_code == 403, refused.text
    assert "balance" in refused.json["description"] and project in refused.json["description"]
    assert alice.get("/v3/assembly_factory").json["items"] == []

    credit(ctx, project, "0.10")
    uri = alice.declare("web", replicas=2).headers["location"]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")

    # 2 instances at 0.01 an hour: after 3 hours 0.04 is left, below the 0.05 warning
    clock.shift(3 * HOUR + 400)
    meter_pass()
    assert notifier.reasons() == ["BalanceLow"]
    low = notifier.events[-1]
    assert low.project == project and "0.05" in low.message

    # 3 hours more: exhausted; a scale-up is refused, a scale-down is not
    clock.shift(3 * HOUR)
    meter_pass()
    assert notifier.reasons() == ["BalanceLow", "BalanceExhausted"]
    more = alice.patch(uri, [{"op": "replace", "path": "/replicas", "value": 3}])
    assert more.status_code == 403 and "balance" in more.json["description"]
    assert alice.patch(uri, [{"op": "replace", "path": "/replicas", "value": 1}]).status_code == 200
    assert alice.status(uri)  # still running: the grace period is 2 hours

    # past the grace period: its running assemblies are declared stopped, and stop
    clock.shift(2 * HOUR + 60)
    meter_pass()
    assert notifier.reasons() == ["BalanceLow", "BalanceExhausted", "BalanceStopped"]
    assert alice.get(uri).json["desired_state"] == "stopped"
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")

    # credited again: back to ok; its owner may start it
    credit(ctx, project, "5")
    meter_pass()
    assert notifier.reasons()[-1] == "BalanceRestored"
    started = alice.patch(uri, [{"op": "replace", "path": "/desired_state", "value": "running"}])
    assert started.status_code == 200, started.text
    with ctx.store.read() as session:
        (balance,) = BillingService().balances(session, Caller("", "a", True, ()), project)
    assert balance.standing == "ok" and balance.lowest > 0


def test_deletion_after_the_longer_period_spares_free_flavors(
    alice: Any, admin: Any, ctx: Any, make_reconciler: Callable[..., Any], converge: Any
) -> None:
    """With `delete_after` set, a project still exhausted past it has its assemblies of
    priced flavors deleted; an assembly of a free flavor runs on, never stopped."""
    admin.post("/v3/flavors", {"name": "free", "cpu": 1, "ram": 512, "disk": 1})
    project = alice.get("/v3/projects").json["items"][0]["name"]
    clock = ShiftedClock.next_hour()
    settings = PolicySettings(enforce=True, stop_after=HOUR, delete_after=3 * HOUR)
    reconciler = make_reconciler(clock=clock, billing=settings)
    credit(ctx, project, "0.01")
    priced = alice.declare("priced").headers["location"]
    free = alice.declare("free", flavor="free").headers["location"]
    credit(ctx, project, "-0.01")  # taken back: exhausted at the first pass
    converge(reconciler, lambda: {alice.status(u)["phase"] for u in (priced, free)} == {"RUNNING"})
    standings = []
    for _ in range(5):  # an hour at a time
        clock.shift(HOUR + 400)
        reconciler.meter.run_target("meter")
        with ctx.store.read() as session:
            (found,) = BillingService().balances(session, Caller("", "a", True, ()), project)
        standings.append(found.standing)
    assert standings == ["exhausted", "stopped", "stopped", "deleted", "deleted"]
    converge(reconciler, lambda: alice.get(priced).status_code == 404)
    assert alice.get(free).json["desired_state"] == "running"
    assert alice.status(free)["phase"] == "RUNNING"
