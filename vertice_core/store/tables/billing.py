"""The tables of metering and billing (issue 13): the history of observed instance states,
the usage records metered from it, the credits administrators add, and each project's
standing under the balance policy.

Money is stored as whole **micro-units** of its currency (`BigInteger`): sums and
balances are exact on every engine, where floats would drift and `Numeric` is not
portable to SQLite. The history and the usage records name their project and
assembly without a foreign key: they outlive the assembly, as events do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, NAME, Base, utcnow


class InstanceSpanRow(Base):
    """One stretch of time an instance was observed in one state (the status history).

    The reconciler writes them with the instance rows, in the same transaction: when an
    instance's observed state, key or region changes, the ordinal's open span is closed
    (`ended_at`) and a new one opened; when the instance is gone (deleted, its assembly
    removed), the open span is closed and none is opened. At most one span per
    (assembly, ordinal) is open (`ended_at` NULL).
    """

    __tablename__ = "instance_spans"
    __table_args__ = (
        Index("ix_instance_spans_assembly_id_ordinal", "assembly_id", "ordinal"),
        Index("ix_instance_spans_ended_at", "ended_at"),
        Index("ix_instance_spans_started_at", "started_at"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    project_id: Mapped[str] = mapped_column(String(ID))
    assembly_id: Mapped[str] = mapped_column(String(ID))
    assembly_name: Mapped[str] = mapped_column(String(NAME))
    ordinal: Mapped[int] = mapped_column(Integer)
    #: The instance's key (one per incarnation of the ordinal).
    key: Mapped[str] = mapped_column(String(128))
    region_name: Mapped[str] = mapped_column(String(NAME))
    #: The flavor the instance ran (its row's; else its assembly's when the span was
    #: opened): what its price is read from. A resize closes the span and opens another.
    flavor_name: Mapped[str] = mapped_column(String(NAME))
    #: The observed state: running, stopped, pending, error (`vertice_core.driver.State`).
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, default=None)


class UsageRow(Base):
    """What one assembly's instances of one flavor used in one region and state during one
    hour, and its price: written by the meter, replaced whole when an hour is metered
    again (so metering twice gives the same ledger)."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_project_id_hour", "project_id", "hour"),)
    #: The hour's start, epoch seconds (a multiple of 3600).
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    assembly_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    region_name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    flavor_name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    assembly_name: Mapped[str] = mapped_column(String(NAME))
    #: Instance-seconds in that state during the hour.
    seconds: Mapped[float] = mapped_column(Float)
    #: The price per instance-hour it was charged at, and in which currency.
    price_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    amount_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class CreditRow(Base):
    """Money an administrator added to a project's balance (negative: taken back)."""

    __tablename__ = "credits"
    __table_args__ = (Index("ix_credits_project_id", "project_id"),)
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(NAME), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StandingRow(Base):
    """Where a project stands under the balance policy (`vertice_core.billing.policy`):
    `ok`, `low` (warned), `exhausted` (new launches refused), `stopped`, `deleted`; and
    since when its balance has been exhausted (the grace periods count from it)."""

    __tablename__ = "standings"
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), default="ok")
    exhausted_since: Mapped[float | None] = mapped_column(Float, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
