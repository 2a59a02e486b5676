"""CAMP 1.2 resources and vertice's own resources as attrs classes: pure data, no I/O.

The classes here are the business model. How they look on the wire is the
converter's job (`vertice_core.convert`), so field names and JSON spelling can
differ without the model knowing.
"""

from vertice_core.model.assembly import (
    Assembly,
    AssemblyDeclaration,
    AssemblySpec,
    Credential,
    CredentialKind,
    CredentialSummary,
    DesiredState,
    LaunchCredential,
    PowerState,
    RootPassword,
    SshKeyRef,
    SshPublicKey,
)
from vertice_core.model.camp import (
    CAMP_VERSIONS,
    Artifact,
    Component,
    ComponentTag,
    Link,
    Metadata,
    Plan,
    Service,
)
from vertice_core.model.cloud import Flavor, Region
from vertice_core.model.status import (
    AssemblyStatus,
    Condition,
    ConditionStatus,
    Event,
    EventType,
    InstanceState,
    InstanceView,
    Phase,
)
from vertice_core.model.tenancy import Project, SshKey, User
from vertice_core.model.types import Fraction, Name, NonNegative, Positive

__all__ = [
    "CAMP_VERSIONS",
    "Artifact",
    "Assembly",
    "AssemblyDeclaration",
    "AssemblySpec",
    "AssemblyStatus",
    "Component",
    "ComponentTag",
    "Condition",
    "ConditionStatus",
    "Credential",
    "CredentialKind",
    "CredentialSummary",
    "DesiredState",
    "Event",
    "EventType",
    "Flavor",
    "Fraction",
    "InstanceState",
    "InstanceView",
    "LaunchCredential",
    "Link",
    "Metadata",
    "Name",
    "NonNegative",
    "Phase",
    "Plan",
    "Positive",
    "PowerState",
    "Project",
    "Region",
    "RootPassword",
    "Service",
    "SshKey",
    "SshKeyRef",
    "SshPublicKey",
    "User",
]
