"""The tables of what users declare and own: settings, users, projects, tokens, the
catalog (plans, regions, flavors), SSH keys, assemblies and their instances, leases, events,
and the assemblies deleted with `orphan=true`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vertice_core.store.tables.base import ID, NAME, Base, utcnow


class SettingRow(Base):
    """Installation-wide values (the installation id)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A user of the API."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectRow(Base):
    """A project: the owner of assemblies, SSH keys and events.

    Its name is unique among its owner's projects only, so that creating a project tells
    nothing of other users' projects (issue 17, item 8); `resolve.project_matches` picks
    the one a caller means by a name several share.
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    #: Indexed on its own: a name is looked up without its owner (`ProjectRepository.matching`).
    name: Mapped[str] = mapped_column(String(NAME), index=True)
    #: The user who created it; NULL once that user is deleted (or for a project that
    #: had no member when owners were introduced).
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MembershipRow(Base):
    """A user's membership of a project."""

    __tablename__ = "memberships"
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationRow(Base):
    """An invitation to join a project, addressed to a user name: membership needs the
    invited user's consent (they accept it), and inviting a name that is nobody's looks
    the same as inviting someone's, so the answer does not tell who has an account."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("project_id", "user_name"),)
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    user_name: Mapped[str] = mapped_column(String(NAME), index=True)
    #: The name of the user who invited (kept when that user is deleted).
    invited_by: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TokenRow(Base):
    """An API token. Only its SHA-256 digest is stored."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class PlanRow(Base):
    """A CAMP plan, stored as the converter's JSON of `model.Plan`."""

    __tablename__ = "plans"
    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegionRow(Base):
    """A region (cloud settings). Credentials are one sealed (encrypted) JSON object."""

    __tablename__ = "regions"
    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    cloud_type: Mapped[str] = mapped_column(String(NAME))
    provider_region: Mapped[str] = mapped_column(String(255), default="")
    endpoint: Mapped[str] = mapped_column(String(1024), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed_credentials: Mapped[str] = mapped_column(Text, default="")
    #: Names of the credential fields that are set (shown instead of their values).
    credential_fields: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlavorRow(Base):
    """A flavor users launch with."""

    __tablename__ = "flavors"
    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    cpu: Mapped[int] = mapped_column(Integer)
    ram: Mapped[int] = mapped_column(Integer)
    disk: Mapped[int] = mapped_column(Integer)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    price_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    #: Prices per hour by region, where they differ from `price_per_hour`.
    region_prices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The price per hour of a stopped instance (its disk, its reserved address), where the
    #: running price is `price_per_hour`; metered by `vertice_core.billing`.
    stopped_price_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SshKeyRow(Base):
    """An SSH public key stored in a project."""

    __tablename__ = "ssh_keys"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME))
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: The rows the prober reads (see `ix_assemblies_probed`).
PROBED = text("probe IS NOT NULL")


