"""SoftLayer's guest states onto vertice's: power state, status, transactions, provisioning.

A SoftLayer guest has no single state. What it is doing is spread over:

* `powerState.keyName` (SoftLayer_Virtual_Guest_Power_State): RUNNING, HALTED,
  PAUSED, and INITIATING (a guest being built: in the recorded
  `v3_SoftLayer_Account_getVirtualGuests.xml`);
* `status.keyName` (SoftLayer_Virtual_Guest_Status): ACTIVE for a guest in
  service, DISCONNECTED for one cut off from it (the SDK's own fixtures show
  a cancelled guest DISCONNECTED with a RECLAIM_WAIT transaction);
* `activeTransaction.transactionStatus.name`: the provisioning transactions of a
  new guest, power and reload transactions, and the reclaim transactions
  (RECLAIM_WAIT, ...) of a cancelled one;
* `provisionDate`: empty until the guest is provisioned (`createObject`'s
  documentation: the guest is ready when it is set);
* a reclaimed guest is no longer listed at all.

The decision, in this order (`state_of`):

| what the guest shows                                     | vertice    |
|----------------------------------------------------------|------------|
| a transaction whose name contains RECLAIM (cancelled)    | terminated |
| status other than ACTIVE (DISCONNECTED, anything new)    | unknown    |
| not provisioned: no provisionDate, and a transaction or  | pending    |
| a power state other than RUNNING                         |            |
| an OS reload in progress                                 | pending    |
| a transaction with power HALTED/PAUSED/INITIATING        | pending    |
| powerState RUNNING                                       | running    |
| powerState HALTED, PAUSED                                | stopped    |
| powerState INITIATING                                    | pending    |
| no or an unknown power state                             | unknown    |

SoftLayer has no failed state for a guest: a provisioning that goes wrong stays
in its transaction (pending) until SoftLayer support finishes or cancels it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vertice_core.driver import InstanceState

#: SoftLayer_Virtual_Guest_Power_State key names. PAUSED (`pause`) keeps memory but runs
#: nothing until `resume`: stopped, like HALTED.
POWER_STATES: Mapping[str, InstanceState] = {
    "RUNNING": InstanceState.RUNNING,
    "HALTED": InstanceState.STOPPED,
    "PAUSED": InstanceState.STOPPED,
    "INITIATING": InstanceState.PENDING,
}
#: The guest status of a guest in service; any other (DISCONNECTED...) is not known to run.
ACTIVE = "ACTIVE"
#: What the transactions of a cancelled guest being reclaimed are named after.
RECLAIM = "RECLAIM"


def lookup(document: Mapping[str, Any], *path: str) -> Any:
    """`document[a][b]...`, or None where a level is missing or empty (XML-RPC has no null)."""
    value: Any = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return None if value in ("", None) else value


def transaction_of(guest: Mapping[str, Any]) -> str:
    """The name of the guest's active transaction ('' when none runs)."""
    if not lookup(guest, "activeTransaction"):
        return ""
    name = lookup(guest, "activeTransaction", "transactionStatus", "name")
    return str(name or "TRANSACTION")


def reclaiming(guest: Mapping[str, Any]) -> bool:
    """Whether the guest was cancelled and SoftLayer is reclaiming it."""
    return RECLAIM in transaction_of(guest).upper()


def power_of(guest: Mapping[str, Any]) -> str:
    """The guest's power state key name ('' when not reported)."""
    return str(lookup(guest, "powerState", "keyName") or "").upper()


def reloading(guest: Mapping[str, Any]) -> bool:
    """Whether the active transaction is an operating system reload (the SDK's `is_ready`)."""
    active = lookup(guest, "activeTransaction", "id")
    return active is not None and active == lookup(guest, "lastOperatingSystemReload", "id")


def state_of(guest: Mapping[str, Any]) -> InstanceState:
    """vertice's state of one guest document (see the table of this module)."""
    if reclaiming(guest):
        return InstanceState.TERMINATED
    status = str(lookup(guest, "status", "keyName") or ACTIVE).upper()
    if status != ACTIVE:
        return InstanceState.UNKNOWN
    power = power_of(guest)
    busy = bool(transaction_of(guest))
    if not lookup(guest, "provisionDate") and (busy or power != "RUNNING"):
        return InstanceState.PENDING
    if reloading(guest):
        return InstanceState.PENDING
    state = POWER_STATES.get(power, InstanceState.UNKNOWN)
    if busy and state is not InstanceState.RUNNING and power in POWER_STATES:
        return InstanceState.PENDING
    return state
