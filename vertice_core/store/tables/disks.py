"""The table of disks (issue 14, day 2): block storage of its own, owned by a project.

A disk names the assembly it should be attached to without a foreign key (the
assembly's deletion detaches it in the same transaction, `DiskRepository.detach_assembly`).
Its project owns it. The API writes what it should be (`size_gb`, the attachment,
`deleting`) and raises `generation` with each change; the disk controller writes
the status, conditional on the generation it read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, NAME, Base, utcnow


class DiskRow(Base):
    """A disk: what it should be, and what the cloud was last seen to have.

    `due_at` is set (epoch seconds) while the controller has work in it; it is NULL
    once the disk matches what it should be and is attached to nothing. An attached
    disk is looked at every resync (a replaced instance, a hand-made change), and at
    once when its instance's cloud id is not the one it is attached to
    (`DiskRepository.work`).
    """

    __tablename__ = "disks"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_disks_assembly_id", "assembly_id"),
        Index("ix_disks_due_at", "due_at"),
        Index("ix_disks_region_name", "region_name"),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME))
    region_name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- what it should be: written by the API --
    size_gb: Mapped[int] = mapped_column(Integer)
    #: The assembly it should be attached to ('' none) and which of its instances.
    assembly_id: Mapped[str] = mapped_column(String(ID), default="")
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    #: Its deletion was asked for (desired state: gone); the phase is then DELETING.
    deleting: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Raised by every change of the above: the controller's writes are conditional on it.
    generation: Mapped[int] = mapped_column(Integer, default=1)

    # -- status: written by the disk controller --
    #: `model.disk.DiskPhase`.
    phase: Mapped[str] = mapped_column(String(16), default="PENDING")
    #: Why it failed, or what it waits for, or why the last try did not work (public).
    message: Mapped[str] = mapped_column(Text, default="")
    #: The cloud's disk id ('' until the cloud made it).
    cloud_id: Mapped[str] = mapped_column(String(255), default="")
    #: The size the cloud shows, the instance it is attached to and as which device.
    size_seen: Mapped[int] = mapped_column(Integer, default=0)
    attached_to: Mapped[str] = mapped_column(String(255), default="")
    device: Mapped[str] = mapped_column(String(64), default="")
    #: The assembly whose instance it is attached to ('' none): what its events name.
    held_by: Mapped[str] = mapped_column(String(ID), default="")

    # -- bookkeeping: written by the disk controller --
    due_at: Mapped[float | None] = mapped_column(Float, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
