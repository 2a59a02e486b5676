"""OpenNebula's VM states onto vertice's, and the action each verb takes per state, as tables.

Every STATE and LCM_STATE of the recorded `vm_state_codes.json` (derived from
OpenNebula's `include/VirtualMachine.h`, retired codes included) must have a row,
under the same name; the verbs' actions follow `DispatchManager` (src/dm).
"""

from __future__ import annotations

import json

import pytest

from vertice_core.model.status import InstanceState as S
from vertice_driver_opennebula.states import (
    LCM_STATES,
    VM_STATES,
    start_action,
    state_name,
    state_of,
    stop_action,
    suspend_action,
    terminate_action,
)

ACTIVE = 3


@pytest.fixture(scope="module")
def codes(fixtures):
    return json.loads((fixtures / "vm_state_codes.json").read_text())


@pytest.mark.parametrize("table", ["VM_STATE", "LCM_STATE"])
def test_every_documented_state_has_a_row_under_its_name(codes, table):
    ours = VM_STATES if table == "VM_STATE" else LCM_STATES
    documented = {**codes[table], **codes[f"{table}_retired_commented_out"]}
    assert {int(code): name for code, name in documented.items()} == {
        code: name for code, (name, _) in ours.items()
    }


def test_only_an_unmonitored_host_leaves_the_state_unknown(codes):
    unknown = [
        state_name(ACTIVE, int(lcm))
        for lcm in codes["LCM_STATE"]
        if state_of(ACTIVE, int(lcm)) is S.UNKNOWN
    ]
    assert unknown == ["ACTIVE/UNKNOWN"]
    assert all(state_of(int(s), 0) is not S.UNKNOWN for s in codes["VM_STATE"] if s != "3")


@pytest.mark.parametrize(
    ("state", "lcm", "expected"),
    [
        (0, 0, S.PENDING),  # INIT
        (1, 0, S.PENDING),  # PENDING: waiting for a host
        (2, 0, S.STOPPED),  # HOLD: nothing runs until released
        (3, 1, S.PENDING),  # PROLOG
        (3, 2, S.PENDING),  # BOOT
        (3, 3, S.RUNNING),
        (3, 4, S.RUNNING),  # MIGRATE (live): the guest runs on
        (3, 17, S.RUNNING),  # HOTPLUG
        (3, 69, S.RUNNING),  # BACKUP
        (3, 12, S.PENDING),  # SHUTDOWN of a terminate: may time out back to RUNNING
        (3, 11, S.PENDING),  # EPILOG: gone only at DONE
        (3, 23, S.PENDING),  # CLEANUP_DELETE
        (3, 18, S.PENDING),  # SHUTDOWN_POWEROFF
        (3, 20, S.PENDING),  # BOOT_POWEROFF
        (3, 51, S.STOPPED),  # DISK_SNAPSHOT_POWEROFF: off while a snapshot is taken
        (3, 16, S.UNKNOWN),  # UNKNOWN: the host cannot be monitored
        (3, 36, S.ERROR),  # BOOT_FAILURE
        (3, 40, S.ERROR),  # EPILOG_FAILURE
        (3, 14, S.ERROR),  # FAILURE (retired)
        (4, 0, S.STOPPED),
        (5, 0, S.STOPPED),  # SUSPENDED
        (6, 0, S.TERMINATED),  # DONE
        (7, 0, S.ERROR),  # FAILED (retired)
        (8, 0, S.STOPPED),  # POWEROFF
        (9, 0, S.STOPPED),  # UNDEPLOYED
        (10, 0, S.PENDING),  # CLONING
        (11, 0, S.ERROR),  # CLONING_FAILURE
        (12, 0, S.UNKNOWN),  # a state OpenNebula may add
        (3, 99, S.UNKNOWN),  # an LCM state it may add
    ],
)
def test_states(state, lcm, expected):
    assert state_of(state, lcm) is expected


