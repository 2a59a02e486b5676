"""The driver call each planned action makes, and how logs and metrics name it.

`RegionPass` submits these to the call pool: a create (or an adoption, when the
declaration names an instance that already runs), a resize (refused at once when
the flavor was deleted since the pass read the assembly), or one of the power and
delete verbs on the instance's cloud id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertice_core.driver import Driver
from vertice_core.errors import TerminalError
from vertice_core.reconcile.outcome import Work
from vertice_core.reconcile.plan import Action, Verb
from vertice_core.store.repositories.work import WorkItem


def call_for(driver: Driver, work: Work, action: Action) -> Callable[[], Any]:
    """The call `action` makes on `driver`, not yet made."""
    if action.verb is Verb.CREATE:
        spec = work.specs[action.ordinal]
        if spec.adopt_id:  # the instance exists: it is made ours instead
            return lambda: driver.adopt(spec.adopt_id, spec.tags)
        return lambda: driver.create(spec)
    if action.verb is Verb.RESIZE:
        size = work.size
        if size is None:  # the flavor was deleted since the pass read the assembly
            return refused(f"flavor {work.item.flavor_name!r} no longer exists")
        return lambda: driver.resize(action.target, size)
    verbs: dict[Verb, Callable[[str], None]] = {
        Verb.START: driver.start,
        Verb.STOP: driver.stop,
        Verb.REBOOT: driver.reboot,
        Verb.HARD_STOP: driver.hard_stop,
        Verb.SUSPEND: driver.suspend,
        Verb.HARD_REBOOT: driver.hard_reboot,
        Verb.DELETE: driver.delete,
    }
    return bound(verbs[action.verb], action.target)


def call_name(item: WorkItem, action: Action) -> str:
    """A call as the log names it: the assembly (name and id), the verb, the instance."""
    return f"assembly {item.name} ({item.id}): {action.verb.value} of instance {action.ordinal}"


def verb_name(work: Work, action: Action) -> str:
    """The driver verb an action calls, as metrics count it (a create that adopts:
    `adopt`)."""
    if action.verb is Verb.CREATE and work.specs[action.ordinal].adopt_id:
        return "adopt"
    return action.verb.value


def bound(method: Callable[[str], None], argument: str) -> Callable[[], None]:
    """`method(argument)`, to be called later."""
    return lambda: method(argument)


def refused(message: str) -> Callable[[], None]:
    """A call that fails at once with a terminal error saying why."""

    def call() -> None:
        raise TerminalError(message, reason="FlavorNotFound")

    return call
