"""Adoption beyond the contract: which VMs `unmanaged` lists and how, and what `adopt`
refuses, keeps and leaves alone (VMs planted in the peer as an operator would)."""

from __future__ import annotations

import time

import pytest

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit_adopt import adoption_tags, refusal

INSTALLATION = "vti-one-tests"
OTHER = "vti-someone-else"
ACTIVE, RUNNING, DONE = 3, 3, 6


def running(cloud, vm, timeout=5.0):
    """`vm` once oned shows it RUNNING."""
    deadline = time.monotonic() + timeout
    while (vm.state, vm.lcm) != (ACTIVE, RUNNING):
        assert time.monotonic() < deadline, vm
        cloud.tick()
        time.sleep(0.01)
    return vm


@pytest.mark.parametrize("backend", ["mysql", "sqlite"])
def test_unmanaged_lists_live_vms_of_no_installation_in_one_unfiltered_listing(
    backend, make_driver, plant, managed, cloud, peer
):
    peer.backend = backend
    driver = make_driver(page_size=10)
    by_hand = [running(cloud, plant(f"pet-{n}", OWNER="ops")) for n in range(12)]
    plant("asm-m1-1", **managed(INSTALLATION, "asm-1", "asm-m1-1"))
    plant("asm-t1-1", **managed(OTHER, "asm-2", "asm-t1-1"))
    gone = plant("pet-gone", OWNER="ops")
    cloud.set_state(gone.id, DONE)
    before = peer.calls[:]

    found = driver.unmanaged()

    assert sorted(int(i.cloud_id) for i in found) == [vm.id for vm in by_hand]
    listed = [c for c in peer.calls[len(before) :] if c[0] == "one.vmpool.infoextended"]
    assert len(listed) == 2  # 14 live VMs, 10 a page: one paged listing
    assert all(params[4] == "" for _, params, _ in listed)  # no search filter
    assert {i.key for i in found} == {""}
    assert all(i.tags == {"owner": "ops"} for i in found)
    assert all(i.state is InstanceState.RUNNING for i in found)


def test_adopt_keeps_the_vms_own_attributes_and_neither_reboots_nor_moves_it(
    make_driver, plant, cloud, peer
):
    driver = make_driver()
    vm = running(cloud, plant("pet", OWNER="ops"))
    tags = adoption_tags(INSTALLATION, "asm-a1-1")

    adopted = driver.adopt(str(vm.id), tags)

    assert (adopted.cloud_id, adopted.key) == (str(vm.id), "asm-a1-1")
    assert adopted.state is InstanceState.RUNNING
    assert vm.user_template["OWNER"] == "ops"
    assert vm.user_template["VERTICE_KEY"] == "asm-a1-1"
    assert (vm.state, vm.lcm, vm.reboots) == (ACTIVE, RUNNING, 0)
    assert peer.actions(vm.id) == []  # no power action of any kind
    assert [c[2] for c in peer.calls if c[0] == "one.vm.update"] == ["ok"]
    (seen,) = driver.observe()
    assert seen.cloud_id == str(vm.id) and seen.tags[TAG_KEY] == "asm-a1-1"
    assert driver.unmanaged() == []


def test_adopting_again_writes_nothing(make_driver, plant, peer):
    driver = make_driver()
    vm = plant("pet", OWNER="ops")
    tags = adoption_tags(INSTALLATION, "asm-a2-1")
    driver.adopt(str(vm.id), tags)
    assert driver.adopt(str(vm.id), tags).key == "asm-a2-1"
    assert peer.count("one.vm.update") == 1


def test_an_unknown_or_done_vm_is_not_found(make_driver, plant, cloud):
    driver = make_driver()
    tags = adoption_tags(INSTALLATION, "asm-a3-1")
    assert refusal(lambda: driver.adopt("4242", tags)) == "NotFound"
    vm = plant("pet", OWNER="ops")
    cloud.set_state(vm.id, DONE)
    assert refusal(lambda: driver.adopt(str(vm.id), tags)) == "NotFound"
    assert "VERTICE_KEY" not in vm.user_template


def test_a_vm_gone_before_the_update_is_not_found(make_driver, plant, peer):
    driver = make_driver()
    vm = plant("pet", OWNER="ops")
    peer.fail("one.vm.update", code=0x400, message=f"[one.vm.update] Error getting VM [{vm.id}].")
    assert refusal(lambda: driver.adopt(str(vm.id), adoption_tags(INSTALLATION, "asm-a4-1"))) == (
        "NotFound"
    )


def test_a_vm_managed_elsewhere_is_neither_listed_nor_adopted(make_driver, plant, managed, peer):
    driver = make_driver()
    theirs = plant("asm-t2-1", **managed(OTHER, "asm-2", "asm-t2-1"))
    mine = plant("asm-a5-1", **managed(INSTALLATION, "asm-1", "asm-a5-1"))

    assert driver.unmanaged() == []
    tags = adoption_tags(INSTALLATION, "asm-a6-1")
    assert refusal(lambda: driver.adopt(str(theirs.id), tags)) == "ManagedElsewhere"
    assert refusal(lambda: driver.adopt(str(mine.id), tags)) == "ManagedElsewhere"  # other key
    assert theirs.user_template["VERTICE_INSTALLATION"] == OTHER
    assert mine.user_template["VERTICE_KEY"] == "asm-a5-1"
    assert peer.count("one.vm.update") == 0


def test_tags_of_another_installation_or_without_a_key_are_refused(make_driver, plant):
    driver = make_driver()
    vm = plant("pet", OWNER="ops")
    keyless = {TAG_INSTALLATION: INSTALLATION}
    assert refusal(lambda: driver.adopt(str(vm.id), adoption_tags(OTHER, "asm-a7-1"))) == (
        "InvalidTags"
    )
    assert refusal(lambda: driver.adopt(str(vm.id), keyless)) == "InvalidTags"
    assert vm.user_template == {"OWNER": "ops"}
