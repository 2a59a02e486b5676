"""The driver's verbs beyond the contract: paging, search, idempotency, deletes, held VMs.

Replies follow `one_peer.py`; one test serves the recorded
`python_oca_fixtures/vmpool.xml` verbatim in place of the peer's pool.
"""

from __future__ import annotations

import time

import pytest

from vertice_core.errors import TransientError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import default_spec, unique_key

ACTIVE, RUNNING, DONE, HOLD, POWEROFF, SUSPENDED = 3, 3, 6, 2, 8, 5
SAVE_SUSPEND, BOOT_SUSPENDED = 6, 21


def settle(cloud, vm_id, state, lcm=0, timeout=5.0):
    deadline = time.monotonic() + timeout
    while (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) != (state, lcm):
        assert time.monotonic() < deadline, cloud.vms[vm_id]
        cloud.tick()
        time.sleep(0.01)


def launch(driver, count):
    return [driver.create(default_spec("vti-one-tests", unique_key())) for _ in range(count)]


def test_observe_reads_every_page(make_driver, peer):
    driver = make_driver(page_size=10)
    keys = {i.key for i in launch(driver, 25)}
    before = peer.count("one.vmpool.infoextended")
    assert {i.key for i in driver.observe()} == keys
    assert peer.count("one.vmpool.infoextended") - before == 3  # 10, 9 and 9 new: pages overlap


def test_a_vm_leaving_the_pool_mid_listing_hides_no_other(make_driver, peer, cloud):
    driver = make_driver(page_size=10)
    made = launch(driver, 25)

    done = []

    def two_vms_reach_done(method, params):
        if method == "one.vmpool.infoextended" and params[1] == 0 and not done:
            done.append(True)  # once, right after the first page was read
            cloud.set_state(0, DONE)
            cloud.set_state(1, DONE)

    peer.hooks.append(two_vms_reach_done)
    seen = {i.cloud_id for i in driver.observe()}
    # Read at offset 10 after two VMs left, the second page would start at VM 12.
    assert {i.cloud_id for i in made[2:]} <= seen


def test_observe_narrows_the_listing_with_oneds_search(make_driver, peer, plant, managed):
    driver = make_driver()
    launch(driver, 2)
    plant("theirs", **managed("vti-someone-else", "asm-x", "asm-x-1"))
    assert len(driver.observe()) == 2
    queries = [params[4] for m, params, _ in peer.calls if m == "one.vmpool.infoextended"]
    assert queries[-1] == "VM.USER_TEMPLATE.VERTICE_INSTALLATION=vti-one-tests"


