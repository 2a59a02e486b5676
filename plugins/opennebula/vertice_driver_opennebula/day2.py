"""The `opennebula` driver's resize: a VM's CPU, VCPU and MEMORY changed in place.

oned's `one.vm.resize` (XML-RPC reference, "one.vm.resize": a template with
`CPU`, `VCPU`, `MEMORY`; an absent or 0 value is left as it is) sets the
capacity of a VM that runs nothing: POWEROFF (checking its host's capacity),
UNDEPLOYED, or one not deployed yet (PENDING, HOLD...). It refuses every other
state with ACTION (`Cannot resize a VM in state SUSPENDED`), except RUNNING,
which it resizes as a hotplug (HOTPLUG_RESIZE) where the hypervisor driver has
`LIVE_RESIZE` (DispatchManager::resize in OpenNebula/one,
src/dm/DispatchManagerActions.cc). vertice does not hotplug: it works only up to
the `VCPU_MAX`/`MEMORY_MAX` the VM was booted with, which vertice's templates
need not set, and the CPUs it adds stay offline in the guest until enabled
there (OpenNebula's VM guide, "Resizing VM Resources" / "Live Resize of
Capacity"). It follows the procedure that guide recommends instead: poweroff,
resize, resume. The VM keeps its id, disks and IP leases.

`resize` follows the VM a look at a time (`states.resize_step`):

* the VM has the flavor's capacity: done (resumed first if a resize powered it
  off); nothing is sent, so resizing to the size it has never restarts it;
* it runs nothing: `one.vm.resize` (enforce: the host is not overcommitted, as
  oned always enforces for a user outside the oneadmin group);
* it is RUNNING: `VERTICE_RESIZE_RESTART = "running"` is merged into its
  USER_TEMPLATE (`one.vm.update`, type 1), then `poweroff`; the marker lives on
  the VM, so a call that stops waiting (or a restart of vertice) leaves nothing
  behind that the next call does not finish: it resumes a VM it finds powered
  off with the marker, then empties the marker (oned's merge cannot remove an
  attribute);
* it is on its way (powering off, booting): wait, `resize_wait` seconds at most,
  then TransientError `ResizeInProgress`.

A VM stopped before the resize (POWEROFF without the marker) is resized and
stays stopped. SUSPENDED, STOPPED, failed or UNKNOWN VMs are refused with
`IncorrectInstanceState` (retried): oned cannot resize them and vertice does
not throw away a suspended VM's memory to do it.

Functions of the driver (`OpenNebulaDriver`), which keeps thin methods for them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from vertice_core.driver import SizeSpec
from vertice_core.errors import TransientError
from vertice_driver_opennebula.client import busy, call
from vertice_driver_opennebula.states import resize_step
from vertice_driver_opennebula.translate import RESIZE_RESTART, Capacity, template_xml, text_map

if TYPE_CHECKING:
    from vertice_driver_opennebula.driver import OpenNebulaDriver

#: `one.vm.update`'s type that merges the attributes given into the USER_TEMPLATE.
MERGE = 1
#: What the marker holds while a resize owes the VM a `resume`.
RUNNING = "running"
#: `one.vm.resize`'s enforce flag: never overcommit the host (oned enforces it anyway for
#: users outside the oneadmin group).
ENFORCE = True


def resize(driver: OpenNebulaDriver, cloud_id: str, size: SizeSpec) -> None:
    """Bring the VM to the capacity of `size` (see the module's docstring)."""
    wanted = Capacity.of_size(size, driver.settings)
    deadline = time.monotonic() + driver.settings.resize_wait
    pause = 0.05
    refused: tuple[str, TransientError] | None = None
    while True:
        vm = driver.vm_info(cloud_id)
        if vm is None:
            raise TransientError(
                f"opennebula: resize: VM {cloud_id} does not exist", reason="InstanceNotFound"
            )
        vm_id = int(vm.ID)
        restart = bool(text_map(vm.USER_TEMPLATE).get(RESIZE_RESTART))
        try:
            step = resize_step(int(vm.STATE), int(vm.LCM_STATE), wanted.fits(vm.TEMPLATE), restart)
        except ValueError as state:
            raise busy(vm_id, "resize", state) from None
        if step is None:
            if restart:
                _mark(driver, vm_id, "")
            return
        if refused is not None and refused[0] == step:
            raise refused[1]  # refused twice in the same state: not a race, oned's answer
        try:
            _carry_out(driver, vm_id, step, wanted, restart)
        except TransientError as error:
            if error.reason != "IncorrectInstanceState":
                raise
            refused = (step, error)  # the VM moved since it was read: look again
            continue
        refused = None
        if time.monotonic() >= deadline:
            raise TransientError(
                f"opennebula: VM {vm_id} is still being resized ({step}); the next call carries on",
                reason="ResizeInProgress",
            )
        if step in ("poweroff", "wait"):
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            pause = min(pause * 2, 2.0)


def _carry_out(
    driver: OpenNebulaDriver, vm_id: int, step: str, wanted: Capacity, restart: bool
) -> None:
    """One step of `resize` (`wait` sends nothing)."""
    if step == "resize":
        template = wanted.template()
        call(
            f"one.vm.resize {vm_id}",
            lambda: driver.server.vm.resize(vm_id, template, ENFORCE),
        )
    elif step == "poweroff":
        if not restart:  # first, so that no call can leave it off and forgotten
            _mark(driver, vm_id, RUNNING)
        call(f"one.vm.action poweroff {vm_id}", lambda: driver.server.vm.action("poweroff", vm_id))
    elif step == "resume":
        call(f"one.vm.action resume {vm_id}", lambda: driver.server.vm.action("resume", vm_id))


def _mark(driver: OpenNebulaDriver, vm_id: int, value: str) -> None:
    """Set (or empty) the VM's `VERTICE_RESIZE_RESTART` (merged: nothing else changes)."""
    marker = template_xml({RESIZE_RESTART: value})
    call(f"one.vm.update {vm_id}", lambda: driver.server.vm.update(vm_id, marker, MERGE))
