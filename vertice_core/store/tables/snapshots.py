"""The table of snapshots (issue 14, day 2): images of instances' disks, resources of their own.

A snapshot names its source assembly without a foreign key: it outlives the
assembly (deleting an assembly keeps its snapshots). Its project owns it (deleting
the project deletes the rows). The API writes the request (and `deleting`); the
snapshot controller writes the phase, the image and the bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, NAME, Base, utcnow


class SnapshotRow(Base):
    """A snapshot of one instance of an assembly, and where its making or deleting stands.

    `due_at` is set (epoch seconds) while the controller has work in it: PENDING,
    CREATING, or `deleting`; it is NULL once AVAILABLE or FAILED, so the controller's
    idle check reads the index of the few rows in progress.
    """

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_snapshots_assembly_id", "assembly_id"),
        Index("ix_snapshots_due_at", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- the request: written by the API --
    #: The source assembly, by id and by its name when the snapshot was asked for.
    assembly_id: Mapped[str] = mapped_column(String(ID))
    assembly_name: Mapped[str] = mapped_column(String(NAME))
    #: Which of its instances (the ordinal), and that instance's cloud id then.
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    instance_cloud_id: Mapped[str] = mapped_column(String(255))
    #: The region the instance ran in: where the image is made and may be launched.
    region_name: Mapped[str] = mapped_column(String(NAME))
    #: Its deletion was asked for (desired state: gone); the phase is then DELETING.
    deleting: Mapped[bool] = mapped_column(Boolean, default=False)

    # -- status: written by the snapshot controller --
    #: PENDING, CREATING, AVAILABLE, FAILED or DELETING (`model.snapshot.SnapshotPhase`).
    phase: Mapped[str] = mapped_column(String(16), default="PENDING")
    #: Why it failed, or why the last try did not work (a public message).
    message: Mapped[str] = mapped_column(Text, default="")
    #: The cloud's image id ('' until the cloud made one).
    image_id: Mapped[str] = mapped_column(String(255), default="")

    # -- bookkeeping: written by the snapshot controller --
    due_at: Mapped[float | None] = mapped_column(Float, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
