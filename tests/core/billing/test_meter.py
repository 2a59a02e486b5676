"""The pure meter: what a known status history costs in an hour."""

from __future__ import annotations

import pytest

from vertice_core.billing.meter import HOUR, Line, Price, Span, amount, hour_of, meter

H = 1_800_000_000 // HOUR * HOUR  # an hour's start
SMALL = Price(running=0.36, stopped=0.018, currency="USD")


def span(state: str, start: float, end: float | None, *, assembly: str = "a1",
         region: str = "east", flavor: str = "small") -> Span:  # fmt: skip
    return Span("p1", assembly, f"web-{assembly}", region, flavor, state, start, end)


def prices(flavor: str, region: str) -> Price | None:
    return {"small": SMALL, "big": Price(3.6, 0.0, "EUR")}.get(flavor)


def test_a_span_inside_the_hour_is_charged_its_seconds_at_the_running_price() -> None:
    (line,) = meter([span("running", H + 600, H + 1500)], H, prices)
    assert line == Line(H, "p1", "a1", "web-a1", "east", "small", "running", 900.0, 0.36,
                        "USD", 90_000)  # fmt: skip  # 900 s at 0.36/h = 0.09


def test_a_span_across_hours_is_cut_at_the_hours_edges() -> None:
    long = span("running", H - 1000, H + HOUR + 5)
    assert [line.seconds for line in meter([long], H - HOUR, prices)] == [1000.0]
    assert [line.seconds for line in meter([long], H, prices)] == [float(HOUR)]
    assert [line.seconds for line in meter([long], H + HOUR, prices)] == [5.0]
    assert meter([long], H + 2 * HOUR, prices) == []


def test_an_open_span_counts_to_the_hours_end() -> None:
    (line,) = meter([span("running", H + 3000, None)], H, prices)
    assert line.seconds == 600.0 and line.amount_micros == 60_000


def test_stopped_has_its_own_price_and_other_states_are_free() -> None:
    history = [
        span("pending", H, H + 100),
        span("running", H + 100, H + 1900),
        span("stopped", H + 1900, H + 3500),
        span("error", H + 3500, None),
    ]
    lines = {line.state: line for line in meter(history, H, prices)}
    assert {s: (line.seconds, line.amount_micros) for s, line in lines.items()} == {
        "pending": (100.0, 0),
        "running": (1800.0, 180_000),
        "stopped": (1600.0, 8_000),
        "error": (100.0, 0),
    }


def test_instances_of_one_assembly_region_flavor_and_state_make_one_line() -> None:
    history = [
        span("running", H, H + 1800),
        span("running", H + 1800, None),  # the same ordinal, a new key
        span("running", H + 600, H + 1200),  # another ordinal
        span("running", H, H + 60, region="west"),
        span("running", H, H + 60, assembly="a2", flavor="big"),
    ]
    lines = meter(history, H, prices)
    assert [(x.assembly_id, x.region, x.flavor, x.seconds, x.amount_micros, x.currency)
            for x in lines] == [
        ("a1", "east", "small", 4200.0, 420_000, "USD"),
        ("a1", "west", "small", 60.0, 6_000, "USD"),
        ("a2", "east", "big", 60.0, 60_000, "EUR"),
    ]  # fmt: skip


def test_a_flavor_that_no_longer_exists_is_metered_free() -> None:
    (line,) = meter([span("running", H, None, flavor="gone")], H, prices)
    assert (line.seconds, line.price_per_hour, line.amount_micros) == (3600.0, 0.0, 0)


def test_metering_is_a_function_of_the_history_alone() -> None:
    history = [span("running", H + i * 7.3, H + i * 7.3 + 5.1, assembly=f"a{i % 3}")
               for i in range(400)]  # fmt: skip
    assert meter(history, H, prices) == meter(list(reversed(history)), H, prices)


@pytest.mark.parametrize(
    ("seconds", "price", "micros"),
    [(1.0, 0.0036, 1), (0.5, 0.0036, 0), (1.5, 0.0036, 2), (3600.0, 1e6, 10**12)],
)
def test_amounts_round_to_a_micro_unit(seconds: float, price: float, micros: int) -> None:
    assert amount(seconds, price) == micros


def test_hour_of() -> None:
    assert hour_of(H + 3599.9) == H and hour_of(H) == H and hour_of(H - 0.1) == H - HOUR
