"""Repositories: the only way code outside the store reads and writes rows.

Each repository wraps one `Session` and never commits; the caller owns the
transaction (`with store.write() as session: ...`).
"""

from vertice_core.store.repositories.assemblies import AssemblyRepository, Page
from vertice_core.store.repositories.catalog import (
    FlavorRepository,
    PlanRepository,
    RegionRepository,
)
from vertice_core.store.repositories.events import EventRepository
from vertice_core.store.repositories.invitations import InvitationRepository
from vertice_core.store.repositories.probes import ProbeRepository, ProbeState
from vertice_core.store.repositories.routes import RouteRepository
from vertice_core.store.repositories.scalers import ScalerRepository
from vertice_core.store.repositories.tenancy import (
    ProjectRepository,
    SettingRepository,
    SshKeyRepository,
    TokenRepository,
    UserRepository,
)

__all__ = [
    "AssemblyRepository",
    "EventRepository",
    "FlavorRepository",
    "InvitationRepository",
    "Page",
    "PlanRepository",
    "ProbeRepository",
    "ProbeState",
    "ProjectRepository",
    "RegionRepository",
    "RouteRepository",
    "ScalerRepository",
    "SettingRepository",
    "SshKeyRepository",
    "TokenRepository",
    "UserRepository",
]
