"""OpenNebula's VM states onto vertice's, and which `one.vm.action` each verb needs in each state.

Pure tables and functions, no I/O. A VM has a `STATE` and, while ACTIVE, an
`LCM_STATE`; every code OpenNebula documents (retired ones included, a cloud
may still hold VMs in them) has a row here, with its name for messages. The
codes are those of `include/VirtualMachine.h` (see the recorded
`vm_state_codes.json`).

How the rows are chosen:

* *running*: the guest runs, even while an operation is in flight (live
  migration, hotplug, snapshot, backup); actions may be refused meanwhile
  (ACTION, retried).
* *stopped*: nothing runs and nothing will until asked (POWEROFF, STOPPED,
  SUSPENDED, UNDEPLOYED, HOLD), including operations on a powered-off VM.
* *pending*: on its way somewhere: scheduling, boot, save, epilog, and the
  shutdown of a `terminate` (it can time out and return to RUNNING, so a VM is
  *terminated* only at DONE: an assembly is deleted only when the VM is gone).
* *error*: every `*_FAILURE` state; the reconciler replaces such a VM.
* *unknown*: LCM UNKNOWN, the host cannot be monitored.
"""

from __future__ import annotations

from collections.abc import Mapping

from vertice_core.driver import ImageState
from vertice_core.model.status import InstanceState

P, R, S = InstanceState.PENDING, InstanceState.RUNNING, InstanceState.STOPPED
T, E, U = InstanceState.TERMINATED, InstanceState.ERROR, InstanceState.UNKNOWN

INIT, PENDING, HOLD, ACTIVE, STOPPED, SUSPENDED, DONE, FAILED = range(8)
POWEROFF, UNDEPLOYED, CLONING, CLONING_FAILURE = 8, 9, 10, 11
RUNNING, SHUTDOWN, EPILOG, UNKNOWN, CLEANUP_DELETE, SHUTDOWN_POWEROFF = 3, 12, 11, 16, 23, 18
SAVE_SUSPEND = 6

#: STATE -> (name, vertice state); ACTIVE is decided by the LCM_STATE.
VM_STATES: Mapping[int, tuple[str, InstanceState]] = {
    0: ("INIT", P),
    1: ("PENDING", P),
    2: ("HOLD", S),
    3: ("ACTIVE", U),
    4: ("STOPPED", S),
    5: ("SUSPENDED", S),
    6: ("DONE", T),
    7: ("FAILED", E),  # retired
    8: ("POWEROFF", S),
    9: ("UNDEPLOYED", S),
    10: ("CLONING", P),
    11: ("CLONING_FAILURE", E),
}

#: LCM_STATE of an ACTIVE VM -> (name, vertice state).
LCM_STATES: Mapping[int, tuple[str, InstanceState]] = {
    0: ("LCM_INIT", P),
    1: ("PROLOG", P),
    2: ("BOOT", P),
    3: ("RUNNING", R),
    4: ("MIGRATE", R),
    5: ("SAVE_STOP", P),
    6: ("SAVE_SUSPEND", P),
    7: ("SAVE_MIGRATE", P),
    8: ("PROLOG_MIGRATE", P),
    9: ("PROLOG_RESUME", P),
    10: ("EPILOG_STOP", P),
    11: ("EPILOG", P),
    12: ("SHUTDOWN", P),
    13: ("CANCEL", P),  # retired
    14: ("FAILURE", E),  # retired
    15: ("CLEANUP_RESUBMIT", P),
    16: ("UNKNOWN", U),
    17: ("HOTPLUG", R),
    18: ("SHUTDOWN_POWEROFF", P),
    19: ("BOOT_UNKNOWN", P),
    20: ("BOOT_POWEROFF", P),
    21: ("BOOT_SUSPENDED", P),
    22: ("BOOT_STOPPED", P),
    23: ("CLEANUP_DELETE", P),
    24: ("HOTPLUG_SNAPSHOT", R),
    25: ("HOTPLUG_NIC", R),
    26: ("HOTPLUG_SAVEAS", R),
    27: ("HOTPLUG_SAVEAS_POWEROFF", S),
    28: ("HOTPLUG_SAVEAS_SUSPENDED", S),
    29: ("SHUTDOWN_UNDEPLOY", P),
    30: ("EPILOG_UNDEPLOY", P),
    31: ("PROLOG_UNDEPLOY", P),
    32: ("BOOT_UNDEPLOY", P),
    33: ("HOTPLUG_PROLOG_POWEROFF", S),
    34: ("HOTPLUG_EPILOG_POWEROFF", S),
    35: ("BOOT_MIGRATE", P),
    36: ("BOOT_FAILURE", E),
    37: ("BOOT_MIGRATE_FAILURE", E),
    38: ("PROLOG_MIGRATE_FAILURE", E),
    39: ("PROLOG_FAILURE", E),
    40: ("EPILOG_FAILURE", E),
    41: ("EPILOG_STOP_FAILURE", E),
    42: ("EPILOG_UNDEPLOY_FAILURE", E),
    43: ("PROLOG_MIGRATE_POWEROFF", S),
    44: ("PROLOG_MIGRATE_POWEROFF_FAILURE", E),
    45: ("PROLOG_MIGRATE_SUSPEND", S),
    46: ("PROLOG_MIGRATE_SUSPEND_FAILURE", E),
    47: ("BOOT_UNDEPLOY_FAILURE", E),
    48: ("BOOT_STOPPED_FAILURE", E),
    49: ("PROLOG_RESUME_FAILURE", E),
    50: ("PROLOG_UNDEPLOY_FAILURE", E),
    51: ("DISK_SNAPSHOT_POWEROFF", S),
    52: ("DISK_SNAPSHOT_REVERT_POWEROFF", S),
    53: ("DISK_SNAPSHOT_DELETE_POWEROFF", S),
    54: ("DISK_SNAPSHOT_SUSPENDED", S),
    55: ("DISK_SNAPSHOT_REVERT_SUSPENDED", S),  # retired
    56: ("DISK_SNAPSHOT_DELETE_SUSPENDED", S),
    57: ("DISK_SNAPSHOT", R),
    58: ("DISK_SNAPSHOT_REVERT", R),  # retired
    59: ("DISK_SNAPSHOT_DELETE", R),
    60: ("PROLOG_MIGRATE_UNKNOWN", P),
    61: ("PROLOG_MIGRATE_UNKNOWN_FAILURE", E),
    62: ("DISK_RESIZE", R),
    63: ("DISK_RESIZE_POWEROFF", S),
    64: ("DISK_RESIZE_UNDEPLOYED", S),
    65: ("HOTPLUG_NIC_POWEROFF", S),
    66: ("HOTPLUG_RESIZE", R),
    67: ("HOTPLUG_SAVEAS_UNDEPLOYED", S),
    68: ("HOTPLUG_SAVEAS_STOPPED", S),
    69: ("BACKUP", R),
    70: ("BACKUP_POWEROFF", S),
    71: ("RESTORE", S),
}

