"""The day-2 verbs beyond the contract: what they send, how a resize carries on across
calls, what a snapshot is on Glance, and what they refuse."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from openstack_peer import PROJECT_ID

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, ImageState, SizeSpec
from vertice_core.errors import TerminalError, TransientError
from vertice_drivers.testkit import default_spec, unique_key

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MEDIUM = SizeSpec("medium", 2, 4096, 40)


def recorded(name):
    return json.loads((FIXTURES / name).read_text())


def running_server(driver, peer):
    """A new server of the driver's installation, ACTIVE on the peer."""
    spec = default_spec(driver.region.installation_id, unique_key("d2"))
    made = driver.create(spec)
    server = peer.cloud.servers[made.cloud_id]
    peer.cloud.when(lambda: server.status == "ACTIVE")
    return made.cloud_id, server


def actions(peer, name, fate="ok"):
    return [c.body for c in peer.called("servers.action", fate) if name in (c.body or {})]


def test_the_requests_are_the_recorded_action_bodies(make_driver, peer):
    driver = make_driver()
    cloud_id, _ = running_server(driver, peer)
    driver.resize(cloud_id, MEDIUM)
    ((resize,),) = [list(body.items()) for body in actions(peer, "resize")]
    assert set(resize[1]) <= set(recorded("nova_server-action-resize.json")["resize"])
    assert actions(peer, "confirmResize") == [recorded("nova_server-action-confirm-resize.json")]
    driver.snapshot(cloud_id, "nightly")
    (create_image,) = actions(peer, "createImage")
    sample = recorded("nova_server-action-create-image.json")["createImage"]
    assert set(create_image["createImage"]) == set(sample)


