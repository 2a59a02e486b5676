"""An in-memory OpenNebula for the driver's tests: VMs, their life cycle, templates, networks.

It follows oned's own rules where the driver depends on them:

* `DispatchManager::terminate` (OpenNebula/one, src/dm/DispatchManager.cc): what
  `terminate` and `terminate-hard` do in each state, and the "wrong state"
  refusals; `poweroff`, `suspend`, `resume`, `reboot`, `hold`, `release`
  likewise (`suspend` only from RUNNING, through SAVE_SUSPEND to SUSPENDED; a
  `resume` restores a SUSPENDED VM on its host through BOOT_SUSPENDED, no boot);
* `one.vm.resize` and `one.vm.disksaveas` live in `one_vmops`, images (which a
  VM's DISKs acquire and release) in `one_images`;
* instantiate merges the extra template over the VM template, keeps the
  system attributes of vm.xsd's TEMPLATE and moves every other attribute
  (SCHED_REQUIREMENTS, vertice's VERTICE_*) to the USER_TEMPLATE;
* error messages use the formats of `src/rm/Request.cc` recorded in
  `fixtures/vm_state_codes.json`.

Transitions (PENDING -> PROLOG -> BOOT -> RUNNING, SHUTDOWN -> EPILOG -> DONE...)
each take `step` seconds and are applied lazily whenever the cloud is touched.
A VM can misbehave: actions it acknowledges without carrying them out
(`ignored`, the ghost VM) and actions it refuses with oned's "Error getting
host" answer for a VM whose host is lost (`refused`).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import attrs
from one_images import ImagePool, OneFailure
from one_templates import SYSTEM_ATTRIBUTES, base_template, listed, matches, parse_template

__all__ = ["ImagePool", "OneCloud", "OneFailure", "Vm"]

AUTHORIZATION, NO_EXISTS, ACTION, RPC_API = 0x200, 0x400, 0x800, 0x1000
INTERNAL, ALLOCATE = 0x2000, 0x4000
INIT, PENDING, HOLD, ACTIVE, STOPPED, SUSPENDED, DONE = range(7)
POWEROFF, UNDEPLOYED = 8, 9
LCM = {"PROLOG": 1, "BOOT": 2, "RUNNING": 3, "EPILOG": 11, "SHUTDOWN": 12, "UNKNOWN": 16}
LCM |= {"SHUTDOWN_POWEROFF": 18, "BOOT_UNKNOWN": 19, "BOOT_POWEROFF": 20, "CLEANUP_DELETE": 23}
LCM |= {"SAVE_SUSPEND": 6, "BOOT_SUSPENDED": 21, "HOTPLUG_RESIZE": 66}
LCM_NAMES = {v: k for k, v in LCM.items()}
#: The `*_FAILURE` LCM states (BOOT_FAILURE... PROLOG_MIGRATE_UNKNOWN_FAILURE).
FAILURES = frozenset({*range(36, 43), 44, 46, 47, 48, 49, 50, 61})
STATE_NAMES = {0: "INIT", 1: "PENDING", 2: "HOLD", 3: "ACTIVE", 4: "STOPPED", 5: "SUSPENDED"}
STATE_NAMES |= {6: "DONE", 8: "POWEROFF", 9: "UNDEPLOYED", 10: "CLONING", 11: "CLONING_FAILURE"}

HOSTS = {0: "kvm-node-1", 1: "kvm-node-2"}
#: id -> (name, address prefix); addresses are leased from .10 on.
NETWORKS = {0: ("private", "10.0.0."), 1: ("public", "203.0.113.")}


@attrs.define
class Vm:
    """One VM as oned keeps it."""

    id: int
    name: str
    uid: int
    uname: str
    state: int
    lcm: int
    stime: int
    template: dict[str, Any]
    user_template: dict[str, Any]
    prev_state: int = 0
    prev_lcm: int = 0
    etime: int = 0
    host: int | None = None
    history: list[dict[str, int]] = attrs.Factory(list)
    plan: list[tuple[float, int, int]] = attrs.Factory(list)
    reboots: int = 0
    #: Actions acknowledged but not carried out (the ghost VM of the design document).
    ignored: set[str] = attrs.Factory(set)
    #: Actions refused with "Error getting host", and how many more times (-1: always).
    refused: dict[str, int] = attrs.Factory(dict)
    #: The capacity a hotplug resize that will fail restores when it ends (oned keeps it
    #: in a RESIZE vector, which vm.xsd's TEMPLATE has no room for).
    resize_undo: dict[str, str] | None = None

    @property
    def state_name(self) -> str:
        """What oned's `state_str()` says: the LCM state's name while ACTIVE."""
        return (
            LCM_NAMES.get(self.lcm, str(self.lcm))
            if self.state == ACTIVE
            else (STATE_NAMES.get(self.state, str(self.state)))
        )


class OneCloud:
    """The VM pool, templates and networks of one oned, thread-safe."""

    def __init__(self, step: float = 0.02, schedule: float = 0.3) -> None:
        self.step = step
        #: How long a PENDING VM waits for the scheduler to pick a host.
        self.schedule = schedule
        self.lock = threading.RLock()
        self.vms: dict[int, Vm] = {}
        self.next_id = 0
        self.leases: dict[int, set[int]] = {net: set() for net in NETWORKS}
        #: The most VMs (not DONE) the user may have: instantiate beyond it fails.
        self.vm_quota: int | None = None
        #: The code of that failure: ALLOCATE, or AUTHORIZATION (oned's quota authorization
        #: answers so, with the bare quota message).
        self.quota_code = ALLOCATE
        #: Whether the hypervisor driver (kvm) resizes a RUNNING VM: oned.conf's VM_MAD
        #: `LIVE_RESIZE` ("yes" for kvm in the default oned.conf).
        self.live_resize = True
        self.images = ImagePool(step)
        self.templates: dict[int, dict[str, Any]] = {
            0: base_template("ubuntu-22.04", "Ubuntu 22.04 LTS", image=0, cpu="1", memory="1024"),
            1: base_template("alma-9", "AlmaLinux 9", image=1, cpu="2", memory="2048"),
        }

    # -- time --

    def tick(self) -> None:
        """Apply every transition whose time has come."""
        now = time.monotonic()
        with self.lock:
            for vm in self.vms.values():
                while vm.plan and vm.plan[0][0] <= now:
                    _, state, lcm = vm.plan.pop(0)
                    self._move(vm, state, lcm)
            self.images.tick(now)

    def _move(self, vm: Vm, state: int, lcm: int) -> None:
        if vm.state == ACTIVE and vm.lcm == LCM["HOTPLUG_RESIZE"] and vm.resize_undo:
            # LifeCycleManager::trigger_resize_failure: the former capacity is back.
            vm.template.update(vm.resize_undo)
        vm.resize_undo = None
        vm.prev_state, vm.prev_lcm, vm.state, vm.lcm = vm.state, vm.lcm, state, lcm
        if state == ACTIVE and lcm == LCM["PROLOG"] and vm.host is None:
            vm.host = vm.id % len(HOSTS)
            seq = len(vm.history)
            vm.history.append({"SEQ": seq, "HID": vm.host, "STIME": int(time.time())})
        if state == DONE:
            vm.etime = int(time.time())
            self.images.release(vm.id, listed(vm.template.get("DISK")))
            for nic in listed(vm.template.get("NIC")):
                self.leases[int(nic["NETWORK_ID"])].discard(int(nic["IP"].rsplit(".", 1)[1]))

    def then(self, vm: Vm, *states: tuple[int, int]) -> None:
        """Move now to the first state, then one step later to each next.

        A PENDING VM waits `schedule` seconds for a host first (oned's scheduler runs
        every few seconds): long enough for a test to act on a VM still pending.
        """
        vm.plan.clear()
        self._move(vm, *states[0])
        due = time.monotonic() + (self.schedule - self.step if states[0][0] == PENDING else 0)
        for state, lcm in states[1:]:
            due += self.step
            vm.plan.append((due, state, lcm))

    # -- VMs --

    def get(self, vm_id: int, method: str) -> Vm:
        """The VM, or oned's NO_EXISTS answer."""
        vm = self.vms.get(vm_id)
        if vm is None:
            raise OneFailure(
                NO_EXISTS, f"[{method}] Error getting virtual machine [{vm_id}].", vm_id
            )
        return vm

    def create(
        self, method: str, body: dict[str, Any], name: str, user: str, hold: bool, uid: int = 0
    ) -> Vm:
        """A new VM from a merged template: NICs leased, CONTEXT filled, boot planned."""
        with self.lock:
            if self.vm_quota is not None:
                live = sum(1 for vm in self.vms.values() if vm.state != DONE and vm.uid == uid)
                if live >= self.vm_quota:
                    # Request.cc's formats; the detail follows Quotas' "limit ... reached".
                    detail = (
                        f"User [{uid}] : user [{uid}] limit of {self.vm_quota} reached for VMS "
                        "quota in VM."
                    )
                    if self.quota_code == ALLOCATE:
                        detail = f"Error allocating a new virtual machine. {detail}"
                    raise OneFailure(self.quota_code, f"[{method}] {detail}")
            vm_id = self.next_id
            disks = self.images.acquire(vm_id, listed(body.get("DISK")), method)
            self.next_id += 1
            system = {k: v for k, v in body.items() if k in SYSTEM_ATTRIBUTES}
            if disks:
                system["DISK"] = disks
            custom = {k: v for k, v in body.items() if k not in SYSTEM_ATTRIBUTES and k != "NAME"}
            system["NIC"] = [self._lease(i, n) for i, n in enumerate(listed(system.get("NIC")))]
            context = system.get("CONTEXT")
            if isinstance(context, dict) and context.get("NETWORK") == "YES":
                for i, nic in enumerate(system["NIC"]):
                    context[f"ETH{i}_IP"], context[f"ETH{i}_MAC"] = nic["IP"], nic["MAC"]
            system |= {"VMID": str(vm_id), "TM_MAD_SYSTEM": "ssh"}
            system.setdefault("AUTOMATIC_REQUIREMENTS", "!(PUBLIC_CLOUD = YES)")
            vm = Vm(vm_id, name or f"one-{vm_id}", uid, user, PENDING, 0, int(time.time()),
                    system, custom)  # fmt: skip
            self.vms[vm_id] = vm
            if hold:
                vm.state = HOLD
            else:
                self._boot(vm)
            return vm

    def _lease(self, index: int, nic: dict[str, Any]) -> dict[str, Any]:
        net = int(nic.get("NETWORK_ID", 0))
        name, prefix = NETWORKS[net]
        host = next(h for h in range(10, 250) if h not in self.leases[net])
        self.leases[net].add(host)
        mac = f"02:00:{net:02x}:00:00:{host:02x}"
        return {"AR_ID": "0", "BRIDGE": f"br{net}", "IP": f"{prefix}{host}", "MAC": mac,
                "NETWORK": name, "NETWORK_ID": str(net), "NIC_ID": str(index),
                "SECURITY_GROUPS": "0"}  # fmt: skip

    def _boot(self, vm: Vm, first: tuple[int, int] = (PENDING, 0)) -> None:
        self.then(vm, first, (ACTIVE, LCM["PROLOG"]), (ACTIVE, LCM["BOOT"]), (ACTIVE, 3))

    def instantiate(self, template_id: int, name: str, hold: bool, extra: str, user: str) -> Vm:
        """`one.template.instantiate`: the template, the extra template merged over it."""
        template = self.templates.get(template_id)
        if template is None:
            raise OneFailure(
                NO_EXISTS,
                f"[one.template.instantiate] Error getting VM template [{template_id}].",
                template_id,
            )
        body = copy.deepcopy(template["TEMPLATE"])
        body.update(parse_template(extra) if extra.strip() else {})
        body["TEMPLATE_ID"] = str(template_id)
        body.pop("DESCRIPTION", None)
        return self.create("one.template.instantiate", body, name, user, hold)

    def act(self, action: str, vm_id: int) -> None:
        """`one.vm.action`, as DispatchManager does it (or as a misbehaving VM does)."""
        with self.lock:
            vm = self.get(vm_id, "one.vm.action")
            left = vm.refused.get(action, 0)
            if left:
                vm.refused[action] = left - 1 if left > 0 else left
                host = -1 if vm.host is None else vm.host
                raise OneFailure(NO_EXISTS, f"[one.vm.action] Error getting host [{host}].", host)
            if action in vm.ignored:
                return
            handler = getattr(self, "_" + action.replace("-", "_"), None)
            if handler is None:
                raise OneFailure(RPC_API, f"[one.vm.action] Wrong action: {action}.")
            if handler(vm, action.endswith("-hard")) is False:
                raise OneFailure(
                    ACTION,
                    f'[one.vm.action] Error performing action "{action}": Could not '
                    f"{action.split('-', 1)[0]} VM {vm.id}, wrong state {vm.state_name}.",
                    vm.id,
                )

    def _terminate(self, vm: Vm, hard: bool) -> bool:
        running = vm.state == ACTIVE and vm.lcm in (3, LCM["UNKNOWN"])
        if vm.state in (INIT, PENDING, HOLD):
            self.then(vm, (DONE, 0))
        elif vm.state in (POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED):
            self.then(vm, (ACTIVE, LCM["EPILOG"]), (DONE, 0))
        elif running and not hard:
            self.then(vm, (ACTIVE, LCM["SHUTDOWN"]), (ACTIVE, LCM["EPILOG"]), (DONE, 0))
        elif running or (vm.state == ACTIVE and vm.lcm == LCM["SHUTDOWN"] and hard):
            self.then(vm, (ACTIVE, LCM["EPILOG"]), (DONE, 0))
        elif vm.state == ACTIVE and vm.lcm in FAILURES:
            self.then(vm, (ACTIVE, LCM["CLEANUP_DELETE"]), (DONE, 0))
        else:
            return vm.state == DONE
        return True

    _terminate_hard = _terminate

    def _poweroff(self, vm: Vm, hard: bool) -> bool:
        if vm.state != ACTIVE or vm.lcm not in (3, LCM["UNKNOWN"]):
            return False
        self.then(vm, (ACTIVE, LCM["SHUTDOWN_POWEROFF"]), (POWEROFF, 0))
        return True

    _poweroff_hard = _poweroff

    def _suspend(self, vm: Vm, _hard: bool) -> bool:
        """Save a running VM's memory on its host (LCM SAVE_SUSPEND), then SUSPENDED."""
        if vm.state != ACTIVE or vm.lcm != 3:
            return False
        self.then(vm, (ACTIVE, LCM["SAVE_SUSPEND"]), (SUSPENDED, 0))
        return True

    def _resume(self, vm: Vm, _hard: bool) -> bool:
        """Restart a powered-off or UNKNOWN VM, restore a suspended one on its host (not a
        boot: `reboots` stays), redeploy a stopped or undeployed one through PENDING."""
        if vm.state == POWEROFF:
            self.then(vm, (ACTIVE, LCM["BOOT_POWEROFF"]), (ACTIVE, 3))
        elif vm.state == ACTIVE and vm.lcm == LCM["UNKNOWN"]:
            self.then(vm, (ACTIVE, LCM["BOOT_UNKNOWN"]), (ACTIVE, 3))
        elif vm.state == SUSPENDED:
            self.then(vm, (ACTIVE, LCM["BOOT_SUSPENDED"]), (ACTIVE, 3))
        elif vm.state in (STOPPED, UNDEPLOYED):
            self._boot(vm)
        else:
            return False
        return True

    def _reboot(self, vm: Vm, _hard: bool) -> bool:
        if vm.state != ACTIVE or vm.lcm != 3:
            return False
        vm.reboots += 1
        return True

    _reboot_hard = _reboot

    def _hold(self, vm: Vm, _hard: bool) -> bool:
        if vm.state != PENDING:
            return False
        vm.plan.clear()
        self._move(vm, HOLD, 0)
        return True

    def _release(self, vm: Vm, _hard: bool) -> bool:
        if vm.state != HOLD:
            return False
        self._boot(vm)
        return True

    def listing(self, start: int, end: int, state: int, query: str) -> list[Vm]:
        """The pool as `one.vmpool.info*` reads it: state filter, id range or page, search."""
        if not -2 <= state <= 11:
            raise OneFailure(RPC_API, "[one.vmpool.infoextended] Incorrect filter_flag, state")
        with self.lock:
            vms = sorted(self.vms.values(), key=lambda vm: vm.id)
        if state == -1:
            vms = [vm for vm in vms if vm.state != DONE]
        elif state >= 0:
            vms = [vm for vm in vms if vm.state == state]
        vms = [vm for vm in vms if matches(_searchable(vm), query)]
        if end < -1:  # pagination: `start` is the offset, -`end` the page size
            return vms[start : start - end]
        if start != -1:
            vms = [vm for vm in vms if vm.id >= start and (end == -1 or vm.id <= end)]
        return vms

    def set_state(self, vm_id: int, state: int, lcm: int = 0) -> None:
        """Put a VM in any state at once (what a host crash or an operator would do)."""
        with self.lock:
            vm = self.vms[vm_id]
            vm.plan.clear()
            self._move(vm, state, lcm)


def _searchable(vm: Vm) -> dict[str, Any]:
    """What oned's search sees of a VM (its JSON form, as far as the tests need it)."""
    return {"NAME": vm.name, "USER_TEMPLATE": vm.user_template, "TEMPLATE": vm.template}
