"""The day-2 verbs beyond the contract: the calls a resize makes, how the next call finishes
one cut short, and snapshots as custom images (idempotent by name, labelled, paged, never
another installation's), against the Compute peer and its call log."""

from __future__ import annotations

import time

import pytest

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, ImageState, SizeSpec
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_gce.day2 import RESTART_LABEL, image_name
from vertice_driver_gce.translate import label_value
from vertice_drivers.testkit import default_spec, unique_key

INSTALLATION = "vti-gce-tests"
PROJECT, ZONE = "vertice-test", "us-central1-a"
MEDIUM = SizeSpec("medium", 2, 4096, 40)  # n1-standard-2 in the tests' settings
SMALL_TYPE, MEDIUM_TYPE = "n1-standard-1", "n1-standard-2"
RESIZE_CALLS = ("instances.stop", "instances.setMachineType", "instances.start")


def until(check, timeout=5.0):
    """Wait for `check()` to hold (the peer moves on with time)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def launched(driver, compute):
    """A new RUNNING instance of the driver's installation."""
    name = driver.create(default_spec(driver.region.installation_id, unique_key("d2"))).cloud_id
    until(lambda: compute.instance(PROJECT, ZONE, name)["status"] == "RUNNING")
    return name


def seen(compute, name):
    """The instance's status, machine type and labels, as the peer holds it."""
    found = compute.instance(PROJECT, ZONE, name)
    return found["status"], found["machineType"].rsplit("/", 1)[-1], found["labels"]


def counts(compute, actions=RESIZE_CALLS):
    return [compute.count(action) for action in actions]


# -- resize --


