"""The planner's types: what it reads (`Desired`, `Slot`, `Health`) and decides
(`Decision`, `Member`, `Action`), and the key of an instance. See `reconcile.plan`."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import attrs

from vertice_core.driver import Instance
from vertice_core.model.assembly import DesiredState
from vertice_core.model.status import InstanceState, Phase


class Verb(enum.StrEnum):
    """What the reconciler asks a driver to do."""

    CREATE = "create"
    START = "start"
    STOP = "stop"
    REBOOT = "reboot"
    DELETE = "delete"
    #: Move the instance to the declared flavor in place (`Driver.resize`).
    RESIZE = "resize"
    #: Reboot and stop without asking the instance's system (`restart_mode`, `stop_mode`).
    HARD_REBOOT = "hard_reboot"
    HARD_STOP = "hard_stop"
    #: Stop keeping the instance's memory, for `start` to resume it (`stop_mode: suspend`).
    SUSPEND = "suspend"


@attrs.frozen
class Action:
    """One driver call: a verb, its target (the key for create, else the cloud id) and
    the ordinal it is for (-1: an instance no slot owns)."""

    verb: Verb
    target: str
    ordinal: int = 0


@attrs.frozen
class Slot:
    """The bookkeeping of one ordinal (a row of the instances table)."""

    ordinal: int
    incarnation: int = 1
    restarts_done: int = 0
    #: Write-ahead marker: the key a create was issued for, and when (epoch seconds).
    create_key: str | None = None
    create_started_at: float | None = None
    #: Replacement requests (`replace_count`) this ordinal has carried out.
    replaced_done: int = 0
    #: The incarnation being replaced: it serves until the new one runs, then drains.
    retiring: int | None = None
    #: When the instance on its way out (scale down, or the retiring one) was drained:
    #: taken out of the routes; it is deleted `drain` seconds later, once no route
    #: serves it (`Desired.served`).
    drain_started_at: float | None = None
    #: The flavor the instance runs ('' when unknown: never resized).
    flavor: str = ""


@attrs.frozen
class Health:
    """What the prober last found of the instance at one ordinal."""

    #: The key of the instance probed (a finding about another instance says nothing).
    key: str
    failures: int
    ready: bool
    threshold: int
    message: str = ""


@attrs.frozen
class Desired:
    """What `plan_actions` needs to know about one assembly (read from the store)."""

    assembly_id: str
    desired: DesiredState
    generation: int
    observed_generation: int
    restart_count: int
    phase: Phase
    replicas: int = 1
    #: The stored slots, in ordinal order (ordinals without a row use `Slot(ordinal)`).
    slots: tuple[Slot, ...] = ()
    #: Raised by one to replace every instance, one ordinal at a time.
    replace_count: int = 0
    #: Seconds a running instance on its way out is drained before it is deleted
    #: (0: deleted at once; the reconciler drains only assemblies with a route).
    drain: float = 0.0
    #: The keys of the instances the routes in front of the assembly were last known to
    #: send requests to: one drained is deleted only once it is not among them...
    served: frozenset[str] = frozenset()
    #: ...or `drain_limit` seconds after its drain began, whatever the routes say.
    drain_limit: float = 120.0
    #: Whether the assembly declares a probe: its instances are ready only once their
    #: last probe passed (`health`), and are replaced after `threshold` failures in a row.
    probed: bool = False
    #: The prober's findings, by ordinal.
    health: Mapping[int, Health] = attrs.Factory(dict)
    #: The wanted ordinals this pass runs: of an assembly with a placement, those placed
    #: in the pass's region (`reconcile.placed`); None: every ordinal below `replicas`.
    ordinals: frozenset[int] | None = None
    #: The declared flavor, and whether the region's driver resizes in place
    #: (`Capability.RESIZE`): an instance running another flavor is then resized.
    flavor: str = ""
    resizable: bool = False
    #: Restarts and stops are carried out the hard way (`restart_mode`, `stop_mode`).
    hard_restart: bool = False
    hard_stop: bool = False
    #: Stops suspend the instances (`stop_mode: suspend`).
    suspend: bool = False

    def wants(self, ordinal: int) -> bool:
        """Whether `ordinal` should have an instance (in this pass's region)."""
        if self.ordinals is None:
            return ordinal < self.replicas
        return ordinal in self.ordinals


#: The reason of an ordinal whose instance failed its probe too often and is replaced.
UNHEALTHY = "ReplacingUnhealthyInstance"


def instance_key(assembly_id: str, incarnation: int, ordinal: int = 0) -> str:
    """The idempotency key of one instance: unique per ordinal and incarnation.

    Ordinal 0 keeps the key of single-instance assemblies (`<id>-<incarnation>`), so an
    upgraded installation adopts what it runs; other ordinals are `<id>-r<ordinal>i<n>`.
    The part after the id never holds a hyphen: drivers that can only read a key back
    from a name (SoftLayer's hostnames) find the assembly id before the last hyphen.
    """
    if ordinal == 0:
        return f"{assembly_id}-{incarnation}"
    return f"{assembly_id}-r{ordinal}i{incarnation}"


@attrs.frozen
class Member:
    """The decision for one ordinal: its slot after the decision and what it has."""

    slot: Slot
    phase: Phase
    reason: str
    busy: bool
    #: The live instance of the slot's key (None when there is none yet).
    instance: Instance | None = None
    #: False for an ordinal at or above `replicas`, on its way out.
    wanted: bool = True
    #: The live instance of the slot's retiring incarnation (a rolling replacement).
    retiring: Instance | None = None
    #: Whether the instance on its way out (`instance` of an unwanted ordinal, else
    #: `retiring`) is drained: routes no longer send it requests.
    draining: bool = False
    #: Whether `instance` passes its probe (always, for an assembly without a probe).
    ready: bool = True
    #: What an event about the decision says beyond its reason (a failed probe's finding).
    note: str = ""


@attrs.frozen
class Decision:
    """What to do for one assembly now, and what its state is."""

    actions: tuple[Action, ...]
    phase: Phase
    #: One entry per ordinal that keeps a slot after this decision, in ordinal order.
    members: tuple[Member, ...] = ()
    #: Restart requests every wanted instance has carried out once these actions succeed.
    restarts_done: int = 0
    #: A human reason for the phase (`Creating`, `Starting`, `WaitingForCloud`...).
    reason: str = ""
    #: True while something is in transition: the loop should observe again soon.
    busy: bool = False
    #: True when the spec is deleted and the cloud shows nothing: remove the row.
    gone: bool = False


_TERMINATED = InstanceState.TERMINATED


def live_of(instances: Sequence[Instance]) -> list[Instance]:
    """The instances that are not terminated."""
    return [i for i in instances if i.state is not _TERMINATED]