#: What a `terminate` (soft or hard) turns straight into a delete or an epilog.
_TERMINATE_NOW = frozenset({INIT, PENDING, HOLD, CLONING, CLONING_FAILURE, FAILED})
_TERMINATE_NOW |= {POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED}
#: ACTIVE VMs on their way to DONE: nothing to do but wait.
_GOING = frozenset({EPILOG, CLEANUP_DELETE})
#: Where `resume` starts a VM (besides ACTIVE/UNKNOWN).
_RESUMABLE = frozenset({POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED})
#: Where oned's `one.vm.resize` sets the capacity of a VM that runs nothing
#: (DispatchManager::resize; POWEROFF checks the host's capacity too).
_RESIZABLE = frozenset({INIT, PENDING, HOLD, POWEROFF, UNDEPLOYED, CLONING, CLONING_FAILURE})


#: An image's STATE (include/Image.h, image.xsd) -> (name, whether it can be launched).
#: Being written (INIT, LOCKED*, CLONE: a source being copied) is pending; in use or
#: not is available; ERROR and DISABLED (an administrator's) will not launch. DELETE is
#: the datastore removing it: the driver lists it no more.
IMAGE_STATES: Mapping[int, tuple[str, ImageState]] = {
    0: ("INIT", ImageState.PENDING),
    1: ("READY", ImageState.AVAILABLE),
    2: ("USED", ImageState.AVAILABLE),
    3: ("DISABLED", ImageState.ERROR),
    4: ("LOCKED", ImageState.PENDING),
    5: ("ERROR", ImageState.ERROR),
    6: ("CLONE", ImageState.PENDING),
    7: ("DELETE", ImageState.ERROR),
    8: ("USED_PERS", ImageState.AVAILABLE),
    9: ("LOCKED_USED", ImageState.PENDING),
    10: ("LOCKED_USED_PERS", ImageState.PENDING),
}
IMAGE_DELETE = 7
#: Image states oned refuses `one.image.delete` in without force (ImageDelete).
IMAGE_LOCKED = frozenset({4, 9, 10})


def image_state(state: int) -> ImageState:
    """vertice's state for an image's STATE (pending for codes OpenNebula may add)."""
    return IMAGE_STATES.get(state, ("", ImageState.PENDING))[1]


def state_of(state: int, lcm_state: int) -> InstanceState:
    """vertice's state for a VM's STATE and LCM_STATE (`unknown` for codes OpenNebula may add)."""
    if state == ACTIVE:
        return LCM_STATES.get(lcm_state, ("", U))[1]
    return VM_STATES.get(state, ("", U))[1]


def state_name(state: int, lcm_state: int) -> str:
    """`ACTIVE/RUNNING`, `POWEROFF`...: how OpenNebula names the state (for messages)."""
    name = VM_STATES.get(state, (f"STATE {state}", U))[0]
    if state == ACTIVE:
        return f"{name}/{LCM_STATES.get(lcm_state, (f'LCM_STATE {lcm_state}', U))[0]}"
    return name


def escalates(state: int, lcm_state: int) -> bool:
    """Whether a `terminate` of a VM in this state may hang (and so starts the escalation clock)."""
    return state == ACTIVE and lcm_state in (RUNNING, UNKNOWN, SHUTDOWN)


