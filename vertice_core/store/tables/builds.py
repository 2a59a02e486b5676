"""The tables of the build controller: builds and their logs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, NAME, Base, utcnow


class BuildRow(Base):
    """A build of an assembly's source: requested by the API, run by the build controller.

    `revision` counts the assembly's builds from 1. A build is `queued` until a
    reconciler claims it (`holder`, `lease_until`: renewed while it runs, so a build
    whose reconciler died is claimed again once its lease ran out), then `running`,
    then `succeeded`, `failed` or `cancelled`. Its log is in `build_logs`. A succeeded build
    whose revision never became healthy is failed afterwards (reason `RolloutFailed`).
    """

    __tablename__ = "builds"
    __table_args__ = (
        UniqueConstraint("assembly_id", "revision"),
        Index("ix_builds_project_id", "project_id"),
        Index("ix_builds_state", "state"),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    #: The region whose engine builds it (the assembly's).
    region_name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- what to build: written by the API --
    #: The repository's URL (never holds a secret: one in a URL is refused).
    url: Mapped[str] = mapped_column(Text)
    ref: Mapped[str] = mapped_column(String(255), default="")
    subdirectory: Mapped[str] = mapped_column(String(255), default="")
    recipe: Mapped[str] = mapped_column(String(64), default="")
    #: Set to ask a running build to stop.
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    # -- what happened: written by the build controller --
    state: Mapped[str] = mapped_column(String(16), default="queued")
    builder: Mapped[str] = mapped_column(String(64), default="")
    commit: Mapped[str] = mapped_column(String(64), default="")
    #: An image reference, or a VM program's (`vertice_core.program`: a URL, a commit and a
    #: command, longer than 255 characters at times; SQLite enforces no length).
    image: Mapped[str] = mapped_column(
        String(255).with_variant(Text(), "postgresql", "cockroachdb"), default=""
    )
    reason: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Epoch seconds.
    started_at: Mapped[float | None] = mapped_column(Float, default=None)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None)
    #: Characters of log stored.
    log_size: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str] = mapped_column(String(255), default="")
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    #: Of a build released over an earlier one: when its rollout must be done (epoch
    #: seconds); a rollout still not done then fails the revision (`building.rollouts`).
    rollout_deadline: Mapped[float | None] = mapped_column(Float, default=None)


class BuildLogRow(Base):
    """A chunk of a build's log, at its character offset (chunks are appended in order)."""

    __tablename__ = "build_logs"
    build_id: Mapped[str] = mapped_column(
        ForeignKey("builds.id", ondelete="CASCADE"), primary_key=True
    )
    offset: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class BindingRow(Base):
    """A consumer assembly bound to a provider's component (what `bindings` declared).

    Kept as rows so that deleting a provider finds its consumers with one indexed read.
    """

    __tablename__ = "bindings"
    __table_args__ = (Index("ix_bindings_provider_id", "provider_id"),)
    consumer_id: Mapped[str] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    env: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(ID))
    component: Mapped[str] = mapped_column(String(32))


class WebhookRow(Base):
    """The push webhook of an assembly built from source (at most one; its secret sealed)."""

    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("assembly_id"),)
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    #: The secret deliveries are signed with, sealed (shown once, when it is made).
    sealed_secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    last_delivery_at: Mapped[datetime | None] = mapped_column(default=None)
    #: What the last verified delivery did ("build bld-...", or why it built nothing).
    last_result: Mapped[str] = mapped_column(Text, default="")