@pytest.mark.parametrize(
    ("state", "lcm", "start", "stop"),
    [
        (3, 3, None, "poweroff"),
        (3, 16, "resume", "poweroff"),  # UNKNOWN
        (8, 0, "resume", None),  # POWEROFF
        (4, 0, "resume", None),  # STOPPED
        (5, 0, "resume", None),  # SUSPENDED
        (9, 0, "resume", None),  # UNDEPLOYED
        (2, 0, "release", None),  # HOLD
        (1, 0, None, "hold"),  # PENDING: not on a host yet
        (3, 2, None, ValueError),  # BOOT: OpenNebula refuses a poweroff now
        (3, 18, None, None),  # SHUTDOWN_POWEROFF: already stopping
        (3, 51, ValueError, None),  # DISK_SNAPSHOT_POWEROFF: busy, but off
        (3, 36, ValueError, ValueError),  # BOOT_FAILURE: replaced, not started
    ],
)
def test_start_and_stop_actions(state, lcm, start, stop):
    for decide, expected in ((start_action, start), (stop_action, stop)):
        if expected is ValueError:
            with pytest.raises(ValueError, match=state_name(state, lcm)):
                decide(state, lcm)
        else:
            assert decide(state, lcm) == expected


@pytest.mark.parametrize(
    ("state", "lcm", "expected"),
    [
        (3, 3, "suspend"),  # RUNNING: the only state oned suspends in
        (3, 16, ValueError),  # UNKNOWN: oned refuses; not powered off instead
        (3, 6, None),  # SAVE_SUSPEND: being suspended already
        (5, 0, None),  # SUSPENDED
        (8, 0, None),  # POWEROFF: runs nothing, left alone
        (4, 0, None),  # STOPPED
        (9, 0, None),  # UNDEPLOYED
        (2, 0, None),  # HOLD
        (1, 0, "hold"),  # PENDING: no memory yet, held as a stop would
        (3, 18, None),  # SHUTDOWN_POWEROFF: already stopping
        (3, 2, ValueError),  # BOOT: retried once it runs
        (3, 21, ValueError),  # BOOT_SUSPENDED: being resumed
        (3, 51, None),  # DISK_SNAPSHOT_POWEROFF: busy, but off
        (3, 36, ValueError),  # BOOT_FAILURE: replaced, not suspended
    ],
)
def test_suspend_actions(state, lcm, expected):
    if expected is ValueError:
        with pytest.raises(ValueError, match=state_name(state, lcm)):
            suspend_action(state, lcm)
    else:
        assert suspend_action(state, lcm) == expected


@pytest.mark.parametrize(
    ("state", "lcm", "requested", "expected"),
    [
        (3, 3, None, "terminate"),  # first: an ACPI shutdown
        (3, 3, 990.0, "terminate"),  # asked 10 s ago: give it time
        (3, 3, 900.0, "terminate-hard"),  # asked long ago and still running: the ghost
        (3, 16, 900.0, "terminate-hard"),  # UNKNOWN host
        (3, 12, None, None),  # SHUTDOWN in progress
        (3, 12, 900.0, "terminate-hard"),  # a shutdown that hangs is overridden
        (3, 11, 900.0, None),  # EPILOG: on its way to DONE
        (3, 23, None, None),  # CLEANUP_DELETE
        (3, 36, None, "terminate"),  # BOOT_FAILURE: oned deletes it
        (1, 0, None, "terminate"),  # PENDING: freed at once
        (2, 0, None, "terminate"),  # HOLD
        (8, 0, None, "terminate"),  # POWEROFF: epilog
        (6, 0, None, None),  # DONE
        (3, 2, None, ValueError),  # BOOT: oned refuses, retried later
        (12, 0, None, ValueError),  # a state OpenNebula may add: not guessed
    ],
)
def test_terminate_actions(state, lcm, requested, expected):
    if expected is ValueError:
        with pytest.raises(ValueError, match=state_name(state, lcm)):
            terminate_action(state, lcm, requested, now=1000.0, hard_after=60.0)
    else:
        assert terminate_action(state, lcm, requested, now=1000.0, hard_after=60.0) == expected
