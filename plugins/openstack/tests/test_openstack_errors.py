"""Error mapping end to end: what the assembly shows, retries with backoff, and the loop lives on.

The peer answers as OpenStack does (see `openstack_peer`): Keystone refuses a
wrong password with 401; Nova refuses a create over the instance quota with 403
"Quota exceeded for instances: Requested 1, but already used 0 of 0 instances",
an image or network it does not know with 400, throttles with 429 and
`Retry-After`, fails with its `computeFault` 500, and puts a server whose build
failed in ERROR with a `fault` (`code`, `message`, `created`, as Nova's API
guide shows one). Connections are dropped, replies held past the read timeout,
and the whole peer taken down.
"""

from __future__ import annotations

import attrs
import pytest
from openstack_peer import PASSWORD, USERNAME

from vertice_testing.scenarios import (
    outage_is_retried_until_back,
    rejected_credentials_show,
    replace_credentials,
    throttling_is_backed_off,
)

# The error paths are the driver's and the loop's, not the database's: the lifecycle test
# runs on both engines; these run on SQLite alone to keep the suite quick.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_rejected_credentials_show_on_the_assembly_until_the_admin_fixes_them(
    admin, alice, openstack_region, peer, make_reconciler, converge, phases
):
    openstack_region(credentials={"username": USERNAME, "password": "revoked-Passw0rd"})
    reconciler = make_reconciler()
    message = rejected_credentials_show(alice, "os-test", reconciler, converge)
    assert "Keystone answered HTTP 401" in message and "credentials were refused" in message
    assert "revoked-Passw0rd" not in message
    assert peer.count("servers.create") == 0

    replace_credentials(admin, "os-test", {"username": USERNAME, "password": PASSWORD})
    converge(reconciler, lambda: phases() == {"RUNNING": 2}, timeout=30)


def test_a_full_quota_fails_the_assembly_with_novas_words_and_the_loop_goes_on(
    alice, openstack_region, peer, cloud, make_reconciler, converge, phases
):
    openstack_region()
    cloud.max_instances = 0
    uri = alice.declare("web", region="os-test").headers["location"]
    local = alice.declare("elsewhere").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1, "RUNNING": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "QuotaExceeded"
    assert "Quota exceeded for instances" in shown["message"] and "HTTP 403" in shown["message"]
    assert alice.status(local)["phase"] == "RUNNING"
    for _ in range(3):  # terminal: no retry until the spec changes
        reconciler.run_pass()
    assert peer.count("servers.create", None) == 1

    cloud.max_instances = None
    alice.replace(uri, "/description", "the quota was raised")
    converge(reconciler, lambda: phases() == {"RUNNING": 2})


def test_throttling_is_retried_with_backoff_until_it_works(
    alice, openstack_region, peer, make_reconciler, converge, phases, fast_settings
):
    openstack_region()
    peer.fail("servers.create", status=429, message="Rate limit exceeded", times=3)
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler(attrs.evolve(fast_settings, backoff_base=0.4, backoff_cap=5.0))
    throttling_is_backed_off(
        alice, uri, reconciler, converge, phases,
        says="Rate limit exceeded", attempts=lambda: peer.times("servers.create"),
    )  # fmt: skip


def test_a_throttled_create_waits_the_retry_after_nova_asked(
    alice, openstack_region, peer, make_reconciler, converge, phases, synced, fast_settings
):
    openstack_region()
    peer.fail("servers.create", status=429, message="Too many requests", retry_after=2, times=1)
    uri = alice.declare("web", region="os-test").headers["location"]
    # A tiny backoff: only the Retry-After can space the attempts by seconds.
    quick = attrs.evolve(fast_settings, backoff_base=0.01, backoff_cap=5.0)
    reconciler = make_reconciler(quick)
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "Throttled")
    assert "retrying in 2s" in synced(alice, uri)["message"]
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
    first, second = peer.times("servers.create")
    assert second - first >= 1.9, (first, second)


def test_a_throttled_listing_backs_the_region_off_for_its_retry_after(
    alice, openstack_region, peer, make_reconciler, converge, phases, fast_settings
):
    openstack_region()
    uri = alice.declare("web", region="os-test").headers["location"]
    quick = attrs.evolve(fast_settings, backoff_base=0.01, backoff_cap=5.0)
    reconciler = make_reconciler(quick)
    peer.fail("servers.list", status=429, message="Too many requests", retry_after=2, times=1)
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)
    first, second = peer.times("servers.list")[:2]
    assert second - first >= 1.9, (first, second)
    assert alice.status(uri)["phase"] == "RUNNING"


def test_a_server_nova_does_not_know_for_a_moment_is_retried(
    alice, openstack_region, peer, make_reconciler, converge, phases, synced
):
    openstack_region()
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    server_id = alice.status(uri)["instances"][0]["cloud_id"]

    peer.fail(
        "servers.action", status=404, message=f"Instance {server_id} could not be found.",
        times=2,
    )  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: synced(alice, uri).get("reason") == "InstanceNotFound")
    assert "could not be found" in synced(alice, uri)["message"]
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert len(peer.called("servers.action", None)) == 3


