"""The pure heart of the reconciler: from (spec, observed instances, markers) to actions.

`plan_actions` does no I/O and keeps no state; it is tested as a table
(`tests/core/reconcile/test_plan.py`). Given one assembly's declared state and
what the cloud shows for it, it decides what to do now:

* create the missing instance (unless a recent create of the same key may not
  be listed yet: the grace period);
* adopt an instance found by key (a crash between create and its record);
* start a stopped instance whose spec says running (the host-reboot case);
* stop a running one whose spec says stopped;
* reboot once per restart request;
* delete every instance when the spec says deleted, and extra instances always;
* nothing when all agrees.

It also says which phase the assembly is in and whether the loop should look
again soon (something is in transition).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

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


@attrs.frozen
class Action:
    """One driver call: a verb and its target (the key for create, else the cloud id)."""

    verb: Verb
    target: str


@attrs.frozen
class Desired:
    """What `plan_actions` needs to know about one assembly (read from the store)."""

    assembly_id: str
    desired: DesiredState
    generation: int
    observed_generation: int
    restart_count: int
    restarts_done: int
    incarnation: int
    phase: Phase
    #: Write-ahead marker: the key a create was issued for, and when (epoch seconds).
    create_key: str | None = None
    create_started_at: float | None = None

    @property
    def key(self) -> str:
        """The instance key of the current incarnation."""
        return instance_key(self.assembly_id, self.incarnation)


def instance_key(assembly_id: str, incarnation: int) -> str:
    """The idempotency key of an assembly's instance: unique per incarnation."""
    return f"{assembly_id}-{incarnation}"


@attrs.frozen
class Decision:
    """What to do for one assembly now, and what its state is."""

    actions: tuple[Action, ...]
    phase: Phase
    #: The instance the assembly has (None when there is none yet).
    instance: Instance | None = None
    #: The incarnation after this decision (bumped when the instance is replaced).
    incarnation: int = 1
    #: Restart requests carried out once these actions succeed.
    restarts_done: int = 0
    #: A human reason for the phase (`Creating`, `Starting`, `WaitingForCloud`...).
    reason: str = ""
    #: True while something is in transition: the loop should observe again soon.
    busy: bool = False
    #: True when the spec is deleted and the cloud shows nothing: remove the row.
    gone: bool = False


def _live(instances: Sequence[Instance]) -> list[Instance]:
    return [i for i in instances if i.state is not InstanceState.TERMINATED]


def plan_actions(
    want: Desired, instances: Sequence[Instance], *, now: float, grace: float
) -> Decision:
    """Decide what to do for one assembly given every instance the cloud shows for it."""
    live = _live(instances)
    base: dict[str, Any] = {"incarnation": want.incarnation, "restarts_done": want.restarts_done}
    if want.desired is DesiredState.DELETED:
        if not live:
            return Decision((), Phase.DELETED, reason="Deleted", gone=True, **base)
        deletes = tuple(Action(Verb.DELETE, i.cloud_id) for i in live)
        return Decision(deletes, Phase.DELETING, reason="Deleting", busy=True, **base)

    key = want.key
    mine = [i for i in live if i.key == key]
    current = mine[0] if mine else None
    extras = tuple(Action(Verb.DELETE, i.cloud_id) for i in live if i is not current)

    if want.phase is Phase.FAILED and want.observed_generation == want.generation:
        # A terminal failure waits for a spec change; only extras are cleaned up.
        return Decision(
            extras,
            Phase.FAILED,
            instance=current,
            reason="WaitingForSpecChange",
            incarnation=want.incarnation,
            restarts_done=want.restart_count,
        )
    if current is None:
        return _without_instance(want, instances, extras, now=now, grace=grace)
    if current.state is InstanceState.ERROR:
        # A broken instance is replaced: delete it, and the next key creates anew.
        actions = (*extras, Action(Verb.DELETE, current.cloud_id))
        return Decision(
            actions,
            Phase.LAUNCHING,
            instance=current,
            incarnation=want.incarnation + 1,
            restarts_done=want.restarts_done,
            reason="ReplacingBrokenInstance",
            busy=True,
        )
    if want.desired is DesiredState.RUNNING:
        return _should_run(want, current, extras)
    return _should_stop(want, current, extras)


def _without_instance(
    want: Desired,
    instances: Sequence[Instance],
    extras: tuple[Action, ...],
    *,
    now: float,
    grace: float,
) -> Decision:
    """No live instance has the current key: create one, or wait for a recent create."""
    key = want.key
    if any(i.key == key for i in instances):
        # The key's instance is terminated (someone deleted it behind our back, or the
        # cloud lost it). Clouds keep idempotency tokens of terminated instances, so the
        # replacement needs a new key.
        nxt = attrs.evolve(want, incarnation=want.incarnation + 1, create_key=None)
        return attrs.evolve(
            _without_instance(nxt, (), extras, now=now, grace=grace),
            incarnation=nxt.incarnation,
        )
    recent = (
        want.create_key == key
        and want.create_started_at is not None
        and now - want.create_started_at < grace
    )
    done = want.restart_count  # a restart of an instance that does not exist yet is moot
    if recent:
        return Decision(
            extras,
            Phase.LAUNCHING,
            incarnation=want.incarnation,
            restarts_done=done,
            reason="WaitingForCloud",
            busy=True,
        )
    return Decision(
        (*extras, Action(Verb.CREATE, key)),
        Phase.LAUNCHING,
        incarnation=want.incarnation,
        restarts_done=done,
        reason="Creating",
        busy=True,
    )


def _should_run(want: Desired, current: Instance, extras: tuple[Action, ...]) -> Decision:
    base: dict[str, Any] = {"instance": current, "incarnation": want.incarnation}
    if current.state is InstanceState.STOPPED:
        return Decision(
            (*extras, Action(Verb.START, current.cloud_id)),
            Phase.LAUNCHING,
            restarts_done=want.restart_count,
            reason="Starting",
            busy=True,
            **base,
        )
    if current.state is InstanceState.RUNNING:
        if want.restart_count > want.restarts_done:
            return Decision(
                (*extras, Action(Verb.REBOOT, current.cloud_id)),
                Phase.RUNNING,
                restarts_done=want.restart_count,
                reason="Restarting",
                busy=True,
                **base,
            )
        return Decision(
            extras,
            Phase.RUNNING,
            restarts_done=want.restarts_done,
            reason="Running",
            busy=bool(extras),
            **base,
        )
    # pending or unknown: booting, or the cloud does not say yet
    return Decision(
        extras,
        Phase.LAUNCHING,
        restarts_done=want.restarts_done,
        reason="Booting",
        busy=True,
        **base,
    )


def _should_stop(want: Desired, current: Instance, extras: tuple[Action, ...]) -> Decision:
    # A restart asked while the spec says stopped is satisfied by the stop itself.
    base: dict[str, Any] = {"instance": current, "incarnation": want.incarnation}
    if current.state is InstanceState.STOPPED:
        return Decision(
            extras,
            Phase.STOPPED,
            restarts_done=want.restart_count,
            reason="Stopped",
            busy=bool(extras),
            **base,
        )
    phase = Phase.RUNNING if current.state is InstanceState.RUNNING else Phase.LAUNCHING
    return Decision(
        (*extras, Action(Verb.STOP, current.cloud_id)),
        phase,
        restarts_done=want.restart_count,
        reason="Stopping",
        busy=True,
        **base,
    )
