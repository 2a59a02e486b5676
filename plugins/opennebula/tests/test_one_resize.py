"""Resize: the peer's `one.vm.resize` follows oned's state rules, and the driver's resize
powers a running VM off, resizes it and resumes it, leaves a stopped one stopped, and
finishes on a later call what an earlier one left half-way.

The peer's rules are DispatchManager::resize's (OpenNebula/one,
src/dm/DispatchManagerActions.cc): see `one_cloud.OneCloud.resize`.
"""

from __future__ import annotations

import time
import xmlrpc.client

import pytest

from vertice_core.driver import SizeSpec
from vertice_core.errors import TransientError
from vertice_core.model.status import InstanceState
from vertice_driver_opennebula.states import resize_step
from vertice_drivers.testkit import default_spec, unique_key

ACTIVE, RUNNING, POWEROFF, SUSPENDED, STOPPED = 3, 3, 8, 5, 4
PENDING, HOLD, UNDEPLOYED, PROLOG, SHUTDOWN_POWEROFF, HOTPLUG_RESIZE = 1, 2, 9, 1, 18, 66
ACTION, INTERNAL, AUTHORIZATION = 0x800, 0x2000, 0x200
SMALL, LARGE = SizeSpec("small", 1, 1024, 10), SizeSpec("large", 2, 4096, 40)
MARKER = "VERTICE_RESIZE_RESTART"


def settle(cloud, vm_id, state, lcm=0, timeout=5.0):
    deadline = time.monotonic() + timeout
    while (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) != (state, lcm):
        assert time.monotonic() < deadline, cloud.vms[vm_id]
        cloud.tick()
        time.sleep(0.01)


def capacity(cloud, vm_id):
    template = cloud.vms[vm_id].template
    return template.get("CPU"), template.get("VCPU"), template.get("MEMORY")


@pytest.fixture
def rpc(peer):
    """`rpc(method, *params, user=...)`: oned's reply as it is, `[ok, result, code, ...]`."""

    def call(method, *params, user="oneadmin:opennebula"):
        return getattr(xmlrpc.client.ServerProxy(peer.url), method)(user, *params)

    return call


@pytest.fixture
def vm_in(plant, cloud):
    """`vm_in(state, lcm)`: a VM (CPU 1, VCPU 1, MEMORY 512) put in that state."""

    def make(state, lcm=0):
        vm = plant(f"rs-{unique_key()}", VCPU="1")
        cloud.set_state(vm.id, state, lcm)
        return vm.id

    return make


# -- the peer: oned's rules --


@pytest.mark.parametrize(
    ("state", "lcm"), [(POWEROFF, 0), (UNDEPLOYED, 0), (PENDING, 0), (HOLD, 0)]
)
def test_oned_resizes_a_vm_that_runs_nothing_at_once(rpc, cloud, vm_in, state, lcm):
    vm_id = vm_in(state, lcm)
    reply = rpc("one.vm.resize", vm_id, "CPU = 1.5\nVCPU = 2\nMEMORY = 2048", True)
    assert reply[:3] == [True, vm_id, 0]
    assert capacity(cloud, vm_id) == ("1.5", "2", "2048")
    assert (cloud.vms[vm_id].state, cloud.vms[vm_id].lcm) == (state, lcm)


def test_an_absent_or_zero_value_is_left_as_it_is(rpc, cloud, vm_in):
    vm_id = vm_in(POWEROFF)
    assert rpc("one.vm.resize", vm_id, "<TEMPLATE><MEMORY>768</MEMORY><VCPU>0</VCPU></TEMPLATE>",
               False)[0]  # fmt: skip
    assert capacity(cloud, vm_id) == ("1", "1", "768")


@pytest.mark.parametrize(
    ("state", "lcm", "name"),
    [
        (SUSPENDED, 0, "SUSPENDED"),
        (STOPPED, 0, "STOPPED"),
        (ACTIVE, PROLOG, "PROLOG"),
        (ACTIVE, SHUTDOWN_POWEROFF, "SHUTDOWN_POWEROFF"),
    ],
)
def test_oned_refuses_a_resize_in_other_states(rpc, cloud, vm_in, state, lcm, name):
    vm_id = vm_in(state, lcm)
    ok, message, code, *_ = rpc("one.vm.resize", vm_id, "VCPU = 2\nMEMORY = 2048", False)
    assert (ok, code) == (False, ACTION)
    assert message == f"[one.vm.resize] Cannot resize a VM in state {name}"
    assert capacity(cloud, vm_id) == ("1", "1", "512")


