"""Nova's server states as vertice's `InstanceState`: a table, and the few rules around it.

A Nova server has a `status` (what the API shows: ACTIVE, BUILD, SHUTOFF...), a
`task_state` (what is being done to it right now: `powering-off`, `deleting`...)
and a `vm_state`. The status decides, except where a task says the server is on
its way elsewhere:

* a server being deleted (task `deleting`, or status DELETED / SOFT_DELETED) is
  *terminated*;
* a server being powered off or on (`powering-off`, `powering-on`), suspended or
  resumed (`suspending`, `resuming`) is *pending* (on its way), whatever its status
  still says;
* otherwise the table below.

Every status of Nova's API reference is in the table; one Nova may add later is
*unknown* (vertice waits, it neither starts nor deletes what it cannot name).
"""

from __future__ import annotations

from vertice_core.model.status import InstanceState

_P, _R, _S, _T, _E, _U = (
    InstanceState.PENDING,
    InstanceState.RUNNING,
    InstanceState.STOPPED,
    InstanceState.TERMINATED,
    InstanceState.ERROR,
    InstanceState.UNKNOWN,
)

#: Every server status of the compute API reference (`GET /servers/{id}`, `status`).
STATUSES: dict[str, InstanceState] = {
    "BUILD": _P,  # being created, not booted yet
    "ACTIVE": _R,
    "REBOOT": _P,  # a soft reboot: back to ACTIVE
    "HARD_REBOOT": _P,
    "REBUILD": _P,  # its disk is being rebuilt from an image
    "RESIZE": _P,  # moving to another flavor
    "REVERT_RESIZE": _P,
    "VERIFY_RESIZE": _R,  # resized and running, waiting to be confirmed
    "MIGRATING": _R,  # live-migrated: it runs all along
    "PASSWORD": _R,  # its password is being set; it runs
    "RESCUE": _P,  # booted from a rescue image by an operator: not itself until unrescued
    "SHUTOFF": _S,
    "PAUSED": _S,  # frozen in memory: nothing runs until unpaused
    "SUSPENDED": _S,  # saved to disk: nothing runs until resumed
    "SHELVED": _S,
    "SHELVED_OFFLOADED": _S,  # its disk kept as an image, no host: unshelve brings it back
    "SOFT_DELETED": _T,  # deleted, restorable for a while; vertice treats it as gone
    "DELETED": _T,
    "ERROR": _E,
    "UNKNOWN": _U,  # Nova lost contact with its host
}
#: Task states that say the server is on its way somewhere else than its status says.
MOVING_TASKS = frozenset({"powering-off", "powering-on", "suspending", "resuming"})
#: Task states of a server being deleted.
DELETING_TASKS = frozenset({"deleting", "soft-deleting"})


def state_of(status: str | None, task_state: str | None) -> InstanceState:
    """vertice's state of a server with this `status` and `task_state`."""
    status = (status or "").upper()
    if task_state in DELETING_TASKS:
        return _T
    if task_state in MOVING_TASKS and status not in ("ERROR", "DELETED", "SOFT_DELETED"):
        return _P
    return STATUSES.get(status, _U)


def is_gone(status: str | None, task_state: str | None) -> bool:
    """Whether the server is deleted or being deleted (not to be adopted, started...)."""
    return state_of(status, task_state) is _T