def test_a_snapshot_is_a_private_glance_image_with_the_installations_properties(make_driver, peer):
    driver = make_driver()
    cloud_id, server = running_server(driver, peer)
    image = driver.snapshot(cloud_id, "nightly")
    assert (image.name, image.state) == ("nightly", ImageState.PENDING)
    token, _ = peer._issue()
    request = urllib.request.Request(
        f"{peer.url}/RegionOne/public/image/v2/images/{image.id}", headers={"X-Auth-Token": token}
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        shown = json.loads(reply.read())
    assert set(recorded("glance_image-show-response.json")) <= set(shown)
    assert (shown["visibility"], shown["owner"], shown["name"]) == (
        "private",
        PROJECT_ID,
        "nightly",
    )
    assert shown[TAG_INSTALLATION] == driver.region.installation_id
    assert (shown[TAG_SNAPSHOT], shown["instance_uuid"], shown["image_type"]) == (
        "nightly",
        cloud_id,
        "snapshot",
    )
    assert server.task_state == "image_snapshot"  # Nova works on it; the server runs on
    peer.cloud.when(lambda: server.task_state is None)
    assert [(i.id, i.state) for i in driver.snapshots()] == [(image.id, ImageState.AVAILABLE)]


def test_a_resize_carries_on_across_calls(make_driver, peer):
    peer.cloud.halt = 0.5  # the compute takes its time to confirm
    driver = make_driver(resize_wait=0)
    cloud_id, server = running_server(driver, peer)
    outcomes = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            driver.resize(cloud_id, MEDIUM)
            break
        except TransientError as error:  # each call looks once, then leaves it to the next
            outcomes.append(error.reason)
            time.sleep(0.05)
    assert outcomes
    assert set(outcomes) == {"ResizeInProgress"}
    assert (server.status, server.flavor["name"]) == ("ACTIVE", "m1.medium")
    assert len(actions(peer, "resize")) == 1  # asked once; later calls followed Nova
    assert actions(peer, "confirmResize")


def test_a_confirmation_under_way_is_waited_for(make_driver, peer):
    peer.cloud.halt = 0.5
    driver = make_driver(resize_wait=0)
    cloud_id, server = running_server(driver, peer)
    with pytest.raises(TransientError):
        driver.resize(cloud_id, MEDIUM)  # asks for the resize
    peer.cloud.when(lambda: server.status == "VERIFY_RESIZE")
    with pytest.raises(TransientError):
        driver.resize(cloud_id, MEDIUM)  # confirms it
    with pytest.raises(TransientError) as caught:
        driver.resize(cloud_id, MEDIUM)  # Nova is confirming: 400, taken as under way
    assert caught.value.reason == "ResizeInProgress"
    assert actions(peer, "confirmResize", fate="400")
    peer.cloud.when(lambda: server.status == "ACTIVE")
    driver.resize(cloud_id, MEDIUM)


def test_a_stopped_server_is_resized_and_stays_stopped(make_driver, peer):
    driver = make_driver()
    cloud_id, server = running_server(driver, peer)
    driver.stop(cloud_id)
    peer.cloud.when(lambda: server.status == "SHUTOFF")
    driver.resize(cloud_id, MEDIUM)
    assert (server.status, server.vm_state, server.flavor["name"]) == (
        "SHUTOFF",
        "stopped",
        "m1.medium",
    )
    assert not actions(peer, "os-start")


def test_verbs_on_a_missing_server(make_driver, peer):
    driver = make_driver()
    missing = "0e7761dd-ee98-41f0-ba35-05994e446431"
    for verb in (
        lambda: driver.resize(missing, MEDIUM),
        lambda: driver.snapshot(missing, "nightly"),
    ):
        with pytest.raises(TransientError) as caught:
            verb()
        assert caught.value.reason == "InstanceNotFound"
    driver.delete_snapshot(missing)  # no such image: deleted already


def test_a_paused_server_is_not_resized_until_it_runs(make_driver, peer):
    driver = make_driver()
    cloud_id, server = running_server(driver, peer)
    with peer.cloud.lock:
        server.set("PAUSED", "paused", 3)
    with pytest.raises(TransientError) as caught:
        driver.resize(cloud_id, MEDIUM)
    assert caught.value.reason == "IncorrectInstanceState"
    assert not actions(peer, "resize")


def test_only_the_installations_snapshots_are_listed_or_deleted(make_driver, peer):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    cloud_id, server = running_server(ours, peer)
    image = ours.snapshot(cloud_id, "nightly")
    assert theirs.snapshots() == []
    with pytest.raises(TerminalError) as caught:
        theirs.delete_snapshot(image.id)
    assert caught.value.reason == "NotOurs"
    cirros = peer.cloud.images[0]["id"]  # a recorded public image: no one's snapshot
    with pytest.raises(TerminalError):
        ours.delete_snapshot(cirros)
    peer.cloud.when(lambda: server.task_state is None)
    assert theirs.snapshot(cloud_id, "nightly").id != image.id  # names are per installation


def test_a_snapshot_launches_only_once_glance_has_it(make_driver, peer):
    peer.cloud.boot = 1.0  # the upload takes a while
    driver = make_driver()
    cloud_id, _ = running_server(driver, peer)
    image = driver.snapshot(cloud_id, "nightly")
    spec = default_spec(driver.region.installation_id, unique_key("d2"), image_id=image.id)
    with pytest.raises(TerminalError) as caught:  # as Nova refuses an image not active
        driver.create(spec)
    assert "is not active" in caught.value.message
    peer.cloud.when(lambda: driver.snapshots()[0].state is ImageState.AVAILABLE)
    made = driver.create(spec)
    assert peer.cloud.servers[made.cloud_id].image_id == image.id


def test_deleting_a_server_it_snapshots_purges_the_image(make_driver, peer):
    peer.cloud.boot = 1.0
    driver = make_driver()
    cloud_id, _ = running_server(driver, peer)
    image = driver.snapshot(cloud_id, "nightly")
    driver.delete(cloud_id)
    assert driver.snapshots() == []
    driver.delete_snapshot(image.id)  # gone with its server: a success
