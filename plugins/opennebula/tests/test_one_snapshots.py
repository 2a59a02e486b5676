"""Snapshots: the peer's `one.vm.disksaveas` and `one.image.*` follow oned's rules, and the
driver's snapshot, snapshots, delete_snapshot and create from an image use them.

The peer's rules are VirtualMachineDiskSaveas's, ImageManager's and ImageDelete's
(OpenNebula/one 6.10): see `one_images.py` and `one_vmops.py`.
"""

from __future__ import annotations

import re
import time
import xmlrpc.client

import pytest
from one_images import DELETE, LOCKED, READY, USED

from vertice_core.driver import ImageState
from vertice_core.errors import TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_driver_opennebula.states import IMAGE_STATES, image_state
from vertice_drivers.testkit import default_spec, unique_key

ACTIVE, RUNNING, POWEROFF, PENDING = 3, 3, 8, 1
HOTPLUG_SAVEAS, HOTPLUG_SAVEAS_POWEROFF = 26, 27
NO_EXISTS, ACTION, INTERNAL, ALLOCATE = 0x400, 0x800, 0x2000, 0x4000
INSTALLATION = "vti-one-tests"


def until(check, timeout=5.0, *, cloud):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        cloud.tick()
        time.sleep(0.01)


@pytest.fixture
def rpc(peer):
    """`rpc(method, *params)`: oned's reply as it is, `[ok, result, code, ...]`."""

    def call(method, *params):
        return getattr(xmlrpc.client.ServerProxy(peer.url), method)("oneadmin:opennebula", *params)

    return call


@pytest.fixture
def running(make_driver, cloud):
    """`running(driver=None, image="1_virtualmachine_ubuntu", **spec)`: a running VM's id."""

    def launch(driver=None, image="1_virtualmachine_ubuntu", **changes):
        driver = driver or make_driver()
        spec = default_spec(INSTALLATION, unique_key(), image=image, **changes)
        vm_id = int(driver.create(spec).cloud_id)
        until(lambda: (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) == (ACTIVE, RUNNING),
              cloud=cloud)  # fmt: skip
        return vm_id

    return launch


# -- the peer: oned's rules --


def test_a_running_vms_disk_is_saved_while_it_runs(rpc, cloud, running):
    vm_id = running()
    ok, image_id, code, *_ = rpc("one.vm.disksaveas", vm_id, 0, "copy", "", -1)
    assert (ok, code) == (True, 0)
    image = cloud.images.images[image_id]
    assert (image.state, cloud.vms[vm_id].lcm) == (LOCKED, HOTPLUG_SAVEAS)
    assert image.template["SAVED_VM_ID"] == str(vm_id) and image.template["SAVE_AS_HOT"] == "YES"
    until(lambda: image.state == READY, cloud=cloud)
    assert (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) == (ACTIVE, RUNNING)
    assert "SAVE_AS_HOT" not in image.template
    assert image.type == cloud.images.images[0].type  # the source image's TYPE


def test_a_powered_off_vm_saves_its_disk_and_stays_off(rpc, cloud, running):
    vm_id = running()
    cloud.set_state(vm_id, POWEROFF)
    image_id = rpc("one.vm.disksaveas", vm_id, 0, "copy-off", "", -1)[1]
    assert (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) == (ACTIVE, HOTPLUG_SAVEAS_POWEROFF)
    until(lambda: cloud.images.images[image_id].state == READY, cloud=cloud)
    assert cloud.vms[vm_id].state == POWEROFF


@pytest.mark.parametrize(("state", "lcm"), [(PENDING, 0), (2, 0), (ACTIVE, 1), (ACTIVE, 12)])
def test_oned_saves_no_disk_in_other_states(rpc, cloud, running, state, lcm):
    vm_id = running()
    cloud.set_state(vm_id, state, lcm)
    ok, message, code, *_ = rpc("one.vm.disksaveas", vm_id, 0, "nope", "", -1)
    assert (ok, code) == (False, INTERNAL)
    assert message == (
        "[one.vm.disksaveas] VM has to be RUNNING, POWEROFF or SUSPENDED to save disks."
    )
    assert sorted(cloud.images.images) == [0, 1]


def test_a_missing_disk_a_disk_snapshot_and_a_taken_name_are_refused(rpc, cloud, running):
    vm_id = running()
    assert rpc("one.vm.disksaveas", vm_id, 5, "x", "", -1)[1:3] == [
        "[one.vm.disksaveas] Cannot use DISK. DISK does not exist.",
        INTERNAL,
    ]
    assert rpc("one.vm.disksaveas", vm_id, 0, "x", "", 3)[1:3] == [
        "[one.vm.disksaveas] Cannot use DISK. Snapshot does not exist.",
        INTERNAL,
    ]
    assert rpc("one.vm.disksaveas", vm_id, 0, "ubuntu-22.04", "", -1)[1:3] == [
        "[one.vm.disksaveas] Error allocating a new image. NAME is already taken by IMAGE 0.",
        ALLOCATE,
    ]