def test_a_running_instance_is_stopped_changed_and_started(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    driver.resize(name, MEDIUM)
    status, machine, labels = seen(compute, name)
    assert (machine, RESTART_LABEL in labels) == (MEDIUM_TYPE, False)
    assert status in ("STAGING", "RUNNING")  # started again: booting back
    assert counts(compute) == [1, 1, 1]
    until(lambda: seen(compute, name)[0] == "RUNNING")
    (observed,) = [i for i in driver.observe() if i.cloud_id == name]
    assert observed.size == MEDIUM_TYPE
    reads = compute.count("instances.get")
    driver.resize(name, MEDIUM)  # the type it has: one look, nothing else
    assert compute.count("instances.get") == reads + 1
    assert counts(compute) == [1, 1, 1]
    assert compute.count("instances.setLabels") == 2  # the restart label, on and off


def test_a_stopped_instance_is_changed_and_stays_stopped(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    driver.stop(name)
    until(lambda: seen(compute, name)[0] == "TERMINATED")
    driver.resize(name, MEDIUM)
    status, machine, labels = seen(compute, name)
    assert (status, machine, RESTART_LABEL in labels) == ("TERMINATED", MEDIUM_TYPE, False)
    assert counts(compute) == [1, 1, 0]  # its own stop, the change, no start
    assert compute.count("instances.setLabels") == 0


def test_a_resize_cut_short_is_finished_by_the_next_call(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    compute.fail("instances.setMachineType", status=503, reason="backendError", times=1)
    with pytest.raises(TransientError):
        driver.resize(name, MEDIUM)
    # Left stopped, unchanged, with the label that says it ran.
    status, machine, labels = seen(compute, name)
    assert (status, machine, labels[RESTART_LABEL]) == ("TERMINATED", SMALL_TYPE, "running")
    driver.resize(name, MEDIUM)  # the label says it was running: started again
    status, machine, labels = seen(compute, name)
    assert status in ("STAGING", "RUNNING")
    assert (machine, RESTART_LABEL in labels) == (MEDIUM_TYPE, False)
    assert counts(compute) == [1, 2, 1]


def test_a_crash_after_the_change_is_finished_by_starting_it(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    compute.fail("instances.start", status=503, reason="backendError", times=1)
    with pytest.raises(TransientError):
        driver.resize(name, MEDIUM)
    status, machine, labels = seen(compute, name)
    assert (status, machine, labels[RESTART_LABEL]) == ("TERMINATED", MEDIUM_TYPE, "running")
    driver.resize(name, MEDIUM)  # the type it has, and the label: started, label off
    status, _, labels = seen(compute, name)
    assert status in ("STAGING", "RUNNING") and RESTART_LABEL not in labels
    assert counts(compute) == [1, 1, 2]


def test_an_instance_slow_to_stop_is_resized_by_a_later_call(make_driver, compute):
    compute.halt = 1.0
    driver = make_driver(resize_wait=0.2)
    name = launched(driver, compute)
    with pytest.raises(TransientError) as caught:
        driver.resize(name, MEDIUM)
    assert caught.value.reason == "ResizeInProgress"
    status, machine, labels = seen(compute, name)
    assert (status, machine, labels[RESTART_LABEL]) == ("STOPPING", SMALL_TYPE, "running")
    until(lambda: seen(compute, name)[0] == "TERMINATED")
    compute.halt = 0.05
    driver.resize(name, MEDIUM)
    status, machine, labels = seen(compute, name)
    assert status in ("STAGING", "RUNNING")
    assert (machine, RESTART_LABEL in labels) == (MEDIUM_TYPE, False)
    assert counts(compute) == [1, 1, 1]  # stopping already: no second stop


def test_a_machine_type_set_on_a_running_instance_fails_as_its_operation_says(make_driver, compute):
    # Started behind vertice's back between its stop and its change: GCE accepts the call
    # and fails its operation (RESOURCE_NOT_READY, 400), which the driver reads.
    driver = make_driver()
    name = launched(driver, compute)
    driver.stop(name)
    until(lambda: seen(compute, name)[0] == "TERMINATED")
    original = compute.set_machine_type

    def started_first(ident, body):
        compute.set_status(*ident, "RUNNING")
        return original(ident, body)

    compute.set_machine_type = started_first
    try:
        with pytest.raises(TransientError) as caught:
            driver.resize(name, MEDIUM)
    finally:
        del compute.set_machine_type
    assert caught.value.reason == "ResourceNotReady"
    assert "RESOURCE_NOT_READY" in str(caught.value)
    assert seen(compute, name)[1] == SMALL_TYPE


def test_sizes_without_a_machine_type_and_unknown_machine_types_are_terminal(make_driver, compute):
    driver = make_driver(machine_types={"small": SMALL_TYPE, "medium": "n9-imaginary-1"})
    name = launched(driver, compute)
    with pytest.raises(TerminalError) as caught:
        driver.resize(name, SizeSpec("huge", 64, 1, 1))
    assert caught.value.reason == "FlavorNotMapped"
    # A type the zone does not offer: found out before the instance is stopped for it.
    with pytest.raises(TerminalError) as caught:
        driver.resize(name, MEDIUM)
    assert caught.value.reason == "MachineTypeNotFound"
    assert seen(compute, name)[0] == "RUNNING"
    assert counts(compute) == [0, 0, 0]
    driver.stop(name)
    until(lambda: seen(compute, name)[0] == "TERMINATED")
    with pytest.raises(TerminalError) as caught:  # stopped: GCE itself refuses the type
        driver.resize(name, MEDIUM)
    assert caught.value.reason == "Invalid"


# -- snapshots --


def test_a_snapshot_is_a_labelled_image_made_once_across_driver_objects(make_driver, compute):
    first_driver = make_driver()
    name = launched(first_driver, compute)
    snapshot_name = "sn-3f9a1c2b7d4e8a10"
    first = first_driver.snapshot(name, snapshot_name)
    label = image_name(INSTALLATION, snapshot_name)
    assert (first.id, first.name, first.state) == (
        f"projects/{PROJECT}/global/images/{label}",
        snapshot_name,
        ImageState.PENDING,
    )
    again = make_driver().snapshot(name, snapshot_name)  # another reconciler's driver
    assert (again.id, again.name) == (first.id, snapshot_name)
    assert compute.count("images.insert") == 2  # the second met 409 alreadyExists
    image = compute.custom_image(PROJECT, label)
    assert image["labels"] == {TAG_INSTALLATION: INSTALLATION, TAG_SNAPSHOT: snapshot_name}
    assert image["sourceDisk"].endswith(f"/zones/{ZONE}/disks/{name}")
    assert len(compute.custom_images) == 1
    # The instance kept running (forceCreate), and the image becomes available.
    assert seen(compute, name)[0] == "RUNNING"
    until(lambda: [i.state for i in first_driver.snapshots()] == [ImageState.AVAILABLE])


def test_a_snapshot_name_a_label_cannot_carry_is_read_back_exactly(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    for wanted in ("Nightly_Backup", "x" * 80):
        made = driver.snapshot(name, wanted)
        label = compute.custom_image(PROJECT, made.id.rsplit("/", 1)[-1])["labels"]
        assert label[TAG_SNAPSHOT] == label_value(wanted) != wanted
        assert driver.snapshot(name, wanted).id == made.id
    assert sorted(i.name for i in driver.snapshots()) == ["Nightly_Backup", "x" * 80]


def test_another_installations_images_are_neither_listed_nor_deleted(make_driver, compute):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    mine = ours.snapshot(launched(ours, compute), "sn-1")
    their = theirs.snapshot(launched(theirs, compute), "sn-1")  # the same name, elsewhere
    assert their.id != mine.id
    assert [i.id for i in ours.snapshots()] == [mine.id]
    assert [i.id for i in theirs.snapshots()] == [their.id]
    recorded = f"projects/{PROJECT}/global/images/custom-image"  # no vertice labels
    for image_id in (their.id, recorded, "projects/debian-cloud/global/images/family/debian-7"):
        with pytest.raises(TerminalError) as caught:
            ours.delete_snapshot(image_id)
        assert caught.value.reason == "NotOurs"
    assert compute.custom_image(PROJECT, their.id.rsplit("/", 1)[-1]) is not None
    ours.delete_snapshot(mine.id)
    ours.delete_snapshot(mine.id)  # gone: a success
    assert compute.count("images.delete") == 1
    assert ours.snapshots() == []


def test_snapshots_are_listed_across_pages(make_driver, compute):
    driver = make_driver(page_size=1)
    name = launched(driver, compute)
    made = {driver.snapshot(name, f"sn-{n}").id for n in range(3)}
    assert {i.id for i in driver.snapshots()} == made
    assert compute.count("images.list") == 3  # one image a page


def test_an_instance_is_launched_from_a_snapshot(make_driver, compute):
    driver = make_driver()
    image = driver.snapshot(launched(driver, compute), "sn-restore")
    spec = default_spec(INSTALLATION, unique_key("d2"), image_id=image.id)
    with pytest.raises(TransientError) as caught:  # still PENDING: GCE refuses it for now
        driver.create(spec)
    assert caught.value.reason == "ResourceNotReady"
    until(lambda: [i.state for i in driver.snapshots()] == [ImageState.AVAILABLE])
    restored = driver.create(spec)
    link = compute.boot_image(PROJECT, ZONE, restored.cloud_id)
    assert link.endswith(f"/{image.id}")
    driver.delete_snapshot(image.id)
    with pytest.raises(TerminalError) as caught:  # deleted: GCE refuses it for good
        driver.create(default_spec(INSTALLATION, unique_key("d2"), image_id=image.id))
    assert caught.value.reason == "ResourceNotFound"


def test_a_snapshot_of_a_deleted_instance_is_the_image_made_before_or_fails(make_driver, compute):
    driver = make_driver()
    name = launched(driver, compute)
    made = driver.snapshot(name, "sn-before")
    driver.delete(name)
    until(lambda: compute.instance(PROJECT, ZONE, name) is None)
    assert driver.snapshot(name, "sn-before").id == made.id
    with pytest.raises(TerminalError) as caught:
        driver.snapshot(name, "sn-after")
    assert caught.value.reason == "InstanceNotFound"
