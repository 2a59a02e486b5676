"""End to end on the peer: API -> store -> reconciler -> `softlayer` driver -> XML-RPC, and back.

The peer's guests follow the recorded `v3_SoftLayer_Account_getVirtualGuests.xml`
(listing) and `v3__SoftLayer_Virtual_Guest_createObject.xml` (the order's reply);
a cancelled guest is DISCONNECTED with a RECLAIM_WAIT transaction until it is
reclaimed, as in the SDK's own fixtures (see `softlayer_guests.py`).
"""

from __future__ import annotations

import pytest

from vertice_core import builtins
from vertice_drivers.testkit import TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow

DOMAIN = "vertice.internal"


def test_an_assembly_lives_its_whole_life_on_softlayer(
    ctx, alice, softlayer_region, make_reconciler, converge, phases, peer, account
):
    softlayer_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="sl-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    (guest,) = account.by_hostname(shown["key"])  # the hostname is the instance's key
    assert shown["cloud_id"] == str(guest.id)
    assert shown["public_ipv4"] == guest.public_ip != ""
    assert shown["private_ipv4"] == guest.private_ip != ""
    installation = builtins.installation_id(ctx.store)
    assert guest.domain == f"{installation}.{DOMAIN}"
    assert set(guest.tags) >= {
        f"vertice-installation:{installation}",
        f"vertice-assembly:{body['id']}",
        f"vertice-key:{shown['key']}",
    }
    (order,) = [c.args[0] for c in peer.calls("createObject")]
    assert order["datacenter"] == {"name": "dal13"}
    assert order["operatingSystemReferenceCode"] == "UBUNTU_22_64"  # 1_virtualmachine_ubuntu
    assert order["supplementalCreateObjectOptions"] == {"flavorKeyName": "B1_1X2X25"}  # small
    (user_data,) = order["userData"]
    assert user_data["value"].startswith("#cloud-config") and TEST_PUBLIC_KEY in user_data["value"]

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert guest.power == "HALTED" and peer.count("powerOffSoft") == 1

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert guest.power == "RUNNING" and peer.count("powerOn") == 1

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: guest.reboots == 1 and phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert guest.reboots == 1 and reconciler.metrics.calls("softlayer", "reboot") == 1

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    assert guest.gone  # cancelled, then reclaimed
    assert [g.id for g in account.by_hostname(shown["key"])] == [guest.id]  # one guest, one life
    assert peer.count("createObject") == 1
    assert alice.get(uri).status_code == 404


# The ghost and foreign-guest paths are the driver's and the loop's, not the database's: the
# lifecycle test runs on both engines, these on SQLite alone to keep the suite quick.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ghost_is_cancelled_and_guests_not_of_vertice_are_never_touched(
    ctx, alice, softlayer_region, make_reconciler, converge, phases, peer, account, managed
):
    softlayer_region()
    installation = builtins.installation_id(ctx.store)
    ours = f"{installation}.{DOMAIN}"
    ghost = account.plant("asm-gone-1", ours, managed(installation, "asm-gone", "asm-gone-1"))
    pet = account.plant("someones-pet", "example.com")  # no tags, not in vertice's domain
    parent = account.plant("asm-nope-1", DOMAIN)  # the parent domain is not vertice's
    neighbour = account.plant(
        "asm-theirs-1",
        f"vti-another.{DOMAIN}",
        managed("vti-another", "asm-theirs", "asm-theirs-1"),
    )

    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and ghost.gone)
    for _ in range(3):
        reconciler.run_pass()
    touched = {int(c.identifier) for c in peer.transport.calls if c.identifier is not None}
    assert ghost.id in touched
    for bystander in (pet, parent, neighbour):
        assert bystander.id not in touched
        assert (bystander.power, bystander.status, bystander.gone) == ("RUNNING", "ACTIVE", False)
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_what_happens_behind_vertices_back_is_undone(
    alice, softlayer_region, make_reconciler, converge, phases, peer, account
):
    softlayer_region()
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]
    guest_id = int(first["cloud_id"])

    account.power(guest_id, "powerOff")  # the guest was shut down from the portal
    converge(
        reconciler,
        lambda: reconciler.metrics.calls("softlayer", "start") == 1 and phases() == {"RUNNING": 1},
    )
    assert alice.get(uri).json["status"]["instances"][0]["cloud_id"] == first["cloud_id"]

    account.cancel(guest_id)  # someone cancelled it: it is reclaimed
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and alice.get(uri).json["status"]["instances"][0]["cloud_id"] != first["cloud_id"]
        ),
    )
    # SoftLayer keeps no idempotency token of a cancelled guest: whether the replacement gets
    # a new key (the reconciler saw the guest reclaiming) or the same one (it was reclaimed
    # between two looks), it is a new guest, and the only one.
    (second,) = alice.get(uri).json["status"]["instances"]
    live = [g.id for g in account.guests.values() if not g.gone]
    assert live == [int(second["cloud_id"])]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_cancel_that_softlayer_acknowledges_but_ignores_is_repeated(
    alice, softlayer_region, make_reconciler, converge, phases, peer, account
):
    softlayer_region()
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    guest = account.guests[int(alice.get(uri).json["status"]["instances"][0]["cloud_id"])]

    account.ignored_cancels = 2  # deleteObject answers true twice, and the guest runs on
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: peer.count("deleteObject") >= 1)
    assert alice.get(uri).status_code == 200  # not DELETED while the guest still runs
    converge(reconciler, lambda: phases() == {})
    assert guest.gone and peer.count("deleteObject") == 3
