"""Adoption on OpenNebula: VMs made by hand become an installation's by their attributes.

OpenNebula has no tags: vertice's travel as `VERTICE_*` attributes of the VM's
USER_TEMPLATE (see `translate`). A VM is unmanaged while it has no (or an empty)
`VERTICE_INSTALLATION`. `listing` reads the pool as `observe` does
(`one.vmpool.infoextended`, paged, DONE VMs left out) but without the search
filter, since the VMs it wants are those the filter would leave out; the other
plain attributes of their USER_TEMPLATE are their own tags (`OWNER` -> `owner`).

`adopt` writes the installation's tags with `one.vm.update` in merge mode
(type 1, "append" in OpenNebula's XML-RPC reference: the attributes given are
added or replaced, every other one stays), which touches the USER_TEMPLATE
only: the VM is neither rebooted nor moved to another state, and an operator's
`OWNER` stays. oned cannot update on a condition, so two installations adopting
one VM at the same moment may both write; the VM is read again afterwards and
the installation whose attributes did not stay is refused (which narrows the
window, not closes it).

Functions of the driver (`OpenNebulaDriver`), which keeps thin methods for them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_opennebula.client import NoSuchObject, call
from vertice_driver_opennebula.translate import (
    attribute_of,
    instance_of,
    tag_of,
    tags_of,
    text_map,
)
from vertice_drivers.adopting import check_tags, refuse_managed

if TYPE_CHECKING:
    from vertice_driver_opennebula.driver import OpenNebulaDriver

#: `one.vm.update`'s type that merges the attributes given into the USER_TEMPLATE.
MERGE = 1


def is_unmanaged(vm: Any) -> bool:
    """Whether a VM belongs to no installation (no `VERTICE_INSTALLATION` value)."""
    return not tags_of(vm.USER_TEMPLATE).get(TAG_INSTALLATION)


def own_tags(vm: Any) -> dict[str, str]:
    """The VM's plain USER_TEMPLATE attributes as tags (`OWNER` -> `owner`); vectors
    (`NAME = [ ... ]`) are not tags and are left out."""
    return {
        tag_of(name): value
        for name, value in text_map(vm.USER_TEMPLATE).items()
        if isinstance(value, str)
    }


def listing(driver: OpenNebulaDriver) -> list[Instance]:
    """The live VMs of no installation the user sees, `key` '', from one paged listing of
    the whole pool (no search filter: it would match installations, not their absence)."""
    return [
        attrs.evolve(instance_of(vm, driver.settings), key="", tags=own_tags(vm))
        for vm in driver.vms("")
        if is_unmanaged(vm)
    ]


def adopt(driver: OpenNebulaDriver, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the live VM `cloud_id` the installation's by merging `tags` into its
    USER_TEMPLATE; see the module. A VM that carries these tags already is returned
    after one look."""
    installation = driver.region.installation_id
    check_tags("opennebula", installation, tags)
    vm = _owned_by(installation, _live(driver, cloud_id), tags)
    if all(tags_of(vm.USER_TEMPLATE).get(tag) == value for tag, value in tags.items()):
        return _observed(driver, vm)
    vm_id, attributes = int(vm.ID), attributes_xml(tags)
    try:
        call(
            f"one.vm.update {vm_id}",
            lambda: driver.server.vm.update(vm_id, attributes, MERGE),
        )
    except NoSuchObject:
        raise _not_found(cloud_id) from None
    # Read again: another installation's attributes that stayed mean it adopted the VM
    # at the same moment.
    return _observed(driver, _owned_by(installation, _live(driver, cloud_id), tags))


def attributes_xml(tags: Mapping[str, str]) -> str:
    """The template `one.vm.update` merges: one attribute a tag, as XML (oned reads a
    template as XML or as `NAME = "value"` text; XML needs no quoting rules)."""
    root = ET.Element("TEMPLATE")
    for tag, value in sorted(tags.items()):
        ET.SubElement(root, attribute_of(tag)).text = value
    return ET.tostring(root, encoding="unicode")


def _live(driver: OpenNebulaDriver, cloud_id: str) -> Any:
    """The VM's document; TerminalError NotFound when oned does not know it or shows it DONE."""
    vm = driver.vm_info(cloud_id)
    if vm is None:
        raise _not_found(cloud_id)
    return vm


def _not_found(cloud_id: str) -> TerminalError:
    return TerminalError(f"opennebula: VM {cloud_id} does not exist (any more)", reason="NotFound")


def _owned_by(installation: str, vm: Any, tags: Mapping[str, str]) -> Any:
    """`vm`, unless an installation manages it with other attributes than `tags`: another
    installation, or this one under another key (TerminalError ManagedElsewhere)."""
    refuse_managed(f"opennebula: VM {vm.ID}", tags_of(vm.USER_TEMPLATE), installation, tags)
    return vm


def _observed(driver: OpenNebulaDriver, vm: Any) -> Instance:
    """The adopted VM as `observe` lists it."""
    carried = tags_of(vm.USER_TEMPLATE)
    if carried.get(TAG_INSTALLATION) != driver.region.installation_id or not carried.get(TAG_KEY):
        # Its attributes changed under us (removed by hand): look again later.
        raise TransientError(
            f"opennebula: VM {vm.ID} lost the installation's attributes", reason="Conflict"
        )
    return instance_of(vm, driver.settings)