def test_server_errors_dropped_connections_and_a_slow_nova_are_retried(
    alice, openstack_region, peer, make_reconciler, converge, phases, synced
):
    openstack_region(timeout=0.5)
    peer.fail("servers.list", status=500, message="Unexpected API Error.", times=2)
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: "HTTP 500" in synced(alice, uri).get("message", ""))
    assert synced(alice, uri)["reason"] == "CloudUnavailable"
    assert "Unexpected API Error" in synced(alice, uri)["message"]
    converge(reconciler, lambda: phases() == {"RUNNING": 1})

    peer.fail("servers.list", drop=True, times=1)
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: "cannot be reached" in synced(alice, uri).get("message", ""))
    converge(reconciler, lambda: phases() == {"STOPPED": 1})

    peer.fail("servers.list", delay=2.0, times=1)  # past the read timeout
    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: "did not answer in time" in synced(alice, uri).get("message", ""))
    assert synced(alice, uri)["reason"] == "CloudUnavailable"
    converge(reconciler, lambda: phases() == {"RUNNING": 1}, timeout=30)


def test_an_endpoint_that_goes_down_is_retried_until_it_is_back(
    alice, openstack_region, peer, make_reconciler, converge, phases
):
    openstack_region()
    uri = alice.declare("web", region="os-test").headers["location"]
    outage_is_retried_until_back(alice, uri, peer, make_reconciler(), converge, phases)


def test_a_server_whose_build_fails_for_a_while_is_replaced(
    alice, openstack_region, peer, cloud, make_reconciler, converge, phases
):
    openstack_region()
    # Nova takes the create (202), then the build ends in ERROR: no host had room.
    cloud.build_faults.append((500, "No valid host was found. There are not enough hosts "
                                    "available."))  # fmt: skip
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (shown,) = alice.status(uri)["instances"]
    assert shown["key"].endswith("-2")  # the broken server's key was -1
    (broken,) = [s for s in cloud.servers.values() if s.status != "ACTIVE" or s.gone]
    assert broken.fault is not None and broken.name.endswith("-1")
    assert [c.target for c in peer.called("servers.delete")] == [broken.id]
    assert peer.count("servers.create") == 2


def test_a_server_whose_build_cannot_work_fails_the_assembly_instead_of_looping(
    alice, openstack_region, peer, cloud, make_reconciler, converge, phases, synced
):
    openstack_region(fault_window=60.0)
    message = (
        "Build of instance aborted: Flavor's disk is too small for requested image. Flavor "
        "disk is 21474836480 bytes, image is 42949672960 bytes."
    )
    cloud.build_faults.append((400, message))
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == "FlavorTooSmall"
    assert "Flavor's disk is too small" in shown["message"] and "is in ERROR" in shown["message"]
    # Terminal: the broken server is deleted (Nova takes its time: wait for it, as a
    # fixed three passes once did not under load), and no other one is built.
    converge(reconciler, lambda: cloud.live() == [])
    for _ in range(3):
        reconciler.run_pass()
    assert peer.count("servers.create") == 1 and cloud.live() == []

    # The spec changes while the fault is recent, with the same image and flavor: the
    # create looks at the broken server again (a listing with `changes-since`), and stops.
    looked = len(_fault_lookups(peer))
    alice.replace(uri, "/description", "try again")
    converge(reconciler, lambda: len(_fault_lookups(peer)) > looked and phases() == {"FAILED": 1})
    assert "the image and flavor are the same" in synced(alice, uri)["message"]
    assert peer.count("servers.create") == 1


def _fault_lookups(peer):
    return [c for c in peer.called("servers.list") if "changes-since" in c.query]


def test_a_terminal_fault_older_than_its_window_no_longer_blocks(
    alice, openstack_region, peer, cloud, make_reconciler, converge, phases
):
    openstack_region(fault_window=60.0)
    cloud.build_faults.append((404, "Image 1bea47ed could not be found."))
    uri = alice.declare("web", region="os-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"FAILED": 1})
    assert alice.status(uri)["reason"] == "ImageNotFound"
    cloud.when(lambda: cloud.live() == [])

    (broken,) = cloud.servers.values()
    code, message, created = broken.fault
    broken.fault = (code, message, created - 120.0)  # the fault is older than the window now
    alice.replace(uri, "/description", "the image is back")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert peer.count("servers.create") == 2


@pytest.mark.parametrize(
    ("settings", "reason", "named"),
    [
        ({"images": {}}, "ImageNotMapped", "1_virtualmachine_ubuntu"),
        ({"images": {"1_virtualmachine_ubuntu": "no-such-image"}}, "ImageNotFound",
         "no-such-image"),
        ({"images": {"1_virtualmachine_ubuntu": "70a599e0-31e7-49b7-b260-868f441e862b"}},
         "ImageNotFound", "Can not find requested image"),
        ({"flavors": {"small": "m1.nope"}}, "FlavorNotFound", "m1.nope"),
        ({"networks": ["9b7d1c3e-0000-4f2a-8e5c-2d1f0a9b8c7d"]}, "NetworkNotFound",
         "Network 9b7d1c3e-0000-4f2a-8e5c-2d1f0a9b8c7d could not be found"),
    ],
)  # fmt: skip
def test_what_the_region_cannot_launch_fails_with_a_clear_reason(
    alice, openstack_region, make_reconciler, converge, phases, settings, reason, named
):
    openstack_region(**settings)
    uri = alice.declare("web", region="os-test").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    shown = alice.status(uri)
    assert shown["reason"] == reason
    assert named in shown["message"]


def test_a_region_the_catalog_does_not_have_is_a_region_problem(
    alice, openstack_region, peer, make_reconciler, converge, synced
):
    openstack_region(region_name="RegionNine")
    uri = alice.declare("web", region="os-test").headers["location"]
    converge(make_reconciler(), lambda: synced(alice, uri).get("reason") == "RegionMisconfigured")
    assert "catalog has no endpoint" in synced(alice, uri)["message"]
    assert peer.count("servers.list", None) == 0
