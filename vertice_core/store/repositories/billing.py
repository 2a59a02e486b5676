"""Metering, the ledger and standings (`vertice_core.billing`; tables in
`store.tables.billing`).

The meter's watermark, the start of the first hour not metered yet, is the setting
`metering.until`; the meter locks it while it meters an hour, so two reconcilers
never meter one hour at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.orm import Session

from vertice_core.billing.meter import Line, Price, Span
from vertice_core.ids import new_id
from vertice_core.store.bulk import insert_rows
from vertice_core.store.tables import (
    AssemblyRow,
    CreditRow,
    FlavorRow,
    InstanceSpanRow,
    SettingRow,
    StandingRow,
    UsageRow,
    utcnow,
)

#: The setting holding the meter's watermark (epoch seconds, an hour's start).
WATERMARK = "metering.until"
USAGE = cast(Table, UsageRow.__table__)
_S = InstanceSpanRow


class BillingRepository:
    """Reads and writes of metering, credits and standings (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the meter --

    def watermark(self, *, lock: bool = False) -> int | None:
        """The start of the first hour not metered yet (None: the meter never ran); with
        `lock`, the setting's row is held until the transaction ends (it is made first)."""
        query = select(SettingRow.value).where(SettingRow.key == WATERMARK)
        if lock:
            if self.session.scalar(query) is None:
                self.session.merge(SettingRow(key=WATERMARK, value=""))
                self.session.flush()
            query = query.with_for_update()
        value = self.session.scalar(query)
        return int(value) if value else None

    def set_watermark(self, hour: int) -> None:
        """The hours before `hour` are metered."""
        self.session.merge(SettingRow(key=WATERMARK, value=str(hour)))

    def first_span_start(self) -> float | None:
        """When the status history begins (None: it is empty)."""
        value = self.session.scalar(select(func.min(_S.started_at)))
        return float(value) if value is not None else None

    def spans(self, start: float, end: float) -> list[Span]:
        """The spans of the status history that overlap `[start, end)`."""
        rows = self.session.execute(
            select(_S.project_id, _S.assembly_id, _S.assembly_name, _S.region_name,
                   _S.flavor_name, _S.state, _S.started_at, _S.ended_at)
            .where(_S.started_at < end, or_(_S.ended_at.is_(None), _S.ended_at > start))
        )  # fmt: skip
        return [Span(*row) for row in rows]

    def prices(self) -> dict[str, FlavorRow]:
        """Every flavor by name (what the meter prices with)."""
        return {row.name: row for row in self.session.scalars(select(FlavorRow))}

    def replace_hour(self, hour: int, lines: Sequence[Line]) -> None:
        """Make `lines` the usage records of `hour` (those metered before are replaced)."""
        self.session.execute(delete(UsageRow).where(UsageRow.hour == hour))
        insert_rows(
            self.session.connection(),
            USAGE,
            [{"hour": line.hour, "project_id": line.project_id,
              "assembly_id": line.assembly_id, "region_name": line.region,
              "flavor_name": line.flavor, "state": line.state,
              "assembly_name": line.assembly_name, "seconds": line.seconds,
              "price_per_hour": line.price_per_hour, "currency": line.currency,
              "amount_micros": line.amount_micros} for line in lines],
        )  # fmt: skip

    # -- the ledger --

    def usage(self, project_ids: Sequence[str] | None, start: int, end: int) -> list[UsageRow]:
        """The usage records of these projects (None: every project's) for the hours
        in `[start, end)`, by hour, project, assembly, region, flavor and state."""
        query = select(UsageRow).where(UsageRow.hour >= start, UsageRow.hour < end)
        if project_ids is not None:
            query = query.where(UsageRow.project_id.in_(list(project_ids)))
        return list(self.session.scalars(query.order_by(*USAGE.primary_key.columns)))

    def charges(self, project_ids: Iterable[str] | None) -> dict[tuple[str, str], int]:
        """Micro-units charged, by (project, currency)."""
        query = select(UsageRow.project_id, UsageRow.currency, func.sum(UsageRow.amount_micros))
        if project_ids is not None:
            query = query.where(UsageRow.project_id.in_(list(project_ids)))
        rows = self.session.execute(query.group_by(UsageRow.project_id, UsageRow.currency))
        return {(str(p), str(c)): int(total or 0) for p, c, total in rows}

    def credited(self, project_ids: Iterable[str] | None) -> dict[tuple[str, str], int]:
        """Micro-units credited, by (project, currency)."""
        query = select(CreditRow.project_id, CreditRow.currency, func.sum(CreditRow.amount_micros))
        if project_ids is not None:
            query = query.where(CreditRow.project_id.in_(list(project_ids)))
        rows = self.session.execute(query.group_by(CreditRow.project_id, CreditRow.currency))
        return {(str(p), str(c)): int(total or 0) for p, c, total in rows}

    def credits(self, project_id: str) -> list[CreditRow]:
        """The credits of a project, oldest first."""
        query = select(CreditRow).where(CreditRow.project_id == project_id)
        return list(self.session.scalars(query.order_by(CreditRow.created_at, CreditRow.id)))

    def add_credit(
        self, project_id: str, micros: int, currency: str, note: str, by: str
    ) -> CreditRow:
        """Record a credit (negative: money taken back)."""
        row = CreditRow(id=new_id("cr"), project_id=project_id, amount_micros=micros,
                        currency=currency, note=note, created_by=by)  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row

    # -- standings --

    def standings(self, project_ids: Sequence[str]) -> dict[str, StandingRow]:
        """The recorded standings of these projects, by project id."""
        query = select(StandingRow).where(StandingRow.project_id.in_(list(project_ids)))
        return {row.project_id: row for row in self.session.scalars(query)}

    def put_standing(self, project_id: str, state: str, since: float | None) -> None:
        """Record where a project stands."""
        values: dict[str, Any] = {"state": state, "exhausted_since": since}
        row = self.session.get(StandingRow, project_id)
        if row is None:
            self.session.add(StandingRow(project_id=project_id, **values))
        else:
            row.state, row.exhausted_since = state, since
            row.updated_at = utcnow()


def price_of(flavor: FlavorRow | None, region: str) -> Price | None:
    """A flavor row's prices in `region` (None: no such flavor)."""
    if flavor is None:
        return None
    running = (flavor.region_prices or {}).get(region, flavor.price_per_hour)
    return Price(float(running), float(flavor.stopped_price_per_hour), flavor.currency)


def assemblies_of(session: Session, project_ids: Sequence[str]) -> list[AssemblyRow]:
    """The assemblies of these projects that are not being deleted (what the balance
    policy may stop or delete)."""
    query = select(AssemblyRow).where(
        AssemblyRow.project_id.in_(list(project_ids)), AssemblyRow.desired_state != "deleted"
    )
    return list(session.scalars(query.order_by(AssemblyRow.project_id, AssemblyRow.name)))
