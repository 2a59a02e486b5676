"""The balance policy, the pure part: where a project stands given its balance, and what
happens when its standing changes.

Standings, from good to worst:

* `ok`: the balance is above the warning threshold (or no threshold is set);
* `low`: at or below the threshold, still above zero: a warning, nothing else;
* `exhausted`: zero or below. With enforcement on, new launches of priced flavors are
  refused from now on (`service.billing.balance_refusal`); the grace periods count
  from the moment the balance ran out (`exhausted_since`);
* `stopped`: `stop_after` seconds later, still exhausted: its running assemblies of
  priced flavors were declared stopped;
* `deleted`: `delete_after` seconds after running out (off by default): its assemblies
  of priced flavors were deleted.

Credit that brings the balance back above zero returns the project to `ok` or `low`;
what was stopped stays stopped until its owners start it again. Each change of standing
is an event (and so a notification through the notifier plugins).
"""

from __future__ import annotations

import attrs

OK, LOW, EXHAUSTED, STOPPED, DELETED = "ok", "low", "exhausted", "stopped", "deleted"
#: The standings in which new launches of priced flavors are refused (with enforcement).
REFUSING = frozenset({EXHAUSTED, STOPPED, DELETED})


@attrs.frozen
class PolicySettings:
    """The operator's balance policy (`VERTICE_BILLING_*`, see `Config`)."""

    #: Warn when a balance falls to this amount or below (None: no warning).
    warn_below: float | None = None
    #: Refuse, stop and delete as the balance runs out; off: standings are only reported.
    enforce: bool = False
    #: Seconds after the balance ran out that running priced assemblies are stopped.
    stop_after: float = 86400.0
    #: Seconds after the balance ran out that priced assemblies are deleted (None: never).
    delete_after: float | None = None


@attrs.frozen
class Standing:
    """A project's standing and since when its balance has been exhausted."""

    state: str = OK
    exhausted_since: float | None = None


def standing(balance: float, before: Standing, now: float, settings: PolicySettings) -> Standing:
    """The standing of a project whose lowest balance (in any currency) is `balance`."""
    if balance > 0:
        low = settings.warn_below is not None and balance <= settings.warn_below
        return Standing(LOW if low else OK)
    since = before.exhausted_since if before.exhausted_since is not None else now
    state = before.state if before.state in REFUSING else EXHAUSTED
    if not settings.enforce:
        return Standing(EXHAUSTED, since)
    if state == EXHAUSTED and now - since >= settings.stop_after:
        state = STOPPED
    if (
        state == STOPPED
        and settings.delete_after is not None
        and now - since >= settings.delete_after
    ):
        state = DELETED
    return Standing(state, since)


#: The event of entering each standing: its type and reason.
EVENTS = {
    OK: ("Normal", "BalanceRestored"),
    LOW: ("Warning", "BalanceLow"),
    EXHAUSTED: ("Warning", "BalanceExhausted"),
    STOPPED: ("Warning", "BalanceStopped"),
    DELETED: ("Warning", "BalanceDeleted"),
}


def message(state: str, project: str, balance: str, settings: PolicySettings) -> str:
    """The event message of `project` entering `state` with `balance` (formatted)."""
    if state == OK:
        return f"project {project!r}: the balance is {balance} again"
    if state == LOW:
        return f"project {project!r}: the balance is down to {balance} (warning at " + (
            f"{settings.warn_below:g})"
        )
    if state == EXHAUSTED:
        if not settings.enforce:
            return f"project {project!r}: the balance is exhausted ({balance})"
        after = f"{settings.stop_after:g} s"
        return (
            f"project {project!r}: the balance is exhausted ({balance}); new launches of "
            f"priced flavors are refused, and running ones are stopped after {after}"
        )
    if state == STOPPED:
        return f"project {project!r}: the balance is still exhausted ({balance}); its " + (
            "running assemblies of priced flavors were stopped"
        )
    return f"project {project!r}: the balance is still exhausted ({balance}); its " + (
        "assemblies of priced flavors were deleted"
    )
