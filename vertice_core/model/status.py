"""What vertice observed: phases, conditions, instances and events.

Status is written only by the reconciler and read by everyone. It is kept
apart from the declared spec so a spec change never races a status write.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class Phase(enum.StrEnum):
    """The coarse lifecycle of an assembly: where it is, or where it is going."""

    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    #: An instance is being created, started or replaced.
    LAUNCHING = "LAUNCHING"
    RUNNING = "RUNNING"
    #: Declared stopped, and an instance is being stopped (it may still run meanwhile).
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    DELETING = "DELETING"
    DELETED = "DELETED"
    FAILED = "FAILED"


class InstanceState(enum.StrEnum):
    """The one small set of states every driver maps its cloud's states onto."""

    PENDING = "pending"
    RUNNING = "running"
    STOPPED = "stopped"
    TERMINATED = "terminated"
    ERROR = "error"
    UNKNOWN = "unknown"


class ConditionStatus(enum.StrEnum):
    """Whether a condition holds (Kubernetes spelling)."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


@attrs.frozen
class Condition:
    """One observed fact (`Ready`, `Synced`) and when it last changed."""

    type: str
    status: ConditionStatus
    last_transition_time: datetime
    reason: str = ""
    message: str = ""


@attrs.frozen
class InstanceView:
    """One cloud instance of an assembly as last observed."""

    key: str
    cloud_id: str
    state: InstanceState
    #: The instance's place in the assembly (0 .. replicas-1; higher while scaling down).
    ordinal: int = 0
    public_ipv4: str = ""
    private_ipv4: str = ""
    #: Addresses a client reaches the workload at, as `host:port` (published ports).
    access: list[str] = attrs.Factory(list)
    #: On its way out (scale down, or replaced): routes no longer send it requests.
    draining: bool = False
    #: Routes send it requests: it runs, is not draining, and passed its last probe
    #: (if the assembly declares one).
    ready: bool = False
    #: The region it was placed in.
    region: str = ""
    #: Of an assembly built from source: the release (build revision) it runs.
    revision: int | None = None
    #: The flavor it runs ('' when not known): the assembly's once it was resized.
    flavor: str = ""


@attrs.frozen
class PlacementFailure:
    """A create a region refused for lack of capacity or quota: new instances go elsewhere
    for a while."""

    at: datetime
    reason: str
    message: str


@attrs.frozen
class RegionStatus:
    """What one region of an assembly with a placement reports about its instances there."""

    region: str
    phase: Phase
    reason: str = ""
    message: str = ""
    synced: bool = True
    #: Instances placed in the region, Ready there, made from the current declaration.
    replicas: int = 0
    ready_replicas: int = 0
    updated_replicas: int = 0
    #: Set while the region is left out of new placements.
    failed: PlacementFailure | None = None


@attrs.frozen
class AssemblyStatus:
    """Everything the reconciler reports about one assembly."""

    phase: Phase = Phase.PENDING
    reason: str = ""
    message: str = ""
    conditions: list[Condition] = attrs.Factory(list)
    observed_generation: int = 0
    #: The `restart_count` the instances were last restarted for: a restart asked for by
    #: raising `restart_count` is carried out once this reaches it.
    restarts_done: int = 0
    instances: list[InstanceView] = attrs.Factory(list)
    #: Instances declared, instances Ready, instances made from the current declaration
    #: (the Kubernetes Deployment's counts).
    replicas: int = 1
    ready_replicas: int = 0
    updated_replicas: int = 0
    #: Of an assembly with a placement: what each of its regions reports, in order.
    placement: list[RegionStatus] = attrs.Factory(list)


class EventType(enum.StrEnum):
    """Severity of an event."""

    NORMAL = "Normal"
    WARNING = "Warning"


@attrs.frozen
class Event:
    """Something that happened to an assembly or a region (a phase change, a ghost removed)."""

    time: datetime
    type: EventType
    reason: str
    message: str
    assembly_id: str | None = None
    project: str | None = None
    region: str | None = None
    id: int | None = None
    #: The assembly's name, where the event is handed to the plugins (not stored: the
    #: stored event names the assembly by id, and an assembly can be renamed).
    assembly: str | None = None