def test_a_running_vm_is_hotplugged_within_what_it_booted_with(rpc, cloud, vm_in):
    vm_id = vm_in(ACTIVE, RUNNING)
    cloud.vms[vm_id].template |= {"VCPU_MAX": "4", "MEMORY_MAX": "4096"}
    assert rpc("one.vm.resize", vm_id, "VCPU = 3\nMEMORY = 2048", False)[0]
    assert (cloud.vms[vm_id].lcm, capacity(cloud, vm_id)) == (HOTPLUG_RESIZE, ("1", "3", "2048"))
    settle(cloud, vm_id, ACTIVE, RUNNING)
    assert capacity(cloud, vm_id) == ("1", "3", "2048")


def test_a_hotplug_beyond_the_maximum_fails_and_restores_the_capacity(rpc, cloud, vm_in):
    vm_id = vm_in(ACTIVE, RUNNING)  # no VCPU_MAX: the VCPUs it booted with are the most
    assert rpc("one.vm.resize", vm_id, "VCPU = 2", False)[0]
    assert cloud.vms[vm_id].lcm == HOTPLUG_RESIZE
    settle(cloud, vm_id, ACTIVE, RUNNING)
    assert capacity(cloud, vm_id) == ("1", "1", "512")


def test_without_live_resize_a_running_vm_is_refused(rpc, cloud, vm_in):
    cloud.live_resize = False
    vm_id = vm_in(ACTIVE, RUNNING)
    ok, message, code, *_ = rpc("one.vm.resize", vm_id, "VCPU = 2", False)
    assert (ok, code, message) == (False, ACTION, "[one.vm.resize] Hotplug resize not supported "
                                                  "by driver kvm")  # fmt: skip


def test_negative_values_and_readers_are_refused(rpc, cloud, vm_in):
    vm_id = vm_in(POWEROFF)
    ok, message, code, *_ = rpc("one.vm.resize", vm_id, "MEMORY = -1", False)
    assert (ok, code, message) == (False, INTERNAL, "[one.vm.resize] MEMORY must be a positive "
                                                    "integer value.")  # fmt: skip
    assert rpc("one.vm.resize", vm_id, "MEMORY = 2048", False, user="viewer:viewer")[2] == (
        AUTHORIZATION
    )
    assert capacity(cloud, vm_id) == ("1", "1", "512")


# -- the driver --


def running_vm(driver, cloud, size=SMALL):
    vm_id = int(driver.create(default_spec("vti-one-tests", unique_key(), size=size)).cloud_id)
    settle(cloud, vm_id, ACTIVE, RUNNING)
    return vm_id


def observed(driver, vm_id):
    (instance,) = [i for i in driver.observe() if i.cloud_id == str(vm_id)]
    return instance


def test_a_running_vm_is_powered_off_resized_and_resumed(make_driver, peer, cloud):
    driver = make_driver(cpu_ratio=0.5)
    vm_id = running_vm(driver, cloud)
    assert observed(driver, vm_id).size == "1vcpu-1024mb"
    driver.resize(str(vm_id), LARGE)
    assert [a for a, _ in peer.actions(vm_id)] == ["poweroff", "resume"]
    assert capacity(cloud, vm_id) == ("1", "2", "4096")  # CPU: 2 VCPUs x 0.5
    assert not cloud.vms[vm_id].user_template.get(MARKER)  # emptied once resumed
    settle(cloud, vm_id, ACTIVE, RUNNING)
    instance = observed(driver, vm_id)
    assert (instance.state, instance.size) == (InstanceState.RUNNING, "2vcpu-4096mb")
    assert MARKER.lower().replace("_", "-") not in instance.tags


def test_a_created_and_a_resized_vm_of_one_size_report_the_same(make_driver, cloud):
    driver = make_driver(cpu_ratio=0.5)
    created, resized = running_vm(driver, cloud, LARGE), running_vm(driver, cloud)
    driver.resize(str(resized), LARGE)
    assert capacity(cloud, created) == capacity(cloud, resized)
    assert observed(driver, created).size == observed(driver, resized).size == "2vcpu-4096mb"


