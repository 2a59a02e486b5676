"""The `opennebula` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images
(and the day-2 ones: hard reboot, hard stop and suspend here, unmanaged and adopt in
`vertice_driver_opennebula.adoption`, resize in `vertice_driver_opennebula.day2`,
snapshots in `vertice_driver_opennebula.snapshots`).

One pyone server per region. Every VM vertice launches carries the
installation's id, the assembly's id and the instance's key as USER_TEMPLATE
attributes; `observe` lists them with one paged `one.vmpool.infoextended`
(narrowed by oned's search filter where its backend can search) and checks
the attributes itself. OpenNebula has no idempotency token, so `create` looks
for a live VM with the key before instantiating.

Deleting is level-based, because oned may acknowledge a `terminate` and leave
the VM running (the ghost VMs this project started from): `delete` reads the
VM and acts on what it shows. It records its first `terminate` on the VM
(`VERTICE_TERMINATE_REQUESTED`), escalates to `terminate-hard` once
`hard_terminate_after` seconds have passed, and counts a delete as done only
when oned shows the VM DONE or no longer knows it. A NO_EXISTS answer to an
action is not enough: oned answers `Error getting host` with that code for a
VM whose host is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from vertice_core.driver import (
    TAG_INSTALLATION,
    TAG_KEY,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    InstanceState,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import QuotaExceeded, TerminalError, TransientError
from vertice_driver_opennebula import OpenNebulaSettings, adoption, day2, snapshots
from vertice_driver_opennebula.client import (
    NoSuchObject,
    SearchUnsupported,
    busy,
    call,
    make_server,
)
from vertice_driver_opennebula.paging import read_pages
from vertice_driver_opennebula.states import (
    DONE,
    escalates,
    hard_reboot_action,
    hard_stop_action,
    start_action,
    stop_action,
    suspend_action,
    terminate_action,
)
from vertice_driver_opennebula.translate import (
    TERMINATE_REQUESTED,
    attribute_of,
    instance_of,
    instantiate_template,
    launch_context,
    tags_of,
    template_for,
    terminate_requested_at,
    text_map,
    vm_name,
)

#: `one.vmpool.infoextended` filter flag: every VM the user may see.
ALL_VISIBLE = -2
#: `one.vmpool.infoextended` state filter: any state but DONE.
NOT_DONE = -1


class OpenNebulaDriver(Driver):
    """The `opennebula` driver: VMs instantiated from templates through pyone."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: OpenNebulaSettings = region.settings
        self.server = make_server(region)
        #: Switched off for good when oned says its backend cannot search.
        self.search = self.settings.search_filter

    def _ours(self, vm: Any) -> bool:
        # Checked here whatever the filter did: oned's search matches words, not values.
        tags = tags_of(vm.USER_TEMPLATE)
        return bool(tags.get(TAG_KEY)) and tags.get(TAG_INSTALLATION) == (
            self.region.installation_id
        )

    def _search_for(self, **tags: str) -> str:
        return "&".join(f"VM.USER_TEMPLATE.{attribute_of(t)}={v}" for t, v in tags.items())

    def vms(self, query: str) -> list[Any]:
        """Every VM but DONE ones that oned lists, in pages, narrowed by `query` if it can."""
        if self.search and query:
            try:
                return call("one.vmpool.infoextended", lambda: self._pages(query))
            except SearchUnsupported:
                self.search = False
        return call("one.vmpool.infoextended", lambda: self._pages(""))

    def _pages(self, query: str) -> list[Any]:
        """The VM pool (narrowed by `query`), page by page (`paging.read_pages`)."""
        return read_pages(
            lambda offset, size: list(
                self.server.vmpool.infoextended(ALL_VISIBLE, offset, -size, NOT_DONE, query).VM
            ),
            self.settings.page_size,
            "VM",
        )

    def observe(self) -> list[Instance]:
        """Every VM of this installation in the cloud, all states but DONE, in pages."""
        query = self._search_for(**{TAG_INSTALLATION: self.region.installation_id})
        return [instance_of(vm, self.settings) for vm in self.vms(query) if self._ours(vm)]

    def live_by_key(self, key: str) -> Instance | None:
        """The oldest VM carrying `key` that is not DONE (None when there is none)."""
        query = self._search_for(**{TAG_INSTALLATION: self.region.installation_id, TAG_KEY: key})
        found = [
            instance_of(vm, self.settings)
            for vm in sorted(self.vms(query), key=lambda vm: int(vm.ID))
            if self._ours(vm)
        ]
        live = [i for i in found if i.key == key and i.state is not InstanceState.TERMINATED]
        return live[0] if live else None

    def create(self, spec: InstanceSpec) -> Instance:
        """Instantiate the VM of `spec.key`, or return the live one that has the key (looked
        up only when an earlier attempt may have created it: `spec.maybe_created`). With
        `spec.image_id`, the snapshot is the VM's disk (see `snapshots`)."""
        existing = self.live_by_key(spec.key) if spec.maybe_created else None
        if existing is not None:
            return existing
        recorded = snapshots.launchable(self, spec.image_id) if spec.image_id else None
        template_id = template_for(spec, self.settings) if recorded is None else recorded
        extra = instantiate_template(spec, self.settings)
        name = vm_name(spec)
        try:
            vm_id = call(
                "one.template.instantiate",
                lambda: self.server.template.instantiate(template_id, name, False, extra, False),
            )
        except NoSuchObject as missing:
            raise TerminalError(
                f"{missing.message} (the template of image {spec.image!r})",
                reason="TemplateNotFound",
            ) from None
        except QuotaExceeded as refused:
            if not spec.image_id or "Image with ID" not in refused.message:
                raise
            # oned's allocation found the snapshot gone (it answers ALLOCATE).
            raise TerminalError(refused.message, reason="ImageNotFound") from None
        return Instance(
            key=spec.key,
            cloud_id=str(vm_id),
            state=InstanceState.PENDING,
            tags=dict(spec.tags),
            created_at=datetime.now(UTC),
        )

    def vm_info(self, cloud_id: str) -> Any | None:
        """The VM's document; None when oned does not know it or shows it DONE."""
        vm_id = _vm_id(cloud_id)
        try:
            vm = call("one.vm.info", lambda: self.server.vm.info(vm_id))
        except NoSuchObject:
            return None
        return None if int(vm.STATE) == DONE else vm

    def _act(self, action: str, vm_id: int) -> None:
        call(f"one.vm.action {action} {vm_id}", lambda: self.server.vm.action(action, vm_id))

    def delete(self, cloud_id: str) -> None:
        """Terminate the VM, escalating to terminate-hard; done only when it is gone."""
        vm = self.vm_info(cloud_id)
        if vm is None:
            return
        vm_id, state, lcm = int(vm.ID), int(vm.STATE), int(vm.LCM_STATE)
        requested, now = terminate_requested_at(vm), time.time()
        try:
            action = terminate_action(
                state, lcm, requested, now, self.settings.hard_terminate_after
            )
        except ValueError as refused_in:
            raise busy(vm_id, "terminate", refused_in) from None
        if requested is None and escalates(state, lcm):
            # The escalation's clock lives on the VM, so it survives restarts of vertice.
            marker = f'{TERMINATE_REQUESTED}="{now:.3f}"'
            call("one.vm.update", lambda: self.server.vm.update(vm_id, marker, 1))
        if action is None:
            return
        try:
            self._act(action, vm_id)
        except NoSuchObject as refused:
            if self.vm_info(cloud_id) is None:
                return
            reason = "HostUnavailable" if "host" in refused.message.lower() else "DeleteRefused"
            raise TransientError(
                f"{refused.message}; VM {vm_id} is still there", reason=reason
            ) from None

    def _verb(self, cloud_id: str, verb: str, decide: Callable[[int, int], str | None]) -> None:
        vm = self.vm_info(cloud_id)
        if vm is None:
            raise TransientError(
                f"opennebula: {verb}: VM {cloud_id} does not exist", reason="InstanceNotFound"
            )
        try:
            action = decide(int(vm.STATE), int(vm.LCM_STATE))
        except ValueError as refused_in:
            raise busy(int(vm.ID), verb, refused_in) from None
        if action is not None:
            self._act(action, int(vm.ID))

    def start(self, cloud_id: str) -> None:
        """Resume a powered-off, stopped or suspended VM (a suspended one where it was,
        without a boot), release a held one."""
        self._verb(cloud_id, "start", start_action)

    def stop(self, cloud_id: str) -> None:
        """Power off a running VM (its disks stay), hold one still waiting for a host."""
        self._verb(cloud_id, "stop", stop_action)

    def reboot(self, cloud_id: str) -> None:
        """Reboot the VM in place (ACPI; same id, disks and addresses)."""
        self._act("reboot", _vm_id(cloud_id))

    def hard_reboot(self, cloud_id: str) -> None:
        """Power-cycle a running VM (`reboot-hard`); a powered-off one is left alone."""
        self._verb(cloud_id, "hard_reboot", hard_reboot_action)

    def hard_stop(self, cloud_id: str) -> None:
        """Power a running VM off without ACPI (`poweroff-hard`); hold one still waiting
        for a host."""
        self._verb(cloud_id, "hard_stop", hard_stop_action)

    def suspend(self, cloud_id: str) -> None:
        """Suspend a running VM (`suspend`: its memory is saved on its host, for `start`
        to `resume` it without a boot); one that runs nothing is left alone, one still
        waiting for a host is held."""
        self._verb(cloud_id, "suspend", suspend_action)

    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Give the VM the flavor's CPU, VCPU and MEMORY: a running one is powered off,
        resized (`one.vm.resize`) and resumed, a stopped one resized (see `day2`)."""
        day2.resize(self, cloud_id, size)

    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        """Save the VM's first image disk as a new image (`one.vm.disksaveas`), tagged with
        the installation and `name`; the image there is when one has that name already."""
        return snapshots.snapshot(self, cloud_id, name)

    def snapshots(self) -> list[CloudImage]:
        """The installation's snapshot images, all states (one paged `one.imagepool.info`)."""
        return snapshots.listing(self)

    def delete_snapshot(self, image_id: str) -> None:
        """Delete the installation's snapshot image (`one.image.delete`); one a VM still
        uses is withdrawn and deleted once none does (see `snapshots`)."""
        snapshots.delete(self, image_id)

    def unmanaged(self) -> list[Instance]:
        """The live VMs the user sees that carry no installation's attributes (one
        unfiltered paged listing of the pool)."""
        return adoption.listing(self)

    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Merge `tags` into the VM's USER_TEMPLATE (`one.vm.update`, type 1: no reboot,
        no state change; its own attributes stay)."""
        return adoption.adopt(self, cloud_id, tags)

    def templates(self) -> list[Any]:
        """The VM templates the user may see (one `one.templatepool.info`)."""
        pool = call(
            "one.templatepool.info",
            lambda: self.server.templatepool.info(ALL_VISIBLE, -1, -1),
        )
        return list(pool.VMTEMPLATE)

    def flavors(self) -> list[CloudFlavor]:
        """The sizes of the VM templates (OpenNebula's sizes are free; templates suggest some)."""
        flavors = []
        for template in self.templates():
            body = text_map(template.TEMPLATE)
            ram = _number(body.get("MEMORY"))
            cpu = _number(body.get("VCPU")) or _number(body.get("CPU"))
            if ram >= 1:
                flavors.append(CloudFlavor(str(template.NAME), max(1, round(cpu)), round(ram)))
        return sorted(flavors, key=lambda f: (f.cpu, f.ram, f.name))

    def images(self) -> list[CloudImage]:
        """The VM templates, each named by the plan image mapped to it (else its own name)."""
        plan_image = {tid: name for name, tid in sorted(self.settings.templates.items())}
        images = []
        for template in self.templates():
            own = str(template.NAME)
            description = str(text_map(template.TEMPLATE).get("DESCRIPTION") or own)
            name = plan_image.get(int(template.ID), own)
            images.append(CloudImage(id=str(template.ID), name=name, description=description))
        return sorted(images, key=lambda i: (i.name not in self.settings.templates, i.name))

    def launch_data(self, cloud_id: str) -> str:
        """What the VM received in its CONTEXT, decoded (tests read it back)."""
        vm = self.vm_info(cloud_id)
        return "" if vm is None else launch_context(vm)

    def close(self) -> None:
        """Close the HTTP connections to oned."""
        self.server.close()


def _vm_id(cloud_id: str) -> int:
    if not cloud_id.isdigit():
        raise TerminalError(f"opennebula: {cloud_id!r} is not a VM id", reason="InvalidInstanceId")
    return int(cloud_id)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