def test_an_image_in_use_is_not_deleted_until_its_vms_are_gone(rpc, cloud, running):
    vm_id = running()
    image_id = rpc("one.vm.disksaveas", vm_id, 0, "held", "", -1)[1]
    ok, message, code, *_ = rpc("one.image.delete", image_id, False)
    assert (ok, code) == (False, INTERNAL)
    assert message.startswith("[one.image.delete] Image locked, use --force flag")
    until(lambda: cloud.images.images[image_id].state == READY, cloud=cloud)
    extra = f"<TEMPLATE><DISK><IMAGE_ID>{image_id}</IMAGE_ID></DISK></TEMPLATE>"
    user = rpc("one.template.instantiate", 0, "from-copy", False, extra, False)[1]
    image = cloud.images.images[image_id]
    assert (image.state, image.vms) == (USED, {user})
    assert rpc("one.image.delete", image_id, False)[1:3] == [
        "[one.image.delete] Cannot delete image. There are 1 VMs using it.",
        ACTION,
    ]
    cloud.set_state(user, 6)  # DONE: the image is released
    assert (image.state, image.vms) == (READY, set())
    assert rpc("one.image.delete", image_id, False)[0] is True
    assert image.state == DELETE
    until(lambda: image_id not in cloud.images.images, cloud=cloud)
    assert rpc("one.image.info", image_id)[1:3] == [
        f"[one.image.info] Error getting image [{image_id}].",
        NO_EXISTS,
    ]


def test_a_vm_cannot_be_made_from_a_missing_image(rpc, cloud):
    extra = "<TEMPLATE><DISK><IMAGE_ID>99</IMAGE_ID></DISK></TEMPLATE>"
    ok, message, code, *_ = rpc("one.template.instantiate", 0, "x", False, extra, False)
    assert (ok, code) == (False, ALLOCATE)
    assert message.endswith("DISK 0: Image with ID: 99 does not exist")
    assert cloud.vms == {}


def test_the_image_pool_is_read_by_id_range_or_by_page(rpc):
    assert rpc("one.imagepool.info", -2, -1, -1)[1].count("<IMAGE>") == 2  # all of it
    assert rpc("one.imagepool.info", -2, 1, -1)[1].count("<IMAGE>") == 1  # ids from 1
    assert rpc("one.imagepool.info", -2, 1, -5)[1].count("<IMAGE>") == 1  # offset 1, pages of 5


# -- the driver --


def test_a_snapshot_is_made_tagged_and_becomes_available(make_driver, peer, cloud, running):
    driver = make_driver()
    vm_id = running(image="2_application_java")  # template 1
    made = driver.snapshot(str(vm_id), "nightly")
    assert (made.name, made.state) == ("nightly", ImageState.PENDING)
    image = cloud.images.images[int(made.id)]
    assert image.name == f"nightly-{INSTALLATION}"
    assert {k: v for k, v in image.template.items() if k.startswith("VERTICE_")} == {
        "VERTICE_INSTALLATION": INSTALLATION,
        "VERTICE_SNAPSHOT": "nightly",
        "VERTICE_TEMPLATE_ID": "1",
    }
    # The VM keeps running while its disk is copied.
    assert [i.state for i in driver.observe() if i.cloud_id == str(vm_id)] == [
        InstanceState.RUNNING
    ]
    assert [(s.id, s.state) for s in driver.snapshots()] == [(made.id, ImageState.PENDING)]
    until(lambda: image.state == READY, cloud=cloud)
    assert [(s.id, s.name, s.state) for s in driver.snapshots()] == [
        (made.id, "nightly", ImageState.AVAILABLE)
    ]
    # Idempotent by name: the image there is, no second copy.
    assert driver.snapshot(str(vm_id), "nightly").id == made.id
    assert peer.count("one.vm.disksaveas") == 1


def test_a_snapshot_left_untagged_by_a_failure_is_found_by_name(make_driver, peer, cloud, running):
    driver = make_driver()
    vm_id = running()
    peer.fail("one.image.update", code=INTERNAL, message="[one.image.update] boom", times=1)
    with pytest.raises(TransientError, match="boom"):
        driver.snapshot(str(vm_id), "crashy")
    assert driver.snapshots() == []  # made, but not ours yet
    again = driver.snapshot(str(vm_id), "crashy")
    assert peer.count("one.vm.disksaveas") == 1
    assert cloud.images.images[int(again.id)].template["VERTICE_SNAPSHOT"] == "crashy"
    assert [s.id for s in driver.snapshots()] == [again.id]


def test_a_vm_in_no_state_to_save_is_retried(make_driver, cloud, running):
    driver = make_driver()
    vm_id = running()
    cloud.set_state(vm_id, ACTIVE, 1)  # PROLOG
    with pytest.raises(TransientError) as raised:
        driver.snapshot(str(vm_id), "later")
    assert raised.value.reason == "IncorrectInstanceState"
    with pytest.raises(TransientError) as missing:
        driver.snapshot("4242", "later")
    assert missing.value.reason == "InstanceNotFound"


