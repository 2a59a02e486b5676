"""The meter on a known status history: the ledger it writes, written once per hour
however often and however abruptly it runs."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from vertice_api.cli import main
from vertice_core.billing.controller import SETTLE
from vertice_core.billing.meter import HOUR, Price, Span, hour_of, meter
from vertice_core.store.repositories import FlavorRepository
from vertice_core.store.repositories.billing import BillingRepository
from vertice_core.store.tables import InstanceSpanRow, UsageRow
from vertice_testing.processes import reconciler_env, start_reconciler

PRICES = {"small": Price(0.01, 0.0, "USD"), "medium": Price(0.04, 0.0, "USD")}


def history(start: float, hours: int, assemblies: int, seed: int) -> list[Span]:
    """A made-up history: each assembly's one ordinal switching states at random times."""
    rng = random.Random(seed)
    spans = []
    for a in range(assemblies):
        at = start + rng.uniform(0, 3 * HOUR)
        end = start + hours * HOUR
        while at < end:
            length = rng.uniform(60, 9 * HOUR)
            closed = at + length if at + length < end or rng.random() < 0.5 else None
            state = rng.choice(["running", "running", "stopped", "pending"])
            spans.append(Span(f"p{a % 3}", f"a{a}", f"web{a}", "local",
                              rng.choice(["small", "medium"]), state, at, closed))  # fmt: skip
            if closed is None:
                break
            at = closed
    return spans


def store_history(ctx: Any, spans: Sequence[Span]) -> None:
    with ctx.store.write() as session:
        session.add_all(
            InstanceSpanRow(project_id=s.project_id, assembly_id=s.assembly_id,
                            assembly_name=s.assembly_name, ordinal=0, key=f"k-{i}",
                            region_name=s.region, flavor_name=s.flavor, state=s.state,
                            started_at=s.started_at, ended_at=s.ended_at)
            for i, s in enumerate(spans)
        )  # fmt: skip


def expected(spans: Sequence[Span], first: int, last: int) -> list[tuple[Any, ...]]:
    """The ledger of hours `[first, last)`, metered by the pure function."""
    lines = []
    for hour in range(first, last, HOUR):
        for line in meter(spans, hour, lambda flavor, region: PRICES.get(flavor)):
            lines.append((line.hour, line.project_id, line.assembly_id, line.flavor,
                          line.state, round(line.seconds, 6), line.amount_micros))  # fmt: skip
    return sorted(lines)


def ledger(ctx: Any) -> list[tuple[Any, ...]]:
    with ctx.store.read() as session:
        rows = session.scalars(select(UsageRow))
        return sorted((r.hour, r.project_id, r.assembly_id, r.flavor_name, r.state,
                       round(r.seconds, 6), r.amount_micros) for r in rows)  # fmt: skip


def watermark(ctx: Any) -> int | None:
    with ctx.store.read() as session:
        return BillingRepository(session).watermark()


START = hour_of(1_700_000_000)


def test_a_known_history_gives_the_expected_ledger_once_whatever_the_passes(
    ctx: Any, make_reconciler: Callable[..., Any]
) -> None:
    spans = history(START, 60, 12, seed=3)
    store_history(ctx, spans)
    meter = make_reconciler().meter
    meter.batch = 7
    now = START + 60 * HOUR + SETTLE + 1
    passes = [meter.meter_closed(now) for _ in range(10)]
    assert passes == [7] * 8 + [4, 0]  # the 60 hours, at most 7 a pass
    assert watermark(ctx) == START + 60 * HOUR
    want = expected(spans, START, START + 60 * HOUR)
    assert ledger(ctx) == want and sum(line[-1] for line in want) > 0
    assert meter.remeter(START, now) == 60
    assert ledger(ctx) == want


def test_an_hour_is_metered_once_it_closed_and_settled(
    ctx: Any, make_reconciler: Callable[..., Any]
) -> None:
    store_history(ctx, [Span("p", "a", "web", "local", "small", "running", START + 10, None)])
    meter = make_reconciler().meter
    assert meter.meter_closed(START + HOUR + SETTLE - 1) == 0  # closed, not settled
    assert watermark(ctx) is None
    assert meter.meter_closed(START + HOUR + SETTLE) == 1
    assert ledger(ctx) == [(START, "p", "a", "small", "running", 3590.0, 9972)]
    # an open span goes on being charged, an hour at a time
    assert meter.meter_closed(START + 3 * HOUR + SETTLE) == 2
    assert [line[-1] for line in ledger(ctx)] == [9972, 10000, 10000]


def test_no_history_meters_nothing(ctx: Any, make_reconciler: Callable[..., Any]) -> None:
    assert make_reconciler().meter.meter_closed(time.time()) == 0
    assert watermark(ctx) is None


@pytest.mark.slow
def test_a_meter_killed_in_the_middle_charges_no_hour_twice_or_never(ctx: Any) -> None:
    """A real `vertice reconcile` meters 800 past hours; it is killed (SIGKILL) while at it,
    then started again: the ledger is the one the pure meter gives."""
    hours = 800
    first = hour_of(time.time()) - (hours + 2) * HOUR
    spans = history(first, hours, 40, seed=8)
    store_history(ctx, spans)
    env = reconciler_env(ctx)
    child = start_reconciler(env, "meter-1")
    try:
        deadline = time.monotonic() + 120
        while (watermark(ctx) or first) < first + 50 * HOUR:
            assert time.monotonic() < deadline, "the meter did not start"
            assert child.poll() is None, "the reconciler ended"
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    stopped_at = watermark(ctx)
    assert stopped_at is not None and stopped_at < first + hours * HOUR, "killed too late"
    again = start_reconciler(env, "meter-2")
    try:
        deadline = time.monotonic() + 300
        while (watermark(ctx) or 0) < first + hours * HOUR:
            assert time.monotonic() < deadline, f"stuck at {watermark(ctx)}"
            assert again.poll() is None, "the reconciler ended"
            time.sleep(0.2)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(30)
    final = watermark(ctx)
    assert final is not None and final >= first + hours * HOUR
    assert ledger(ctx) == expected(spans, first, final)


def test_vertice_db_remeter_prices_past_hours_again(
    ctx: Any, make_reconciler: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flavor's price was wrong; corrected, `vertice db remeter` charges the hours
    already metered at the new one, and leaves the hours not metered yet alone."""
    store_history(ctx, [Span("p", "a", "web", "local", "small", "running", START, None)])
    make_reconciler().meter.meter_closed(START + 3 * HOUR + SETTLE)
    assert [line[-1] for line in ledger(ctx)] == [10_000] * 3
    with ctx.store.write() as session:
        FlavorRepository(session).get("small").price_per_hour = 0.02  # type: ignore[union-attr]
    monkeypatch.setenv("VERTICE_HOME", str(ctx.config.home))
    monkeypatch.setenv("VERTICE_DATABASE_URL", ctx.config.database_url)
    begin = datetime.fromtimestamp(START + HOUR, UTC).isoformat()
    result = CliRunner().invoke(main, ["db", "remeter", "--from", begin])
    assert result.exit_code == 0, result.output
    assert result.output == "metered 2 hour(s) again\n"
    assert [line[-1] for line in ledger(ctx)] == [10_000, 20_000, 20_000]
    assert watermark(ctx) == START + 3 * HOUR
    bad = CliRunner().invoke(main, ["db", "remeter", "--from", "last tuesday"])
    assert bad.exit_code == 1 and "--from must be an ISO 8601 date" in bad.output