def test_a_stopped_vm_is_resized_and_stays_stopped(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = running_vm(driver, cloud)
    driver.stop(str(vm_id))
    settle(cloud, vm_id, POWEROFF)
    updates = peer.count("one.vm.update")
    driver.resize(str(vm_id), LARGE)
    assert [a for a, _ in peer.actions(vm_id)] == ["poweroff"]  # the stop's, nothing since
    assert peer.count("one.vm.update") == updates  # no marker: nothing to resume
    assert (cloud.vms[vm_id].state, capacity(cloud, vm_id)) == (POWEROFF, ("2", "2", "4096"))
    assert observed(driver, vm_id).state is InstanceState.STOPPED


def test_resizing_to_the_size_it_has_touches_nothing(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = running_vm(driver, cloud)
    writes = [peer.count(m) for m in ("one.vm.action", "one.vm.resize", "one.vm.update")]
    driver.resize(str(vm_id), SMALL)
    assert [peer.count(m) for m in ("one.vm.action", "one.vm.resize", "one.vm.update")] == writes


def test_a_resize_interrupted_half_way_completes_on_the_next_call(make_driver, peer, cloud):
    driver = make_driver()
    vm_id = running_vm(driver, cloud)
    peer.fail("one.vm.resize", code=INTERNAL, message="[one.vm.resize] Could not update host",
              times=1)  # fmt: skip
    with pytest.raises(TransientError, match="Could not update host"):
        driver.resize(str(vm_id), LARGE)
    # Left powered off, still small, and remembered as running on the VM itself.
    assert cloud.vms[vm_id].state == POWEROFF
    assert capacity(cloud, vm_id) == ("1", "1", "1024")
    assert cloud.vms[vm_id].user_template[MARKER] == "running"
    # Another driver (vertice restarted) finishes it: resized and running again.
    make_driver().resize(str(vm_id), LARGE)
    assert [a for a, _ in peer.actions(vm_id)] == ["poweroff", "resume"]
    assert capacity(cloud, vm_id) == ("2", "2", "4096")
    assert not cloud.vms[vm_id].user_template.get(MARKER)
    settle(cloud, vm_id, ACTIVE, RUNNING)


def test_a_vm_slow_to_power_off_is_a_resize_in_progress(make_driver, peer, cloud):
    driver = make_driver(resize_wait=0.2)
    vm_id = running_vm(driver, cloud)
    cloud.vms[vm_id].ignored.add("poweroff")  # acknowledged, not (yet) carried out
    with pytest.raises(TransientError) as raised:
        driver.resize(str(vm_id), LARGE)
    assert raised.value.reason == "ResizeInProgress"
    assert cloud.vms[vm_id].user_template[MARKER] == "running"
    cloud.vms[vm_id].ignored.clear()
    driver.resize(str(vm_id), LARGE)
    assert capacity(cloud, vm_id) == ("2", "2", "4096")
    assert [a for a, _ in peer.actions(vm_id)][-1] == "resume"


def test_a_vm_resized_but_not_unmarked_is_only_unmarked(make_driver, peer, cloud):
    # What a crash between the resume and emptying the marker leaves: a running VM of the
    # wanted size that still carries the marker.
    driver = make_driver()
    vm_id = running_vm(driver, cloud, LARGE)
    cloud.vms[vm_id].user_template[MARKER] = "running"
    driver.resize(str(vm_id), LARGE)
    assert peer.actions(vm_id) == []
    assert not cloud.vms[vm_id].user_template[MARKER]


def test_a_suspended_vm_is_not_resized(make_driver, cloud):
    driver = make_driver()
    vm_id = running_vm(driver, cloud)
    driver.suspend(str(vm_id))
    settle(cloud, vm_id, SUSPENDED)
    with pytest.raises(TransientError) as raised:
        driver.resize(str(vm_id), LARGE)
    assert raised.value.reason == "IncorrectInstanceState"
    assert capacity(cloud, vm_id) == ("1", "1", "1024")


def test_a_missing_vm_is_reported(make_driver):
    with pytest.raises(TransientError) as raised:
        make_driver().resize("4242", LARGE)
    assert raised.value.reason == "InstanceNotFound"


@pytest.mark.parametrize(
    ("state", "lcm", "fits", "restart", "step"),
    [
        (ACTIVE, RUNNING, False, False, "poweroff"),
        (ACTIVE, RUNNING, False, True, "poweroff"),
        (ACTIVE, SHUTDOWN_POWEROFF, False, True, "wait"),
        (ACTIVE, SHUTDOWN_POWEROFF, True, True, "wait"),
        (POWEROFF, 0, False, True, "resize"),
        (POWEROFF, 0, True, True, "resume"),
        (POWEROFF, 0, True, False, None),
        (UNDEPLOYED, 0, True, True, "resume"),
        (PENDING, 0, False, False, "resize"),
        (ACTIVE, 20, True, True, None),  # BOOT_POWEROFF: resumed already
        (ACTIVE, HOTPLUG_RESIZE, False, False, "wait"),
        (ACTIVE, RUNNING, True, False, None),
    ],
)
def test_each_step_of_a_resize(state, lcm, fits, restart, step):
    assert resize_step(state, lcm, fits, restart) == step


@pytest.mark.parametrize(
    ("state", "lcm", "name"),
    [(SUSPENDED, 0, "SUSPENDED"), (STOPPED, 0, "STOPPED"), (ACTIVE, 16, "ACTIVE/UNKNOWN"),
     (ACTIVE, 36, "ACTIVE/BOOT_FAILURE")],
)  # fmt: skip
def test_states_oned_will_not_resize_in_are_refused(state, lcm, name):
    with pytest.raises(ValueError, match=f"^{name}$"):
        resize_step(state, lcm, False, True)