def start_action(state: int, lcm_state: int) -> str | None:
    """The action that starts the VM; None when it runs or is on its way already.

    Raises ValueError when OpenNebula would refuse every start action in this state.
    """
    if state == HOLD:
        return "release"
    if state in _RESUMABLE or (state == ACTIVE and lcm_state == UNKNOWN):
        return "resume"
    if state_of(state, lcm_state) in (R, P):
        return None
    raise ValueError(state_name(state, lcm_state))


def stop_action(state: int, lcm_state: int) -> str | None:
    """The action that stops the VM (keeping its disks); None when it is stopped or stopping.

    A VM still waiting for a host is held; a running one is powered off.
    Raises ValueError when OpenNebula would refuse every stop action in this state.
    """
    if state == PENDING:
        return "hold"
    if state == ACTIVE and lcm_state in (RUNNING, UNKNOWN):
        return "poweroff"
    if state_of(state, lcm_state) is S or (state == ACTIVE and lcm_state == SHUTDOWN_POWEROFF):
        return None
    raise ValueError(state_name(state, lcm_state))


def hard_stop_action(state: int, lcm_state: int) -> str | None:
    """As `stop_action`, powering a running VM off without ACPI (`poweroff-hard`)."""
    action = stop_action(state, lcm_state)
    return "poweroff-hard" if action == "poweroff" else action


def hard_reboot_action(state: int, lcm_state: int) -> str | None:
    """`reboot-hard` for a running VM (a power cycle); None for one that runs nothing.

    Raises ValueError in a state where OpenNebula refuses it (a transition)."""
    if state == ACTIVE and lcm_state in (RUNNING, UNKNOWN):
        return "reboot-hard"
    if state_of(state, lcm_state) is S:
        return None
    raise ValueError(state_name(state, lcm_state))


def suspend_action(state: int, lcm_state: int) -> str | None:
    """As `stop_action`, suspending a running VM (`suspend`: oned saves its memory on
    its host, and `resume` restores it there without a boot).

    oned suspends only an ACTIVE/RUNNING VM, so an UNKNOWN one (its host cannot be
    monitored) raises ValueError, to be retried, rather than being powered off; a VM
    in SAVE_SUSPEND is being suspended already (None). Like `stop_action`, a VM that
    runs nothing (or is powering off) is left alone and one still waiting for a host
    is held: it has no memory to keep.
    """
    if state == ACTIVE and lcm_state == UNKNOWN:
        raise ValueError(state_name(state, lcm_state))
    if state == ACTIVE and lcm_state == SAVE_SUSPEND:
        return None
    action = stop_action(state, lcm_state)
    return "suspend" if action == "poweroff" else action


def resize_step(state: int, lcm_state: int, fits: bool, restart: bool) -> str | None:
    """The next step of a cold resize: `resize`, `poweroff`, `resume`, `wait`, or None
    (done). `fits`: the VM has the wanted capacity; `restart`: a resize powered it off
    and it must run again (the VM's `VERTICE_RESIZE_RESTART`).

    oned resizes a VM that runs nothing (POWEROFF, UNDEPLOYED, and one not deployed
    yet: PENDING, HOLD...), so a RUNNING one is powered off first. Transitions
    (powering off, booting, an operation in flight) are waited for. Raises
    ValueError where oned refuses a resize and nothing vertice does would change it
    (SUSPENDED, STOPPED, a failure, UNKNOWN): retried until the VM is started or
    replaced.
    """
    if fits:
        if restart and state in (POWEROFF, UNDEPLOYED):
            return "resume"
        if restart and state == ACTIVE and lcm_state == SHUTDOWN_POWEROFF:
            return "wait"
        return None
    if state in _RESIZABLE:
        return "resize"
    if state == ACTIVE and lcm_state == RUNNING:
        return "poweroff"
    if state == ACTIVE and state_of(state, lcm_state) in (P, R, S):
        return "wait"  # booting, powering off, or an operation that ends where it began
    raise ValueError(state_name(state, lcm_state))


def terminate_action(
    state: int, lcm_state: int, requested_at: float | None, now: float, hard_after: float
) -> str | None:
    """The action that deletes the VM now; None when it is gone or going.

    `requested_at` is when vertice first asked to terminate this VM (recorded on
    the VM itself). A running VM gets `terminate` (an ACPI shutdown) until
    `hard_after` seconds have passed since; then `terminate-hard`, which also
    overrides a shutdown that hangs. Raises ValueError in a state where
    OpenNebula refuses to terminate (a transition: wait for it to settle).
    """
    if state == DONE:
        return None
    if state in _TERMINATE_NOW:
        return "terminate"
    if state != ACTIVE:
        raise ValueError(state_name(state, lcm_state))
    overdue = requested_at is not None and now - requested_at >= hard_after
    if lcm_state in (RUNNING, UNKNOWN):
        return "terminate-hard" if overdue else "terminate"
    if lcm_state == SHUTDOWN:
        return "terminate-hard" if overdue else None
    if lcm_state in _GOING:
        return None
    if state_of(state, lcm_state) is E:
        return "terminate"
    raise ValueError(state_name(state, lcm_state))
