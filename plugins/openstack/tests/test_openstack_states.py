"""Nova's server states, as a table: every status of the API reference, and the task states
that say a server is on its way elsewhere."""

from __future__ import annotations

import pytest

from vertice_core.model.status import InstanceState
from vertice_driver_openstack.states import STATUSES, is_gone, state_of

P, R, S, T, E, U = (
    InstanceState.PENDING,
    InstanceState.RUNNING,
    InstanceState.STOPPED,
    InstanceState.TERMINATED,
    InstanceState.ERROR,
    InstanceState.UNKNOWN,
)

#: The server statuses of the compute API reference (api-ref servers.inc, "status").
API_REFERENCE = {
    "ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD", "PAUSED",
    "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED", "SHELVED_OFFLOADED",
    "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN", "VERIFY_RESIZE",
}  # fmt: skip


def test_every_status_of_the_api_reference_is_mapped():
    assert set(STATUSES) == API_REFERENCE


@pytest.mark.parametrize(
    ("status", "task", "state"),
    [
        ("BUILD", "scheduling", P),
        ("BUILD", "spawning", P),
        ("BUILD", None, P),
        ("ACTIVE", None, R),
        ("ACTIVE", "powering-off", P),  # stopping
        ("ACTIVE", "suspending", P),
        ("ACTIVE", "rebooting", R),  # other tasks leave it where its status says
        ("ACTIVE", "image_snapshot", R),
        ("ACTIVE", "deleting", T),
        ("REBOOT", "reboot_started", P),
        ("HARD_REBOOT", "reboot_started_hard", P),
        ("REBUILD", "rebuilding", P),
        ("RESIZE", "resize_migrating", P),
        ("REVERT_RESIZE", None, P),
        ("VERIFY_RESIZE", None, R),
        ("MIGRATING", "migrating", R),
        ("PASSWORD", None, R),
        ("RESCUE", None, P),
        ("SHUTOFF", None, S),
        ("SHUTOFF", "powering-on", P),  # starting
        ("SHUTOFF", "deleting", T),
        ("PAUSED", None, S),
        ("SUSPENDED", None, S),
        ("SUSPENDED", "resuming", P),
        ("SHELVED", None, S),
        ("SHELVED_OFFLOADED", None, S),
        ("SOFT_DELETED", None, T),
        ("DELETED", None, T),
        ("ERROR", None, E),
        ("ERROR", "powering-off", E),  # a broken server stays broken
        ("ERROR", "deleting", T),
        ("UNKNOWN", None, U),
        ("SOMETHING_NEW", None, U),
        ("", None, U),
        (None, None, U),
        ("active", None, R),
    ],
)
def test_state_of(status, task, state):
    assert state_of(status, task) is state
    assert is_gone(status, task) is (state is T)
