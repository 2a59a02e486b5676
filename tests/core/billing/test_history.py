"""The status history the reconciler writes (`instance_spans`), and the meter over it:
against the simulated cloud, with a clock moved on by hours instead of waiting them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select

from vertice_core.billing.controller import SETTLE
from vertice_core.billing.meter import HOUR, hour_of
from vertice_core.store.tables import InstanceSpanRow, UsageRow
from vertice_testing.clocks import ShiftedClock

pytestmark = pytest.mark.slow


def spans(ctx: Any, assembly_id: str) -> list[InstanceSpanRow]:
    with ctx.store.read() as session:
        query = select(InstanceSpanRow).where(InstanceSpanRow.assembly_id == assembly_id)
        return list(session.scalars(query.order_by(InstanceSpanRow.id)))


def test_each_observed_state_is_a_span_closed_when_it_changes_or_the_assembly_goes(
    alice: Any, ctx: Any, make_reconciler: Callable[..., Any], converge: Any
) -> None:
    clock = ShiftedClock()
    reconciler = make_reconciler(clock=clock)
    uri = alice.declare("web", replicas=2).headers["location"]
    assembly_id = uri.rsplit("/", 1)[1]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    running = spans(ctx, assembly_id)
    assert {(s.ordinal, s.state, s.ended_at) for s in running} >= {
        (0, "running", None), (1, "running", None)
    }  # fmt: skip
    assert all(s.project_id and s.assembly_name == "web" and s.flavor_name == "small"
               and s.region_name == "local" for s in running)  # fmt: skip
    clock.shift(2 * HOUR)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    after = spans(ctx, assembly_id)
    by_state = {(s.ordinal, s.state): s for s in after}
    for ordinal in (0, 1):
        was = by_state[(ordinal, "running")]
        now = by_state[(ordinal, "stopped")]
        assert was.ended_at is not None and was.ended_at - was.started_at >= 2 * HOUR
        assert now.ended_at is None and now.started_at == was.ended_at
    # at most one open span per ordinal, whatever passes ran
    assert sorted(s.ordinal for s in after if s.ended_at is None) == [0, 1]
    alice.delete(uri)
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    assert all(s.ended_at is not None for s in spans(ctx, assembly_id))


def test_the_meter_charges_what_ran_hour_by_hour_and_the_same_again(
    alice: Any, ctx: Any, make_reconciler: Callable[..., Any], converge: Any
) -> None:
    clock = ShiftedClock()
    reconciler = make_reconciler(clock=clock)
    uri = alice.declare("web").headers["location"]
    assembly_id = uri.rsplit("/", 1)[1]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    clock.shift(3 * HOUR)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    (ran,) = [s for s in spans(ctx, assembly_id) if s.state == "running"]
    assert ran.ended_at is not None
    clock.shift(2 * HOUR + SETTLE)
    meter = reconciler.meter
    hours = meter.meter_closed(clock())
    assert hours >= 5
    records = usage(ctx)
    running = [r for r in records if r.state == "running"]
    # every hour the instance ran in is charged its seconds in it, at 0.01 an hour
    assert sum(r.seconds for r in running) == pytest.approx(ran.ended_at - ran.started_at)
    assert {r.hour for r in running} == set(
        range(hour_of(ran.started_at), hour_of(ran.ended_at) + 1, HOUR)
    )
    for record in running:
        assert record.price_per_hour == 0.01 and record.currency == "USD"
        assert record.amount_micros == round(record.seconds * 0.01 * 1e6 / HOUR)
    # the builtin flavors cost nothing stopped
    assert all(r.amount_micros == 0 for r in records if r.state == "stopped")
    # metering again, from the start, gives the same records
    assert meter.remeter(hour_of(ran.started_at) - HOUR, clock()) >= 5
    assert usage(ctx) == records
    assert meter.meter_closed(clock()) == 0  # nothing new closed
    assert usage(ctx) == records


class Record(NamedTuple):
    hour: int
    assembly_id: str
    state: str
    seconds: float
    price_per_hour: float
    currency: str
    amount_micros: int


def usage(ctx: Any) -> list[Record]:
    """Every usage record, in order."""
    with ctx.store.read() as session:
        rows = session.scalars(select(UsageRow).order_by(UsageRow.hour, UsageRow.state))
        return [Record(*(getattr(r, f) for f in Record._fields)) for r in rows]