class AssemblyRow(Base):
    """An assembly: its declared spec, its observed status and the reconciler's bookkeeping."""

    __tablename__ = "assemblies"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_assemblies_region_name", "region_name"),
        Index("ix_assemblies_due_at", "due_at"),
        # The collection's sort orders, so a page is read in index order (no sort of all).
        Index("ix_assemblies_name_id", "name", "id"),
        Index("ix_assemblies_created_at_id", "created_at", "id"),
        Index("ix_assemblies_phase_name_id", "phase", "name", "id"),
        # The prober's read of the assemblies with a probe (a few among many): no scan.
        # Migration 0006 makes it partial on PostgreSQL too; `postgresql_where` here would
        # import SQLAlchemy's whole PostgreSQL dialect (18 modules, 2 MB of RSS) into every
        # process on SQLite, the API's workers included.
        Index("ix_assemblies_probed", "id", sqlite_where=PROBED),
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # -- spec: written by the API --
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    plan_name: Mapped[str] = mapped_column(ForeignKey("plans.name"), index=True)
    region_name: Mapped[str] = mapped_column(ForeignKey("regions.name"))
    flavor_name: Mapped[str] = mapped_column(ForeignKey("flavors.name"), index=True)
    #: Components, launch credential (sealed) and metadata, as the converter's JSON.
    spec: Mapped[dict[str, Any]]
    desired_state: Mapped[str] = mapped_column(String(16), default="running")
    restart_count: Mapped[int] = mapped_column(Integer, default=0)
    #: How restarts and stops are carried out: `soft` (the system is asked) or `hard`.
    restart_mode: Mapped[str] = mapped_column(String(8), default="soft")
    stop_mode: Mapped[str] = mapped_column(String(8), default="soft")
    #: How many instances should run (0: scaled to zero).
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    #: Raised by one to replace every instance, one at a time (a rolling replacement).
    replace_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The instances' probe (`Probe` as JSON), or NULL: what the prober reads.
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    #: Several regions and a policy (`Placement` as JSON), or NULL: every instance in
    #: `region_name`, which is otherwise the first of them. Never changes.
    placement: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    #: Of an assembly built from source that has no release yet: why it waits
    #: (`AwaitingBuild: ...` or `BuildFailed: ...`, written by the build controller), so
    #: the reconciler creates nothing; NULL otherwise.
    build_wait: Mapped[str | None] = mapped_column(Text, default=None)

    # -- status: written by the reconciler --
    phase: Mapped[str] = mapped_column(String(16), default="PENDING")
    reason: Mapped[str] = mapped_column(String(255), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    #: Conditions and instances, as the converter's JSON of `AssemblyStatus`.
    status: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: A digest of phase, reason, message and `status`, so an unchanged status is not rewritten.
    status_digest: Mapped[str] = mapped_column(String(40), default="")
    observed_generation: Mapped[int] = mapped_column(Integer, default=0)
    #: The conditions as flags with their transition times (epoch seconds), so a pass
    #: can tell what changed without reading the status document back.
    ready: Mapped[bool | None] = mapped_column(Boolean, default=None)
    ready_since: Mapped[float | None] = mapped_column(Float, default=None)
    synced: Mapped[bool | None] = mapped_column(Boolean, default=None)
    synced_since: Mapped[float | None] = mapped_column(Float, default=None)

    # -- bookkeeping: written by the reconciler --
    #: Epoch seconds at which the reconciler should look at the row; NULL: at region resync.
    due_at: Mapped[float | None] = mapped_column(Float, default=None)
    #: Consecutive transient failures (drives the backoff).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: How many restart requests every instance has carried out.
    restarts_done: Mapped[int] = mapped_column(Integer, default=0)


class InstanceRow(Base):
    """One instance of an assembly, by ordinal. Written by the reconciler only.

    The row is written (with its create marker) *before* the instance is created,
    and removed once the cloud shows no live instance with its key and the
    ordinal is no longer wanted, so every instance vertice creates has a row.
    """

    __tablename__ = "instances"
    assembly_id: Mapped[str] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Bumped whenever the instance is replaced; part of its key.
    incarnation: Mapped[int] = mapped_column(Integer, default=1)
    #: The idempotency key of the current incarnation (see `reconcile.plan.instance_key`).
    key: Mapped[str] = mapped_column(String(128))
    #: How many restart requests this instance has carried out.
    restarts_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Write-ahead create marker: the key being created and when (epoch seconds).
    create_key: Mapped[str | None] = mapped_column(String(128), default=None)
    create_started_at: Mapped[float | None] = mapped_column(Float, default=None)
    #: What was last observed: the cloud's id, the state ('' before the first sighting).
    cloud_id: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[str] = mapped_column(String(16), default="")
    public_ipv4: Mapped[str] = mapped_column(String(64), default="")
    private_ipv4: Mapped[str] = mapped_column(String(64), default="")
    #: When `state` last changed (epoch seconds).
    since: Mapped[float | None] = mapped_column(Float, default=None)
    #: Replacement requests (`replace_count`) this ordinal has carried out.
    replaced_done: Mapped[int] = mapped_column(Integer, default=0)
    #: The incarnation being replaced (it serves until the new one runs), or NULL.
    retiring: Mapped[int | None] = mapped_column(Integer, default=None)
    #: When the instance on its way out was taken out of the routes (epoch seconds).
    drain_started_at: Mapped[float | None] = mapped_column(Float, default=None)
    #: The region the instance was placed in (its assembly's, unless it has a placement).
    region_name: Mapped[str] = mapped_column(String(NAME), default="")
    #: The flavor the instance runs: its assembly's when it was created or last resized.
    #: Another flavor on the assembly is carried out by resizing it (`Driver.resize`).
    flavor_name: Mapped[str] = mapped_column(String(NAME), default="")


class LeaseRow(Base):
    """Which reconciler works on an assembly, until when. One row per assembly."""

    __tablename__ = "leases"
    assembly_id: Mapped[str] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(255), default="")
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)


class EventRow(Base):
    """Something that happened. Events outlive their assembly, so there is no FK to it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_assembly_id_id", "assembly_id", "id"),
        Index("ix_events_project_id_id", "project_id", "id"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    time: Mapped[datetime] = mapped_column(default=utcnow)
    project_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    assembly_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    region_name: Mapped[str | None] = mapped_column(String(NAME), default=None)
    type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")


class OrphanRow(Base):
    """An assembly deleted with `orphan=true`: its rows are gone, its instances were left
    running in the cloud (issue 16, "Retiring a cloud").

    The instances still carry the assembly's tags, so a pass that observes them would
    take them for ghosts and delete them; the reconciler spares any instance whose
    assembly id is here (see `reconcile.region.RegionPass._ghosts`). Keyed by assembly
    rather than by instance, so that every incarnation is spared: a create that was in
    flight when the assembly was orphaned, an instance being replaced. There is no
    foreign key: the row outlives the assembly, its project and the region.
    """

    __tablename__ = "orphans"
    assembly_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID))
    name: Mapped[str] = mapped_column(String(NAME))
    orphaned_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What was abandoned: `[{"region", "cloud_id", "key"}]` (`cloud_id` "" if never seen).
    instances: Mapped[list[Any]] = mapped_column(default=list)


class QuotaRow(Base):
    """A project's quota over all regions (`region_name` '') or in one region: the most
    its assemblies (and routes) may declare; NULL is no limit (issue 13,
    `vertice_core.service.quotas`). Deleting the project deletes its quotas."""

    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    region_name: Mapped[str] = mapped_column(String(NAME), primary_key=True, default="")
    instances: Mapped[int | None] = mapped_column(Integer, default=None)
    vcpus: Mapped[int | None] = mapped_column(Integer, default=None)
    ram: Mapped[int | None] = mapped_column(Integer, default=None)
    disk: Mapped[int | None] = mapped_column(Integer, default=None)
    routes: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(NAME), default="")