def test_other_installations_snapshots_are_neither_listed_nor_deleted(make_driver, cloud, running):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    made = theirs.snapshot(str(running(theirs)), "theirs")
    assert ours.snapshots() == []
    with pytest.raises(TerminalError) as refused:
        ours.delete_snapshot(made.id)
    assert refused.value.reason == "NotOurs"
    with pytest.raises(TerminalError):
        ours.delete_snapshot("0")  # the template's own image
    assert int(made.id) in cloud.images.images and 0 in cloud.images.images


def test_an_unused_snapshot_is_deleted(make_driver, cloud, running):
    driver = make_driver()
    made = driver.snapshot(str(running()), "short-lived")
    until(lambda: cloud.images.images[int(made.id)].state == READY, cloud=cloud)
    driver.delete_snapshot(made.id)
    assert driver.snapshots() == []  # DELETE: on its way out
    until(lambda: int(made.id) not in cloud.images.images, cloud=cloud)
    driver.delete_snapshot(made.id)  # gone: a success


def test_a_vm_launches_from_a_snapshot_with_the_template_it_came_from(make_driver, cloud, running):
    driver = make_driver()
    made = driver.snapshot(str(running(image="2_application_java")), "golden")
    until(lambda: cloud.images.images[int(made.id)].state == READY, cloud=cloud)
    spec = default_spec(INSTALLATION, unique_key(), image_id=made.id)  # plan image: template 0
    vm = cloud.vms[int(driver.create(spec).cloud_id)]
    assert vm.template["TEMPLATE_ID"] == "1"
    assert [d["IMAGE_ID"] for d in vm.template["DISK"]] == [made.id]  # its only disk
    assert cloud.images.images[int(made.id)].vms == {vm.id}


def test_a_snapshot_in_use_is_withdrawn_then_deleted_once_unused(make_driver, cloud, running):
    driver = make_driver()
    made = driver.snapshot(str(running()), "in-use")
    until(lambda: cloud.images.images[int(made.id)].state == READY, cloud=cloud)
    launched = running(driver, image_id=made.id)
    driver.delete_snapshot(made.id)
    image = cloud.images.images[int(made.id)]
    assert image.state == USED  # oned refused: still there...
    assert image.template.get("VERTICE_DELETE_REQUESTED")
    assert image.name == f"in-use-{INSTALLATION}.deleted-{made.id}"  # ...its name free
    assert driver.snapshots() == []  # ...and never listed,
    with pytest.raises(TerminalError) as refused:  # nor launched again
        driver.create(default_spec(INSTALLATION, unique_key(), image_id=made.id))
    assert refused.value.reason == "ImageNotFound"
    remade = driver.snapshot(str(launched), "in-use")  # the name makes a new one
    assert remade.id != made.id
    until(lambda: cloud.images.images[int(remade.id)].state == READY, cloud=cloud)
    driver.delete(str(launched))
    until(lambda: cloud.vms[launched].state == 6, cloud=cloud)
    assert [s.id for s in driver.snapshots()] == [remade.id]  # ...which deleted the old one
    assert image.state == DELETE


def test_a_snapshot_still_being_copied_is_withdrawn_too(make_driver, cloud, running):
    driver = make_driver()
    made = driver.snapshot(str(running()), "copying")
    image = cloud.images.images[int(made.id)]
    assert image.state == LOCKED
    driver.delete_snapshot(made.id)
    assert driver.snapshots() == []
    assert image.state == LOCKED  # oned would not delete it yet
    until(lambda: image.state == READY, cloud=cloud)
    driver.delete_snapshot(made.id)  # once copied, the next look deletes it
    assert image.state == DELETE


def test_launching_from_a_missing_image_is_refused(make_driver):
    with pytest.raises(TerminalError) as refused:
        make_driver().create(default_spec(INSTALLATION, unique_key(), image_id="77"))
    assert refused.value.reason == "ImageNotFound"


@pytest.mark.parametrize(
    ("code", "state"),
    [(0, "pending"), (1, "available"), (2, "available"), (3, "error"), (4, "pending"),
     (5, "error"), (8, "available"), (9, "pending"), (42, "pending")],
)  # fmt: skip
def test_image_states(code, state):
    assert image_state(code) is ImageState(state)


def test_every_documented_image_state_has_a_row(fixtures):
    # image.xsd documents the codes in a comment: `READY     = 1, Image ready to use`.
    text = (fixtures / "one_xsd" / "image.xsd").read_text()
    documented = {
        int(code): name for name, code in re.findall(r"^\s+(\w+)\s*=\s*(\d+)", text, re.M)
    }
    assert len(documented) == 11
    assert {code: name for code, (name, _) in IMAGE_STATES.items()} == documented
