"""Metering, the pure part: what a known status history costs in one hour.

An hour is metered once it has closed (and a settling time has passed, so the last
writes of the reconciler's passes in it are in). Each span of the history that
overlaps the hour contributes the seconds it overlaps, to the line of its project,
assembly, region, flavor and observed state. A line's price per hour is the
flavor's, read when the hour is metered: its running price in the region
(`region_prices`, else `price_per_hour`) for `running`, its `stopped_price_per_hour`
for `stopped`, nothing for the other states (`pending`, `error`: the instance is
not usable). The amount is rounded to a micro-unit once per line, so metering the
same history again gives the same amounts to the unit.

A span still open counts to the hour's end: it is what the reconciler last saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

#: Seconds in an hour: the metering period, and what prices are per.
HOUR = 3600
#: Micro-units in a unit of currency: how amounts are stored (exact integers).
MICROS = 1_000_000
#: The observed states that are priced, and by which price.
PRICED = ("running", "stopped")


@attrs.frozen
class Span:
    """One stretch of the status history (`InstanceSpanRow`)."""

    project_id: str
    assembly_id: str
    assembly_name: str
    region: str
    flavor: str
    state: str
    started_at: float
    ended_at: float | None


@attrs.frozen
class Price:
    """A flavor's prices per instance-hour in one region."""

    running: float
    stopped: float
    currency: str

    def of(self, state: str) -> float:
        """The price per hour of an instance observed in `state`."""
        return self.running if state == "running" else self.stopped if state == "stopped" else 0.0


FREE = Price(0.0, 0.0, "USD")


@attrs.frozen
class Line:
    """What one assembly's instances of a flavor used in one region and state in an hour."""

    hour: int
    project_id: str
    assembly_id: str
    assembly_name: str
    region: str
    flavor: str
    state: str
    seconds: float
    price_per_hour: float
    currency: str
    amount_micros: int


def hour_of(at: float) -> int:
    """The start of the hour `at` falls in."""
    return int(at // HOUR) * HOUR


def amount(seconds: float, price_per_hour: float) -> int:
    """The charge in micro-units of `seconds` at `price_per_hour` (rounded half to even)."""
    return round(seconds * price_per_hour * MICROS / HOUR)


def meter(
    spans: Iterable[Span], hour: int, price: Callable[[str, str], Price | None]
) -> list[Line]:
    """The lines of `hour` (its start, a multiple of `HOUR`) from the spans that overlap
    it; `price(flavor, region)` is None for a flavor that no longer exists (free)."""
    end = hour + HOUR
    seconds: dict[tuple[str, str, str, str, str], float] = {}
    names: dict[str, str] = {}
    for span in spans:
        lo = max(span.started_at, hour)
        hi = min(end if span.ended_at is None else span.ended_at, end)
        if hi <= lo:
            continue
        key = (span.project_id, span.assembly_id, span.region, span.flavor, span.state)
        seconds[key] = seconds.get(key, 0.0) + (hi - lo)
        names[span.assembly_id] = span.assembly_name
    lines = []
    for (project_id, assembly_id, region, flavor, state), used in sorted(seconds.items()):
        prices = price(flavor, region) or FREE
        rate = prices.of(state)
        line = Line(hour, project_id, assembly_id, names[assembly_id], region, flavor, state,
                    used, rate, prices.currency, amount(used, rate))  # fmt: skip
        lines.append(line)
    return lines
