"""The driver's verbs beyond the contract: idempotency, paging, recorded replies, images, flavors.

Recorded replies come from `fixtures/` beside this file (see SOURCES.md
there); the peer serves them verbatim (`fail(..., status=200, body_file=...)`)
so google-cloud-compute parses exactly what GCE once sent.
"""

from __future__ import annotations

import time

import pytest

from vertice_core.errors import QuotaExceeded, TerminalError, TransientError, UnavailableError
from vertice_core.model.status import InstanceState
from vertice_driver_gce.client import request_id
from vertice_drivers.testkit import default_spec, unique_key

INSTALLATION = "vti-gce-tests"
DEBIAN = "projects/debian-cloud/global/images/debian-7-wheezy-v20131120"
PROJECT, ZONE = "vertice-test", "us-central1-a"


def spec(**changes):
    return default_spec(INSTALLATION, unique_key(), **changes)


def test_the_same_key_sends_the_same_request_id_and_a_second_create_returns_the_first(
    make_driver, compute, peer_instances
):
    driver = make_driver()
    wanted = spec()
    first = driver.create(wanted)
    again = driver.create(wanted)
    assert again.cloud_id == first.cloud_id == wanted.key
    sent = compute.sent_request_ids()
    assert sent == [request_id(INSTALLATION, wanted.key)] * 2
    assert compute.count("instances.insert") == 2  # the second one replayed the first operation
    assert len(compute.operations) == 1
    assert len(peer_instances({"vertice-key": wanted.key})) == 1
    other = spec()
    driver.create(other)
    assert compute.sent_request_ids()[-1] != sent[0]


def test_a_forgotten_request_id_meets_409_and_adopts_the_instance(
    make_driver, compute, peer_instances
):
    driver = make_driver()
    wanted = spec()
    first = driver.create(wanted)
    compute.request_ids.clear()  # GCE keeps request ids for an hour, then a retry is new
    again = driver.create(wanted)
    assert again.cloud_id == first.cloud_id
    assert again.key == wanted.key and again.tags["vertice-installation"] == INSTALLATION
    assert len(compute.operations) == 1  # the 409 made no operation
    assert len(peer_instances({"vertice-key": wanted.key})) == 1


def test_a_name_taken_by_someone_else_is_not_adopted(make_driver, compute):
    driver = make_driver()
    wanted = spec()
    compute.plant("vertice-test", "us-central1-a", wanted.key, {"team": "web"})
    with pytest.raises(TerminalError) as caught:
        driver.create(wanted)
    assert caught.value.reason == "NameTaken"


def test_a_lost_reply_is_retried_with_the_same_request_id(make_driver, compute, peer_instances):
    # A reconciler that crashed (or timed out) after sending the insert sends it again.
    compute.fail("instances.insert", delay=5.0, times=1)
    driver = make_driver(timeout=0.5)
    wanted = spec()
    with pytest.raises(TransientError):
        driver.create(wanted)
    compute.clear()
    created = driver.create(wanted)
    assert created.cloud_id == wanted.key
    assert len(set(compute.sent_request_ids())) == 1
    assert len(peer_instances({"vertice-key": wanted.key})) == 1


def test_a_failed_insert_is_reported_while_recent_then_retried_under_a_new_id(
    make_driver, compute, peer_instances
):
    compute.boot = 0.1
    compute.fail("instances.insert", operation_error="QUOTA_EXCEEDED", times=1)
    driver = make_driver()
    wanted = spec()
    pending = driver.create(wanted)  # accepted: GCE reports the failure in the operation
    assert pending.state is InstanceState.PENDING
    time.sleep(compute.boot + 0.05)  # the operation is DONE now, with its error
    with pytest.raises(QuotaExceeded) as caught:
        driver.create(wanted)  # the same request id replays the failed operation
    assert "QUOTA_EXCEEDED" in caught.value.message
    assert not peer_instances({"vertice-key": wanted.key})

    compute.skew = -3600.0  # an hour later, the failure is old news
    created = driver.create(wanted)
    rids = compute.sent_request_ids()
    assert rids[0] == rids[1] == rids[2] != rids[3]  # the retry derives a new id
    failed = next(iter(compute.operations))
    assert rids[3] == request_id(INSTALLATION, wanted.key, after=failed)
    assert created.cloud_id == wanted.key
    assert len(peer_instances({"vertice-key": wanted.key})) == 1


def test_a_recorded_failed_operation_long_ago_is_moved_past(make_driver, compute):
    # The recorded setMachineType operation: DONE in 2016 with RESOURCE_NOT_READY.
    failed = "zones_us_central1_a_operations_operation_setMachineType_notstopped.json"
    compute.fail("instances.insert", status=200, body_file=failed, times=1)
    driver = make_driver()
    created = driver.create(spec())
    assert created.state is InstanceState.PENDING
    assert compute.count("instances.insert") == 2

    compute.fail("instances.insert", status=200, body_file=failed, times=1)
    recent = make_driver(failed_insert_window=1e10)  # as if it had just failed
    with pytest.raises(TransientError) as caught:
        recent.create(spec())
    assert caught.value.reason == "ResourceNotReady"
    assert "RESOURCE_NOT_READY" in caught.value.message


