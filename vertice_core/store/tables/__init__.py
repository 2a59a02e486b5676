"""The SQLAlchemy 2 tables of vertice (`base`, `core`, `controllers`, `builds`,
`billing`, `snapshots`, `disks`), all importable from here.

One declarative base with one constraint naming convention. Types stay
portable across SQLite, PostgreSQL and CockroachDB: strings, integers,
floats, booleans, JSON and timestamps only.

The assembly row keeps three groups of columns apart:

* the **spec** (what the user declared, versioned by `generation`), written by
  the API only;
* the **status** (phase, conditions, instances, `observed_generation`),
  written by the reconciler only;
* the reconciler's **bookkeeping** (when the row is due, how many restarts
  every instance has carried out).

An assembly runs `replicas` instances. Each has a row in `instances`, keyed by
(assembly, ordinal): its own key and incarnation, its write-ahead create
marker, and what was last observed of it.

Scheduling columns hold epoch seconds (floats): they are compared in the
reconciler's hottest queries, and a float compares the same on every engine.
"""

from vertice_core.store.tables.base import ID, NAME, NAMING_CONVENTION, Base, UTCDateTime, utcnow
from vertice_core.store.tables.billing import CreditRow, InstanceSpanRow, StandingRow, UsageRow
from vertice_core.store.tables.builds import BindingRow, BuildLogRow, BuildRow, WebhookRow
from vertice_core.store.tables.controllers import PlacementRow, ProbeRow, RouteRow, ScalerRow
from vertice_core.store.tables.core import (
    PROBED,
    AssemblyRow,
    EventRow,
    FlavorRow,
    InstanceRow,
    InvitationRow,
    LeaseRow,
    MembershipRow,
    OrphanRow,
    PlanRow,
    ProjectRow,
    QuotaRow,
    RegionRow,
    SettingRow,
    SshKeyRow,
    TokenRow,
    UserRow,
)
from vertice_core.store.tables.disks import DiskRow
from vertice_core.store.tables.snapshots import SnapshotRow

__all__ = [
    "ID",
    "NAME",
    "NAMING_CONVENTION",
    "PROBED",
    "AssemblyRow",
    "Base",
    "BindingRow",
    "BuildLogRow",
    "BuildRow",
    "CreditRow",
    "DiskRow",
    "EventRow",
    "FlavorRow",
    "InstanceRow",
    "InstanceSpanRow",
    "InvitationRow",
    "LeaseRow",
    "MembershipRow",
    "OrphanRow",
    "PlacementRow",
    "PlanRow",
    "ProbeRow",
    "ProjectRow",
    "QuotaRow",
    "RegionRow",
    "RouteRow",
    "ScalerRow",
    "SettingRow",
    "SnapshotRow",
    "SshKeyRow",
    "StandingRow",
    "TokenRow",
    "UTCDateTime",
    "UsageRow",
    "UserRow",
    "WebhookRow",
    "utcnow",
]