@pytest.mark.parametrize("backend", ["sqlite", "sqlite-before-6.10"])
def test_a_backend_without_search_is_listed_unfiltered_from_then_on(
    make_driver, peer, cloud, plant, managed, backend
):
    # oned on SQLite answers a search filter with INTERNAL (0x2000): since 6.10 "JSON query
    # search is not supported by the SQL backend", before "Full text search is not supported".
    peer.backend = backend
    driver = make_driver()
    (mine,) = launch(driver, 1)  # create looks the key up first: the first refusal is here
    plant("unmarked")
    plant("theirs", **managed("vti-someone-else", "asm-x", "asm-x-1"))
    plant("another-key", **managed("vti-one-tests", "asm-y", "asm-y-1"))
    assert {i.key for i in driver.observe()} == {mine.key, "asm-y-1"}  # checked on our side
    assert driver.live_by_key(mine.key).cloud_id == mine.cloud_id
    assert driver.live_by_key("asm-nothing-1") is None
    assert peer.count("one.vmpool.infoextended", "0x2000") == 1  # asked once, then not again
    queries = [params[4] for m, params, o in peer.calls if m == "one.vmpool.infoextended"]
    assert queries[1:] == [""] * (len(queries) - 1)

    vm_id = int(mine.cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    driver.delete(mine.cloud_id)
    settle(cloud, vm_id, DONE)
    driver.delete(mine.cloud_id)  # gone: a success
    assert {i.key for i in driver.observe()} == {"asm-y-1"}


def test_a_searching_backend_keeps_its_filter(make_driver, peer):
    peer.backend = "mysql"
    driver = make_driver()
    launch(driver, 2)
    assert len(driver.observe()) == 2
    queries = [params[4] for m, params, _ in peer.calls if m == "one.vmpool.infoextended"]
    assert queries and all(q.startswith("VM.USER_TEMPLATE.VERTICE_") for q in queries)


def test_another_internal_error_does_not_turn_the_search_off(make_driver, peer):
    driver = make_driver()
    launch(driver, 1)
    peer.fail("one.vmpool.infoextended", code=0x2000, message="[one.vmpool.infoextended] "
              "Internal error", times=1)  # fmt: skip
    with pytest.raises(TransientError, match="Internal error"):
        driver.observe()
    assert len(driver.observe()) == 1
    queries = [params[4] for m, params, o in peer.calls if m == "one.vmpool.infoextended"]
    assert queries[-1] == "VM.USER_TEMPLATE.VERTICE_INSTALLATION=vti-one-tests"


def test_create_finds_the_keys_vm_instead_of_instantiating_again(make_driver, peer, cloud):
    driver = make_driver()
    spec = default_spec("vti-one-tests", unique_key())
    first = driver.create(spec)
    assert driver.create(spec).cloud_id == first.cloud_id
    assert peer.count("one.template.instantiate") == 1

    settle(cloud, int(first.cloud_id), ACTIVE, RUNNING)
    driver.delete(first.cloud_id)  # a DONE VM is not the key's VM any more
    settle(cloud, int(first.cloud_id), DONE)
    assert driver.live_by_key(spec.key) is None
    assert driver.create(spec).cloud_id != first.cloud_id


def test_verbs_on_a_missing_vm(make_driver):
    driver = make_driver()
    driver.delete("4242")  # never existed: a success
    for verb in (driver.start, driver.stop):
        with pytest.raises(TransientError) as caught:
            verb("4242")
        assert caught.value.reason == "InstanceNotFound"
    with pytest.raises(TransientError) as caught:
        driver.reboot("4242")
    assert caught.value.reason == "NotFound"


def test_a_delete_refused_as_missing_is_a_success_only_if_the_vm_is_gone(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    gone = f"[one.vm.action] Error getting virtual machine [{vm_id}]."
    peer.fail("one.vm.action", code=0x400, message=gone, times=1)
    peer.hooks.append(lambda method, _: method == "one.vm.action" and cloud.set_state(vm_id, DONE))
    driver.delete(str(vm_id))  # someone else's delete won the race: fine

    other = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    settle(cloud, other, ACTIVE, RUNNING)
    peer.hooks.clear()
    peer.fail("one.vm.action", code=0x400, message=f"[one.vm.action] Error getting host [{other}].")
    with pytest.raises(TransientError) as caught:
        driver.delete(str(other))
    assert caught.value.reason == "HostUnavailable" and "still there" in caught.value.message


def test_a_shutdown_gets_time_before_terminate_hard(make_driver, peer, cloud):
    driver = make_driver(hard_terminate_after=0.5)
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    cloud.vms[vm_id].ignored = {"terminate"}  # the guest ignores ACPI
    driver.delete(str(vm_id))
    driver.delete(str(vm_id))
    assert peer.actions(vm_id) == [("terminate", "ok"), ("terminate", "ok")]
    time.sleep(0.6)
    driver.delete(str(vm_id))
    assert peer.actions(vm_id)[-1] == ("terminate-hard", "ok")
    settle(cloud, vm_id, DONE)


def test_hard_reboot_and_hard_stop_send_the_hard_actions(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    driver.hard_reboot(str(vm_id))
    driver.hard_stop(str(vm_id))
    assert peer.actions(vm_id) == [("reboot-hard", "ok"), ("poweroff-hard", "ok")]
    settle(cloud, vm_id, POWEROFF)
    driver.hard_stop(str(vm_id))  # powered off already: nothing sent
    driver.hard_reboot(str(vm_id))  # ...nor to a VM that runs nothing
    assert len(peer.actions(vm_id)) == 2


def test_suspend_saves_the_vm_and_start_restores_it_without_a_boot(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    vm = cloud.vms[vm_id]
    settle(cloud, vm_id, ACTIVE, RUNNING)
    driver.suspend(str(vm_id))
    settle(cloud, vm_id, SUSPENDED)
    assert (vm.prev_state, vm.prev_lcm) == (ACTIVE, SAVE_SUSPEND)  # its memory was saved
    assert [i.state for i in driver.observe()] == [InstanceState.STOPPED]
    driver.suspend(str(vm_id))  # suspended already: nothing sent
    driver.start(str(vm_id))
    settle(cloud, vm_id, ACTIVE, RUNNING)
    # Restored on its host, not deployed again through PENDING, PROLOG and BOOT.
    assert (vm.prev_state, vm.prev_lcm) == (ACTIVE, BOOT_SUSPENDED)
    assert vm.reboots == 0
    assert peer.actions(vm_id) == [("suspend", "ok"), ("resume", "ok")]


def test_suspend_leaves_a_vm_that_runs_nothing_alone_as_oned_refuses_it(
    make_driver, peer, cloud, oneadmin
):
    import pyone

    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    driver.stop(str(vm_id))
    settle(cloud, vm_id, POWEROFF)
    driver.suspend(str(vm_id))  # powered off: nothing to suspend, nothing sent
    assert peer.actions(vm_id) == [("poweroff", "ok")]
    refused = f"Could not suspend VM {vm_id}, wrong state POWEROFF"
    with pytest.raises(pyone.OneActionException, match=refused):
        oneadmin.vm.action("suspend", vm_id)  # what oned answers to one sent anyway
    cloud.set_state(vm_id, ACTIVE, 16)  # UNKNOWN: oned suspends only RUNNING
    with pytest.raises(TransientError) as caught:
        driver.suspend(str(vm_id))
    assert caught.value.reason == "IncorrectInstanceState"
    assert "ACTIVE/UNKNOWN" in caught.value.message
    assert peer.actions(vm_id) == [("poweroff", "ok"), ("suspend", "0x800")]


def test_a_vm_in_transition_is_deleted_once_it_settles(make_driver, cloud):
    driver = make_driver()
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key())).cloud_id)
    cloud.set_state(vm_id, ACTIVE, 2)  # BOOT: oned refuses to terminate now
    with pytest.raises(TransientError) as caught:
        driver.delete(str(vm_id))
    assert caught.value.reason == "IncorrectInstanceState" and "ACTIVE/BOOT" in caught.value.message


def test_stop_holds_a_vm_still_pending_and_start_releases_it(make_driver, peer, cloud):
    driver = make_driver()
    vm = driver.create(default_spec("vti-one-tests", unique_key()))
    driver.stop(vm.cloud_id)  # still PENDING: not on a host yet
    assert cloud.vms[int(vm.cloud_id)].state == HOLD
    assert [i.state for i in driver.observe()] == [InstanceState.STOPPED]
    driver.start(vm.cloud_id)
    settle(cloud, int(vm.cloud_id), ACTIVE, RUNNING)
    assert peer.actions() == [("hold", "ok"), ("release", "ok")]


def test_a_recorded_pool_is_read_and_its_foreign_vms_dropped(make_driver, peer, fixtures):
    recorded = (fixtures / "python_oca_fixtures/vmpool.xml").read_text()
    peer.fail("one.vmpool.infoextended", result=recorded)
    driver = make_driver()
    assert sorted(int(vm.ID) for vm in driver.vms("")) == [6, 7, 8]
    assert driver.observe() == []  # no VERTICE_INSTALLATION: not this installation's


def test_flavors_and_images_are_the_templates(make_driver):
    driver = make_driver()
    assert [(f.name, f.cpu, f.ram) for f in driver.flavors()] == [
        ("ubuntu-22.04", 1, 1024),
        ("alma-9", 2, 2048),
    ]
    images = {i.id: i for i in driver.images()}
    assert images["0"].name == "1_virtualmachine_ubuntu"  # mapped in the region's settings
    assert images["0"].description == "Ubuntu 22.04 LTS"


def test_a_first_create_instantiates_without_looking_the_key_up(make_driver, peer):
    """Issue 18: the key is looked up only when an earlier attempt may have created it."""
    import attrs

    driver = make_driver()
    before = peer.count("one.vmpool.infoextended")
    spec = attrs.evolve(default_spec("vti-one-tests", unique_key()), maybe_created=False)
    driver.create(spec)
    assert peer.count("one.template.instantiate") == 1
    assert peer.count("one.vmpool.infoextended") == before
