"""The peer's day-2 VM calls: `one.vm.resize` and `one.vm.disksaveas`, as oned does them.

* `resize` follows DispatchManager::resize (OpenNebula/one,
  src/dm/DispatchManagerActions.cc) and the request that calls it
  (VirtualMachineResize in src/rm/RequestManagerVirtualMachine.cc, 6.10;
  VirtualMachineAPI::resize since 7.0): the capacity of a VM that runs nothing
  (POWEROFF, UNDEPLOYED, INIT, PENDING, HOLD, CLONING*) is set at once; a
  RUNNING one is hotplugged (LCM HOTPLUG_RESIZE, then RUNNING) where the
  hypervisor driver has LIVE_RESIZE (`OneCloud.live_resize`); every other state
  is refused with ACTION, `Cannot resize a VM in state <name>`. The XML-RPC
  reference ("one.vm.resize"): an absent or 0 value is left as it is; a negative
  one is refused with INTERNAL.
* `disk_saveas` follows VirtualMachineDiskSaveas (same file) and
  VirtualMachine::set_saveas_state: RUNNING -> HOTPLUG_SAVEAS, POWEROFF ->
  HOTPLUG_SAVEAS_POWEROFF, SUSPENDED, UNDEPLOYED, STOPPED likewise, back where it
  was once the copy is done; any other state is refused with INTERNAL, `VM has to
  be RUNNING, POWEROFF or SUSPENDED to save disks.`; a DISK that does not exist or
  has no image, or a disk snapshot (the peer has none), with INTERNAL `Cannot use
  DISK. ...`. The image itself is `one_images.ImagePool.save_as`'s.
"""

from __future__ import annotations

from typing import Any

from one_cloud import ACTIVE, HOLD, INIT, LCM, PENDING, POWEROFF, UNDEPLOYED, OneCloud
from one_images import ACTION, INTERNAL, OneFailure
from one_templates import listed

STOPPED, SUSPENDED, CLONING, CLONING_FAILURE, RUNNING = 4, 5, 10, 11, 3
#: Where oned sets a VM's capacity at once (DispatchManager::resize).
RESIZE_AT_ONCE = frozenset({INIT, PENDING, HOLD, POWEROFF, UNDEPLOYED, CLONING, CLONING_FAILURE})
#: one.vm.resize's values: (name, type, what oned says of a negative one).
CAPACITY = (("CPU", float, "a positive float or integer"), ("VCPU", int, "a positive integer"),
            ("MEMORY", int, "a positive integer"))  # fmt: skip
#: A VM's state -> the LCM state it saves a disk in (VirtualMachine::set_saveas_state).
SAVEAS = {POWEROFF: 27, SUSPENDED: 28, UNDEPLOYED: 67, STOPPED: 68}
HOTPLUG_SAVEAS = 26


def resize(cloud: OneCloud, vm_id: int, template: dict[str, Any]) -> None:
    """`one.vm.resize`: the capacity in `template` (absent or 0: unchanged), as
    DispatchManager::resize allows it in the VM's state (see the module).

    A hotplug (RUNNING) ends one step later; as KVM's driver does, it fails (and
    oned restores the former capacity) when it would go beyond the `VCPU_MAX` or
    `MEMORY_MAX` the VM booted with (none: what it booted with). Host capacity is
    not modelled."""
    method = "one.vm.resize"
    wanted: dict[str, str] = {}
    for name, kind, words in CAPACITY:
        try:
            value = kind(float(str(template.get(name, "0")) or "0"))
        except ValueError:
            value = kind(0)
        if value < 0:
            raise OneFailure(INTERNAL, f"[{method}] {name} must be {words} value.")
        if value:
            wanted[name] = f"{value:g}" if kind is float else str(value)
    with cloud.lock:
        vm = cloud.get(vm_id, method)
        if vm.state in RESIZE_AT_ONCE:
            vm.template.update(wanted)
        elif vm.state != ACTIVE or vm.lcm != RUNNING:
            raise OneFailure(
                ACTION, f"[{method}] Cannot resize a VM in state {vm.state_name}", vm_id
            )
        elif not cloud.live_resize:
            raise OneFailure(ACTION, f"[{method}] Hotplug resize not supported by driver kvm")
        elif any(vm.template.get(k) != v for k, v in wanted.items()):
            before = {k: vm.template[k] for k in wanted if k in vm.template}
            fails = any(
                float(wanted[k]) > float(vm.template.get(limit) or before.get(k) or 0)
                for k, limit in (("VCPU", "VCPU_MAX"), ("MEMORY", "MEMORY_MAX"))
                if k in wanted
            )
            vm.template.update(wanted)
            cloud.then(vm, (ACTIVE, LCM["HOTPLUG_RESIZE"]), (ACTIVE, RUNNING))
            vm.resize_undo = before if fails else None


def disk_saveas(
    cloud: OneCloud, vm_id: int, disk_id: int, name: str, kind: str, snap_id: int,
    user: tuple[int, str],
) -> int:  # fmt: skip
    """`one.vm.disksaveas`: the new image's id; the VM saves the disk meanwhile."""
    method = "one.vm.disksaveas"
    with cloud.lock:
        vm = cloud.get(vm_id, method)
        running = vm.state == ACTIVE and vm.lcm == RUNNING
        if not running and vm.state not in SAVEAS:
            raise OneFailure(
                INTERNAL, f"[{method}] VM has to be RUNNING, POWEROFF or SUSPENDED to save disks."
            )
        disk = next((d for d in listed(vm.template.get("DISK")) if
                     d.get("DISK_ID") == str(disk_id)), None)  # fmt: skip
        problem = (
            "DISK does not exist." if disk is None
            else "DISK does not have a valid IMAGE_ID." if "IMAGE_ID" not in disk
            else "Snapshot does not exist." if snap_id != -1
            else ""
        )  # fmt: skip
        if problem or disk is None:
            raise OneFailure(INTERNAL, f"[{method}] Cannot use DISK. {problem}")
        image = cloud.images.save_as(vm_id, disk, name, kind, user)
        saving = (ACTIVE, HOTPLUG_SAVEAS if running else SAVEAS[vm.state])
        back = (vm.state, vm.lcm)
        cloud.then(vm, *[saving] * cloud.images.copy_steps, back)
        return image.id