def test_a_recorded_insert_reply_gives_a_pending_instance(make_driver, compute):
    compute.fail(
        "instances.insert", status=200, body_file="zones_us-central1-a_instances_post.json"
    )
    wanted = spec()
    created = make_driver().create(wanted)
    assert (created.cloud_id, created.state, created.key) == (
        wanted.key,
        InstanceState.PENDING,
        wanted.key,
    )


def test_observe_reads_every_page(make_driver, compute):
    driver = make_driver(page_size=2)
    keys = {driver.create(spec()).key for _ in range(5)}
    before = compute.count("instances.list")
    assert {i.key for i in driver.observe()} == keys
    assert compute.count("instances.list") - before == 3  # 2 + 2 + 1


def test_a_recorded_list_reply_is_understood_and_foreign_instances_are_dropped(
    make_driver, compute
):
    compute.fail("instances.list", status=200, body_file="zones_us-central1-a_instances.json")
    driver = make_driver()
    from google.cloud import compute_v1

    from vertice_driver_gce.translate import instance_of

    request = compute_v1.ListInstancesRequest(project="vertice-test", zone="us-central1-a")
    (item,) = [instance_of(i) for i in driver.instances.list(request=request)]
    assert (item.cloud_id, item.state) == ("node-name", InstanceState.RUNNING)
    assert (item.public_ipv4, item.private_ipv4) == ("23.236.58.15", "10.240.72.75")
    assert driver.observe() == []  # no labels of this installation


def test_verbs_on_a_missing_instance(make_driver, compute):
    driver = make_driver()
    driver.delete("asm-nothing-1")  # already gone: a success
    for verb in (driver.start, driver.stop, driver.reboot, driver.suspend):
        with pytest.raises(TransientError) as caught:
            verb("asm-nothing-1")
        assert caught.value.reason == "InstanceNotFound"
    # The recorded 404 reply of instances.get for a deleted instance.
    gone = "zones_us-central1-b_instances_libcloud-lb-demo-www-002.json"
    compute.fail("instances.delete", status=404, body_file=gone)
    driver.delete("libcloud-lb-demo-www-002")


def until(peer_instance, name, status):
    deadline = time.monotonic() + 10
    while (found := peer_instance(name)["status"]) != status:
        assert time.monotonic() < deadline, f"{name} still {found}, not {status}"
        time.sleep(0.02)


def test_suspend_then_start_sends_suspend_once_then_resume(make_driver, compute, peer_instance):
    compute.halt = 1.0  # time enough to see the suspending instance on a busy machine
    driver = make_driver()
    created = driver.create(spec())
    until(peer_instance, created.cloud_id, "RUNNING")
    driver.suspend(created.cloud_id)
    assert peer_instance(created.cloud_id)["status"] == "SUSPENDING"
    driver.suspend(created.cloud_id)  # in flight: nothing sent
    until(peer_instance, created.cloud_id, "SUSPENDED")
    driver.suspend(created.cloud_id)  # suspended already: nothing sent
    driver.start(created.cloud_id)
    until(peer_instance, created.cloud_id, "RUNNING")
    verbs = ("instances.suspend", "instances.resume", "instances.start", "instances.stop")
    assert [c[0] for c in compute.calls if c[0] in verbs] == list(verbs[:2])
    assert compute.targets("instances.suspend") == {created.cloud_id}
    # One still booting: GCE refuses, the reconciler tries again later.
    compute.set_status(PROJECT, ZONE, created.cloud_id, "STAGING")
    with pytest.raises(TransientError) as caught:
        driver.suspend(created.cloud_id)
    assert caught.value.reason == "ResourceNotReady"


def test_a_slow_endpoint_is_a_transient_error(make_driver, compute):
    compute.fail("instances.list", delay=10.0)
    with pytest.raises(TransientError) as caught:
        make_driver(timeout=0.5).observe()
    assert "cannot be reached" in caught.value.message


def test_flavors_are_the_mapped_machine_types(make_driver):
    flavors = {f.name: f for f in make_driver().flavors()}  # the recorded machineTypes.list
    assert set(flavors) == {"n1-standard-1", "n1-standard-2", "n1-standard-4"}
    assert (flavors["n1-standard-1"].cpu, flavors["n1-standard-1"].ram) == (1, 3840)
    offered = {f.name for f in make_driver(machine_types={}).flavors()}
    assert "n1-highmem-8" in offered and "n1-highmem-8-d" not in offered  # deprecated


def test_images_are_the_mapped_ones_and_the_projects_own(make_driver, compute):
    driver = make_driver(
        images={
            "1_virtualmachine_ubuntu": DEBIAN,
            "custom": "global/images/family/custom",
            "gone": "projects/vertice-test/global/images/family/coreos-stable",
        }
    )
    images = {i.id: i for i in driver.images()}
    debian = images[DEBIAN]
    assert debian.name == "1_virtualmachine_ubuntu"
    assert images["projects/project_name/global/images/custom-image"].name == "custom"
    assert len(images) == 2  # the unknown family is left out (the recorded 404 reply)
    assert compute.count("images.getFromFamily") == 2


def test_a_region_that_cannot_work_is_unavailable(make_driver, compute):
    with pytest.raises(UnavailableError, match="not a Compute Engine zone"):
        make_driver(zone="europe")
    with pytest.raises(UnavailableError, match="not an http"):
        make_driver(endpoint="ftp://compute.example")
