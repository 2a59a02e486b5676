"""The tables of the controllers beside the assembly reconciler: placements across regions,
probes, routes and scalers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, Base, utcnow


class PlacementRow(Base):
    """A region an assembly with a placement may run instances in (its passes read these)."""

    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_region_name", "region_name"),)
    assembly_id: Mapped[str] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    region_name: Mapped[str] = mapped_column(ForeignKey("regions.name"), primary_key=True)
    #: Its place in the placement's list of regions (0: the first).
    position: Mapped[int] = mapped_column(Integer)


class ProbeRow(Base):
    """The last probes of one instance of an assembly, by ordinal. Written by the prober.

    `key` names the instance probed: a row of an older incarnation says nothing
    about the current one. The reconciler reads `ready` (routes send requests to
    the instance) and whether `failures` reached `threshold` (replace it).
    """

    __tablename__ = "probes"
    assembly_id: Mapped[str] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    #: Failures in a row (0 after a probe that passed).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The probe's `failure_threshold` when it was written.
    threshold: Mapped[int] = mapped_column(Integer, default=3)
    checked_at: Mapped[float] = mapped_column(Float, default=0.0)
    #: Why the last probe failed ("" when it passed).
    message: Mapped[str] = mapped_column(Text, default="")


class RouteRow(Base):
    """A route: a hostname (and path prefix) a reverse proxy sends to an assembly's port.

    The spec is written by the API, the status and bookkeeping by the route
    controller. There is no foreign key to the assembly: a route outlives it
    (and says so in its status) until its owner deletes it.
    """

    __tablename__ = "routes"
    __table_args__ = (
        UniqueConstraint("hostname"),
        Index("ix_routes_project_id_hostname", "project_id", "hostname"),
        Index("ix_routes_assembly_id", "assembly_id"),
        Index("ix_routes_due_at", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- spec: written by the API --
    hostname: Mapped[str] = mapped_column(String(253))
    path_prefix: Mapped[str] = mapped_column(String(200), default="")
    assembly_id: Mapped[str] = mapped_column(String(ID))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[str] = mapped_column(String(16), default="internal")
    balancing: Mapped[str] = mapped_column(String(16), default="round_robin")
    #: The active health check (`HealthCheck` as JSON), or NULL.
    health_check: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None
    )
    #: The certificate and key of `tls: provided`, sealed ("" otherwise).
    sealed_tls: Mapped[str] = mapped_column(Text, default="")
    generation: Mapped[int] = mapped_column(Integer, default=1)

    # -- status: written by the route controller --
    phase: Mapped[str] = mapped_column(String(16), default="PENDING")
    message: Mapped[str] = mapped_column(Text, default="")
    #: Conditions, upstreams and the router, as the converter's JSON of `RouteStatus`.
    status: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status_digest: Mapped[str] = mapped_column(String(40), default="")
    observed_generation: Mapped[int] = mapped_column(Integer, default=0)

    # -- bookkeeping: written by the route controller --
    due_at: Mapped[float | None] = mapped_column(Float, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ScalerRow(Base):
    """A scaler: an assembly's replicas driven by a Prometheus query (one per assembly).

    The spec is written by the API, the status and bookkeeping by the scaler
    controller, which changes the assembly's replicas through the service layer.
    `history` holds the recent recommendations the stabilisation windows need, so
    a restarted reconciler decides as the one before it would have.
    """

    __tablename__ = "scalers"
    __table_args__ = (
        UniqueConstraint("assembly_id"),
        Index("ix_scalers_project_id", "project_id"),
        Index("ix_scalers_due_at", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- spec: written by the API --
    assembly_id: Mapped[str] = mapped_column(String(ID))
    min_replicas: Mapped[int] = mapped_column(Integer)
    max_replicas: Mapped[int] = mapped_column(Integer)
    query: Mapped[str] = mapped_column(Text)
    target: Mapped[float] = mapped_column(Float)
    target_type: Mapped[str] = mapped_column(String(16), default="average")
    tolerance: Mapped[float] = mapped_column(Float, default=0.1)
    scale_up_window: Mapped[float] = mapped_column(Float, default=0.0)
    scale_down_window: Mapped[float] = mapped_column(Float, default=300.0)
    cooldown: Mapped[float] = mapped_column(Float, default=30.0)
    max_step: Mapped[int] = mapped_column(Integer, default=4)
    generation: Mapped[int] = mapped_column(Integer, default=1)

    # -- status: written by the scaler controller --
    #: Conditions, the last value and decision, as the controller's JSON.
    status: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status_digest: Mapped[str] = mapped_column(String(40), default="")
    observed_generation: Mapped[int] = mapped_column(Integer, default=0)

    # -- bookkeeping: written by the scaler controller --
    #: Recent recommendations, `[[epoch seconds, replicas], ...]` (bounded; see scaling.plan).
    history: Mapped[list[Any]] = mapped_column(default=list)
    #: When the scaler last changed the assembly's replicas (epoch seconds).
    last_scale_at: Mapped[float | None] = mapped_column(Float, default=None)
    due_at: Mapped[float | None] = mapped_column(Float, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
