"""Adoption on Azure: VMs made by hand become an installation's by their tags.

A VM is unmanaged while it carries no `vertice-installation` tag (or an empty one).
Resource Manager cannot filter a listing on a tag, let alone on its absence, so
`listing` reads the resource group's VMs with `observe`'s listings (the group's
paged `virtualMachines.list`, then the status-only and network listings) and keeps
those on this side that are not being deleted.

`adopt` merges the installation's tags into the VM's with one
`PATCH .../virtualMachines/{name}` whose body is `{"tags": {...}}`, the VM's own
tags included (the PATCH sets the whole tag set). A change of tags changes nothing
else: the VM is neither restarted nor redeployed, its size, disks and addresses
stay. The PATCH carries `If-Match` with the ETag the VM was read with (VMs have one
from api-version 2024-03-01: "returned in Create/Update/Get response of the VM, so
that customer can supply it in the header to ensure optimistic updates"), and ARM
refuses it (412) when the VM changed since: it is then read and decided again
(another installation's tags now refuse it) and written once more; a second 412 is
transient, the loop comes back. So, as on GCE, two installations adopting one VM at
the same moment cannot both win, and tags set behind vertice's back are not
overwritten blindly. An endpoint whose VMs show no ETag (an older Resource Manager)
gets an unconditional PATCH, and the VM is read again afterwards: the installation
whose tags did not stay is refused then, as on EC2 (which narrows the window, not
closes it).

Tag names are case-insensitive in ARM: a VM's own tag spelt like one of vertice's in
another case is replaced by vertice's, never sent beside it. Azure allows 50 tags a
resource, names of 512 characters and values of 256: tags that would not fit are
refused (`InvalidTags`) before anything is written.

Functions of the driver (`AzureDriver`); its verbs call them holding a call slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute.models import VirtualMachineUpdate

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_driver_azure.client import call_unless_absent
from vertice_driver_azure.translate import instance_of, plain, tags_of
from vertice_drivers.adopting import check_tags, refuse_managed

if TYPE_CHECKING:
    from vertice_driver_azure.driver import AzureDriver

#: PATCHes sent at most per `adopt`: the first, and one after a 412 and a fresh read.
_WRITES = 2
#: Azure's limits on a resource's tags.
MAX_TAGS, MAX_NAME, MAX_VALUE = 50, 512, 256
UPDATE = "virtualMachines.update"


def is_unmanaged(item: Instance) -> bool:
    """Whether an observed VM belongs to no installation."""
    return not item.tags.get(TAG_INSTALLATION)


def listing(driver: AzureDriver) -> list[Instance]:
    """The resource group's live VMs of no installation, `key` '' (a VM left by vertice
    1.5 may carry a `vertice-key` of its own: it is not this installation's key)."""
    return [
        attrs.evolve(i, key="")
        for i in driver.listed(is_unmanaged)
        if i.state is not InstanceState.TERMINATED
    ]


def adopt(driver: AzureDriver, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the live VM `cloud_id` the installation's by merging `tags` into its tags; see
    the module. A VM with these tags already is returned after one look."""
    installation = driver.region.installation_id
    check_tags("azure", installation, tags)
    wanted = fitting(tags)
    for _ in range(_WRITES):
        vm = _live(driver, cloud_id)
        found = _seen(vm)
        refuse_managed(f"azure: VM {cloud_id}", found.tags, installation, wanted)
        if all(found.tags.get(name) == value for name, value in wanted.items()):
            return found
        etag = str(vm.get("etag") or "")
        written = _patch(driver, cloud_id, merged(found.tags, wanted), etag)
        if written is None:  # 412: the VM changed since it was read; decide again
            continue
        if etag:  # conditional: nobody changed the VM between our read and our write
            kept = tags_of(written) if written.get("tags") else merged(found.tags, wanted)
            return attrs.evolve(found, key=wanted[TAG_KEY], tags=kept)
        # No ETag to write on: read again; another installation's tags that stayed mean
        # it adopted the VM at the same moment.
        again = _seen(_live(driver, cloud_id))
        refuse_managed(f"azure: VM {cloud_id}", again.tags, installation, wanted)
        return attrs.evolve(again, key=wanted[TAG_KEY], tags={**again.tags, **wanted})
    raise TransientError(
        f"azure: VM {cloud_id}: it changed while adopting it, twice", reason="TagsChanging"
    )


def fitting(tags: Mapping[str, str]) -> dict[str, str]:
    """`tags` as a dict, unless a name or value exceeds Azure's limits (InvalidTags)."""
    for name, value in tags.items():
        if not name or len(name) > MAX_NAME or len(value) > MAX_VALUE:
            raise TerminalError(
                f"azure: tag {name[:40]!r} does not fit Azure's limits (names of 1 to "
                f"{MAX_NAME} characters, values of up to {MAX_VALUE})",
                reason="InvalidTags",
            )
    return dict(tags)


def merged(own: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The VM's own tags with `wanted` over them, names compared without case (ARM's
    tag names are case-insensitive); InvalidTags beyond Azure's 50 tags."""
    names = {name.lower() for name in wanted}
    tags = {name: value for name, value in own.items() if name.lower() not in names}
    tags.update(wanted)
    if len(tags) > MAX_TAGS:
        raise TerminalError(
            f"azure: adopting would give the VM {len(tags)} tags; Azure allows {MAX_TAGS}",
            reason="InvalidTags",
        )
    return tags


def _live(driver: AzureDriver, cloud_id: str) -> dict[str, Any]:
    """The VM document of `cloud_id` with its instance view; TerminalError NotFound when
    ARM has no such VM, or it is being deleted."""
    vm = driver.get(cloud_id)
    if vm is None or _seen(vm).state is InstanceState.TERMINATED:
        raise _not_found(cloud_id)
    return vm


def _seen(vm: Mapping[str, Any]) -> Instance:
    """A VM document (with its instance view) as `observe` would list it, less addresses."""
    view = (vm.get("properties") or {}).get("instanceView") or {}
    return instance_of(vm, view.get("statuses"))


def _patch(
    driver: AzureDriver, cloud_id: str, tags: dict[str, str], etag: str
) -> dict[str, Any] | None:
    """PATCH the VM's whole tag set, on `etag` when it has one: the VM document ARM
    answers with, or None when ARM refused the ETag (412). Its operation is not
    waited on (a change of tags needs none); a VM gone since it was read is NotFound."""
    condition: dict[str, Any] = {}
    if etag:
        condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
    reply: list[dict[str, Any] | None] = []

    def send() -> None:
        try:
            poller = driver.vms.begin_update(
                driver.resource_group,
                cloud_id,
                VirtualMachineUpdate(tags=tags),
                polling=False,
                **condition,
            )
        except HttpResponseError as exc:
            if exc.status_code != 412:
                raise
            reply.append(None)
            return
        reply.append(plain(poller.result()))

    if not call_unless_absent(UPDATE, send):
        raise _not_found(cloud_id)
    return reply[0]


def _not_found(cloud_id: str) -> TerminalError:
    return TerminalError(f"azure: VM {cloud_id} does not exist (any more)", reason="NotFound")
