"""Every guest state SoftLayer documents, onto vertice's (vertice_driver_softlayer.states).

Guest documents are shaped like the recorded `v3_SoftLayer_Account_getVirtualGuests.xml`
(powerState, statusId, no provisionDate in libcloud's mask) and the SDK's own
`SoftLayer_Virtual_PlacementGroup` fixture (a cancelled guest: status DISCONNECTED with
a RECLAIM_WAIT transaction). XML-RPC has no null: empty values come as ''.
"""

from __future__ import annotations

import pytest

from vertice_core.model.status import InstanceState as S
from vertice_driver_softlayer.states import POWER_STATES, state_of

PROVISIONED = "2013-11-12T19:39:03+01:00"


def guest(power="RUNNING", status="ACTIVE", transaction="", provisioned=PROVISIONED, reload=0):
    document = {
        "id": 2905761,
        "powerState": {"keyName": power, "name": power.title()} if power else "",
        "status": {"keyName": status, "name": status.title()} if status else "",
        "provisionDate": provisioned,
        "activeTransaction": (
            {"id": 7, "transactionStatus": {"name": transaction, "friendlyName": transaction}}
            if transaction
            else ""
        ),
    }
    if reload:
        document["lastOperatingSystemReload"] = {"id": reload}
    return document


@pytest.mark.parametrize(
    ("document", "state"),
    [
        # in service, settled: the power state decides
        (guest("RUNNING"), S.RUNNING),
        (guest("HALTED"), S.STOPPED),
        (guest("PAUSED"), S.STOPPED),
        (guest("INITIATING"), S.PENDING),
        (guest(""), S.UNKNOWN),
        (guest("SOMETHING_NEW"), S.UNKNOWN),
        # ordered, being provisioned: no provisionDate yet
        (guest("HALTED", provisioned="", transaction="ATTACH_PRIMARY_DISK"), S.PENDING),
        (guest("HALTED", provisioned=""), S.PENDING),  # ordered, no transaction yet
        (guest("RUNNING", provisioned="", transaction="CLOUD_CONFIGURE"), S.PENDING),
        (guest("RUNNING", provisioned=""), S.RUNNING),  # running, nothing in flight
        # a transaction in flight
        (guest("HALTED", transaction="POWER_ON"), S.PENDING),
        (guest("PAUSED", transaction="RESUME"), S.PENDING),
        (guest("RUNNING", transaction="POWER_OFF_SOFT"), S.RUNNING),  # still running until done
        (guest("RUNNING", transaction="OS_RELOAD", reload=7), S.PENDING),  # an OS reload
        # cancelled: reclaimed after a while, then no longer listed
        (guest("RUNNING", "DISCONNECTED", "RECLAIM_WAIT"), S.TERMINATED),
        (guest("HALTED", "ACTIVE", "CLOUD_INSTANCE_RECLAIM"), S.TERMINATED),
        # not in service, and not said to be reclaimed: SoftLayer does not say it runs
        (guest("RUNNING", "DISCONNECTED"), S.UNKNOWN),
        (guest("RUNNING", "A_STATUS_SOFTLAYER_MAY_ADD"), S.UNKNOWN),
        # a listing whose mask left the status out: the power state decides
        (guest("RUNNING", status=""), S.RUNNING),
    ],
)
def test_guest_states(document, state):
    assert state_of(document) is state


def test_every_documented_power_state_has_a_row():
    assert set(POWER_STATES) == {"RUNNING", "HALTED", "PAUSED", "INITIATING"}
