"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

The peer answers as SoftLayer does (see `softlayer_peer.py`): a wrong API key
with `SoftLayer_Exception_InvalidLegacyToken` ("Invalid API token.", the message
SoftLayer's documentation gives), a full account with a refused order, a guest
it does not know with `SoftLayer_Exception_ObjectNotFound` ("Unable to find object
with id of ..."), too many calls with `SoftLayer_Exception_WebService_RateLimitExceeded`
(the code softlayer-go retries on); server errors with the fixture server's own
HTTP 555 reply, dropped connections, replies held past the read timeout, and no
answer at all once stopped. No recorded reply of these exists; the recorded
`fail.xml` fault is served in `test_softlayer_driver.py`.
"""

from __future__ import annotations

import itertools

import attrs
import pytest
from softlayer_peer import API_KEY

from vertice_testing.scenarios import (
    outage_is_retried_until_back,
    rejected_credentials_show,
    replace_credentials,
)

# The error paths are the driver's and the loop's, not the database's: the lifecycle test
# runs on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_rejected_credentials_show_on_the_assembly_until_the_admin_fixes_them(
    admin, alice, softlayer_region, peer, make_reconciler, converge, phases
):
    softlayer_region(credentials={"username": "vertice", "api_key": "revoked"})
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "sl-test", reconciler, converge)
    assert "SoftLayer_Exception_InvalidLegacyToken" in message and "Invalid API token" in message
    assert peer.count("createObject") == 0

    replace_credentials(admin, "sl-test", {"username": "vertice", "api_key": API_KEY})
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_full_account_fails_the_assembly_with_the_reason_and_the_loop_goes_on(
    alice, softlayer_region, peer, account, make_reconciler, converge, phases
):
    softlayer_region()
    account.max_guests = 0
    uri = alice.declare("web", region="sl-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert "maximum number of virtual guests (0)" in shown["message"]
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert peer.count("createObject") == 1

    account.max_guests = None
    alice.replace(uri, "/description", "the limit was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_rate_limiting_is_retried_with_backoff_until_it_works(
    alice, softlayer_region, peer, make_reconciler, converge, phases, synced, fast_settings
):
    softlayer_region()
    peer.fail(
        "createObject", code="SoftLayer_Exception_WebService_RateLimitExceeded",
        message="Rate limit exceeded. Please retry later.", times=3,
    )  # fmt: skip
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, backoff_base=1.0, backoff_cap=5.0))
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "Throttled")
    assert "RateLimitExceeded" in synced(alice, uri)["message"]
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
    assert synced(alice, uri)["status"] == "True"
    attempts = peer.arrivals("createObject")
    assert len(attempts) == 4, attempts  # three refused, then the order that worked
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    # backoff(n) = base * 2**n * uniform(0.5, 1), counted from the start of the pass that
    # failed, which on a loaded machine can be a while before its call: at least 0.5 s,
    # then 1 s, then 2 s, less up to 0.2 s (0.4 s for the longer ones) of that while.
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6 and gaps[2] >= 1.6, gaps


def test_a_guest_softlayer_does_not_know_for_a_moment_is_retried(
    alice, softlayer_region, peer, make_reconciler, converge, phases, synced
):
    softlayer_region()
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    guest_id = alice.status(uri)["instances"][0]["cloud_id"]

    peer.fail(
        "powerOffSoft", code="SoftLayer_Exception_ObjectNotFound",
        message=f"Unable to find object with id of '{guest_id}'.", times=2,
    )  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    assert "Unable to find object" in synced(alice, uri)["message"]
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert peer.count("powerOffSoft") == 3


def test_server_errors_dropped_connections_and_a_slow_softlayer_are_retried(
    alice, softlayer_region, peer, make_reconciler, converge, phases, synced
):
    softlayer_region(read_timeout=0.5)
    peer.fail("getVirtualGuests", http=555, times=2)  # the fixture server's HTTP 5xx reply
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: "HTTP 555" in synced(alice, uri).get("message", ""))
    assert synced(alice, uri)["reason"] == "CloudUnavailable"
    converge(reconciler, lambda: phases() == {"RUNNING": 1})

    peer.fail("getVirtualGuests", http="drop", times=1)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: "cannot be reached" in synced(alice, uri).get("message", ""))
    converge(reconciler, lambda: phases() == {"STOPPED": 1})

    peer.fail("getVirtualGuests", delay=2.0, times=1)  # past the read timeout
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: "did not answer in time" in synced(alice, uri).get("message", ""))
    assert synced(alice, uri)["reason"] == "CloudUnavailable"
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, softlayer_region, peer, make_reconciler, converge, phases
):
    softlayer_region()
    uri = alice.declare("web", region="sl-test").headers["location"]
    outage_is_retried_until_back(alice, uri, peer, make_reconciler(), converge, phases)


def test_an_order_whose_tagging_failed_is_adopted_by_its_name_not_ordered_twice(
    alice, softlayer_region, peer, account, make_reconciler, converge, phases, synced
):
    softlayer_region()
    # The order goes through; tagging it fails: the guest exists, known by its name only.
    peer.fail("setTags", code="SoftLayer_Exception_Public", message="Internal Error")
    uri = alice.declare("web", region="sl-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: "setTags" in synced(alice, uri).get("message", ""))
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    for _ in range(3):
        reconciler.run_pass()
    assert peer.count("createObject") == 1
    (shown,) = alice.status(uri)["instances"]
    (guest,) = account.by_hostname(shown["key"])  # the hostname is the key
    assert guest.tags == [] and shown["cloud_id"] == str(guest.id)


@pytest.mark.parametrize(
    ("settings", "refusal", "reason", "named"),
    [
        ({"images": {}}, None, "ImageNotMapped", "1_virtualmachine_ubuntu"),
        (
            {},
            ("SoftLayer_Exception_InvalidValue", "Invalid value provided for 'datacenter'."),
            "InvalidValue",
            "Invalid value provided for 'datacenter'",
        ),
        (
            {},
            ("SoftLayer_Exception_Order_InvalidLocation", "The location provided for this "
             "order is invalid."),
            "OrderInvalidLocation",
            "location provided for this order is invalid",
        ),
    ],
)  # fmt: skip
def test_an_order_softlayer_cannot_take_fails_with_a_clear_reason(
    alice, softlayer_region, peer, make_reconciler, converge, phases, settings, refusal, reason,
    named,
):  # fmt: skip
    softlayer_region(**settings)
    if refusal is not None:
        peer.fail("createObject", code=refusal[0], message=refusal[1])
    uri = alice.declare("web", region="sl-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == reason
    assert named in shown["message"]
