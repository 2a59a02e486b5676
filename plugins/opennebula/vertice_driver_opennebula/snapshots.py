"""The `opennebula` driver's snapshots: a VM's disk saved as an image, and VMs launched from it.

**Making one.** `one.vm.disksaveas` (XML-RPC reference: the VM, a disk id, the
new image's name, its type, "" for the source image's, and -1 for the disk's
current state) copies a VM disk into a new image. vertice saves the VM's first
disk that comes from an image (its OS disk; volatile disks and the template's
other disks are not saved). oned copies it while the VM runs (the VM is
HOTPLUG_SAVEAS meanwhile, still running for vertice; a powered-off VM is
HOTPLUG_SAVEAS_POWEROFF) and the image is LOCKED until the copy is done, then
READY (VirtualMachineDiskSaveas, LifeCycleManager::trigger_saveas_success). The
copy of a running VM's disk is not synchronised with the guest (OpenNebula's VM
guide, "disk-saveas"): it is what a power cut would leave. oned refuses other
states (`VM has to be RUNNING, POWEROFF or SUSPENDED to save disks.`, as
INTERNAL): `IncorrectInstanceState`, retried.

disksaveas takes no template, so the image is named `<name>-<installation>`
(names are unique per OpenNebula user, and the installation keeps two of them
apart) and `VERTICE_INSTALLATION`, `VERTICE_SNAPSHOT` (the snapshot's name) and
`VERTICE_TEMPLATE_ID` (the VM template the VM came from) are merged into its
TEMPLATE at once (`one.image.update`, type 1). A call that died between the two
left an image of that name without them: the next call finds it by name, tags
it and returns it, so `snapshot` makes at most one image per name.

**Listing.** One paged `one.imagepool.info` of the images the user sees (the
image pool has no search filter), keeping those carrying this installation's
attributes; `states.IMAGE_STATES` says which can be launched.

**Launching.** `create` with `InstanceSpec.image_id` instantiates the VM
template the snapshot's VM came from (else the one the plan image maps to) with
`DISK = [ IMAGE_ID = <id> ]` in the extra template: oned replaces the
template's DISK vectors with it, so the snapshot is the VM's only disk. oned
counts the VM as a user of the image for as long as the VM exists.

**Deleting.** `one.image.delete`: the image goes to DELETE while the datastore
removes its file, then is gone. oned refuses to delete an image a VM uses (ACTION
`Cannot delete image. There are N VMs using it.`, ImageManager::delete_image:
every VM launched from the snapshot, while it lives) and one still being copied
(INTERNAL `Image locked...`). Such an image is withdrawn instead:
`VERTICE_DELETE_REQUESTED` is merged into its template and it is renamed
`<name>.deleted-<id>` (its name free again); it is never listed nor launched
again, and `snapshots()` and `delete_snapshot` delete it once no VM uses it.

Functions of the driver (`OpenNebulaDriver`), which keeps thin methods for them.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, CloudImage, ImageState
from vertice_core.errors import QuotaExceeded, TerminalError, TransientError
from vertice_driver_opennebula.client import NoSuchObject, call
from vertice_driver_opennebula.paging import read_pages
from vertice_driver_opennebula.states import IMAGE_DELETE, IMAGE_LOCKED, image_state
from vertice_driver_opennebula.translate import (
    DELETE_REQUESTED,
    attribute_of,
    listed,
    tags_of,
    template_xml,
    text_map,
)

if TYPE_CHECKING:
    from vertice_driver_opennebula.driver import OpenNebulaDriver

#: `one.imagepool.info` filter flag: every image the user may see.
ALL_VISIBLE = -2
#: `one.image.update`'s type that merges the attributes given into the TEMPLATE.
MERGE = 1
#: The image attribute naming the VM template the snapshot's VM was instantiated from.
TEMPLATE_ID = "VERTICE_TEMPLATE_ID"
#: What oned answers (INTERNAL) when the VM is in no state to save a disk.
_WRONG_STATE = "to save disks"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def image_name(installation: str, name: str) -> str:
    """The image of snapshot `name`: `<name>-<installation>`, unsafe characters replaced."""
    return _UNSAFE.sub("-", f"{name}-{installation}")[:128]


def images(driver: OpenNebulaDriver) -> list[Any]:
    """Every image the user sees, page by page."""
    return call(
        "one.imagepool.info",
        lambda: read_pages(
            lambda offset, size: list(
                driver.server.imagepool.info(ALL_VISIBLE, offset, -size).IMAGE
            ),
            driver.settings.page_size,
            "image",
        ),
    )


def _tags(image: Any) -> dict[str, str]:
    return tags_of(image.TEMPLATE)


def _is_ours(driver: OpenNebulaDriver, image: Any) -> bool:
    tags = _tags(image)
    return tags.get(TAG_INSTALLATION) == driver.region.installation_id and bool(
        tags.get(TAG_SNAPSHOT)
    )


def _withdrawn(image: Any) -> bool:
    return bool(text_map(image.TEMPLATE).get(DELETE_REQUESTED))


def snapshot_of(image: Any) -> CloudImage:
    """vertice's view of one snapshot image."""
    return CloudImage(
        id=str(image.ID),
        name=_tags(image).get(TAG_SNAPSHOT, ""),
        description=str(image.NAME),
        state=image_state(int(image.STATE)),
    )


def listing(driver: OpenNebulaDriver) -> list[CloudImage]:
    """This installation's snapshots, all states but being deleted; withdrawn images no
    VM uses any more are deleted on the way."""
    found = []
    for image in images(driver):
        if not _is_ours(driver, image):
            continue
        if _withdrawn(image):
            _finish(driver, image)
        elif int(image.STATE) != IMAGE_DELETE:
            found.append(snapshot_of(image))
    return found


def snapshot(driver: OpenNebulaDriver, cloud_id: str, name: str) -> CloudImage:
    """The installation's snapshot `name`: the image there is, or a new one of the VM."""
    installation = driver.region.installation_id
    expected = image_name(installation, name)
    for image in images(driver):
        tags = _tags(image)
        if _withdrawn(image) or int(image.STATE) == IMAGE_DELETE:
            continue
        if tags.get(TAG_INSTALLATION) == installation and tags.get(TAG_SNAPSHOT) == name:
            return snapshot_of(image)
        if str(image.NAME) == expected and not tags.get(TAG_INSTALLATION):
            return _tagged(driver, int(image.ID), name, "")  # a crash's, before its tags
    vm = driver.vm_info(cloud_id)
    if vm is None:
        raise TransientError(
            f"opennebula: snapshot: VM {cloud_id} does not exist", reason="InstanceNotFound"
        )
    body = text_map(vm.TEMPLATE)
    disk_id = next((d.get("DISK_ID") for d in listed(body.get("DISK")) if d.get("IMAGE_ID")), None)
    if disk_id is None:
        raise TerminalError(
            f"opennebula: VM {cloud_id} has no disk made from an image to save",
            reason="NoImageDisk",
        )
    vm_id = int(vm.ID)
    try:
        image_id = call(
            f"one.vm.disksaveas {vm_id}",
            lambda: driver.server.vm.disksaveas(vm_id, int(disk_id), expected, "", -1),
        )
    except NoSuchObject as missing:
        raise TransientError(missing.message, reason="InstanceNotFound") from None
    except QuotaExceeded as refused:
        if "already taken" not in refused.message:
            raise
        # Another call made it meanwhile: the next one finds it by name.
        raise TransientError(refused.message, reason="Conflict") from None
    except TransientError as refused:
        if _WRONG_STATE not in refused.message:
            raise
        raise TransientError(refused.message, reason="IncorrectInstanceState") from None
    return _tagged(driver, int(image_id), name, str(body.get("TEMPLATE_ID", "")))


def _tagged(driver: OpenNebulaDriver, image_id: int, name: str, template_id: str) -> CloudImage:
    """Merge the snapshot's attributes into the image; what `snapshots()` will show of it."""
    attributes = {
        attribute_of(TAG_INSTALLATION): driver.region.installation_id,
        attribute_of(TAG_SNAPSHOT): name,
    }
    if template_id.isdigit():
        attributes[TEMPLATE_ID] = template_id
    marked = template_xml(attributes)
    call(
        f"one.image.update {image_id}",
        lambda: driver.server.image.update(image_id, marked, MERGE),
    )
    return CloudImage(
        id=str(image_id),
        name=name,
        description=image_name(driver.region.installation_id, name),
        state=ImageState.PENDING,
    )


def image_info(driver: OpenNebulaDriver, image_id: str) -> Any | None:
    """The image's document; None when oned does not know it."""
    if not image_id.isdigit():
        raise TerminalError(f"opennebula: {image_id!r} is not an image id", reason="InvalidImageId")
    try:
        return call("one.image.info", lambda: driver.server.image.info(int(image_id)))
    except NoSuchObject:
        return None


def delete(driver: OpenNebulaDriver, image_id: str) -> None:
    """Delete the installation's snapshot image (withdraw it while oned refuses)."""
    image = image_info(driver, image_id)
    if image is None or int(image.STATE) == IMAGE_DELETE:
        return
    if not _is_ours(driver, image):
        raise TerminalError(
            f"opennebula: image {image_id} is not a snapshot of this installation",
            reason="NotOurs",
        )
    if _withdrawn(image):
        _finish(driver, image)
        return
    try:
        _delete(driver, int(image.ID))
    except TransientError as refused:
        if refused.reason != "IncorrectInstanceState" and "Image locked" not in refused.message:
            raise
        _withdraw(driver, image)


def _delete(driver: OpenNebulaDriver, image_id: int) -> None:
    try:
        call(f"one.image.delete {image_id}", lambda: driver.server.image.delete(image_id, False))
    except NoSuchObject:
        return  # deleted meanwhile


def _withdraw(driver: OpenNebulaDriver, image: Any) -> None:
    """Mark an image oned will not delete yet (and free its name): see the module."""
    image_id = int(image.ID)
    marker = template_xml({DELETE_REQUESTED: f"{time.time():.3f}"})
    call(
        f"one.image.update {image_id}",
        lambda: driver.server.image.update(image_id, marker, MERGE),
    )
    renamed = f"{str(image.NAME)[:100]}.deleted-{image_id}"
    call(f"one.image.rename {image_id}", lambda: driver.server.image.rename(image_id, renamed))


def _finish(driver: OpenNebulaDriver, image: Any) -> None:
    """Delete a withdrawn image once no VM uses it and it is not being copied; oned
    refusing still (a VM launched meanwhile) leaves it for a later listing."""
    if int(image.RUNNING_VMS) > 0 or int(image.STATE) in IMAGE_LOCKED | {IMAGE_DELETE}:
        return
    try:
        _delete(driver, int(image.ID))
    except TransientError:
        return


def launchable(driver: OpenNebulaDriver, image_id: str) -> int | None:
    """The VM template to launch snapshot `image_id` with (None: the plan image's).
    TerminalError `ImageNotFound` for an image that is gone or withdrawn, `ImageFailed`
    for one oned failed to make or disabled."""
    image = image_info(driver, image_id)
    if image is None or _withdrawn(image) or int(image.STATE) == IMAGE_DELETE:
        raise TerminalError(
            f"opennebula: image {image_id} does not exist (any more)", reason="ImageNotFound"
        )
    if image_state(int(image.STATE)) is ImageState.ERROR:
        raise TerminalError(
            f"opennebula: image {image_id} cannot be launched (its state is {image.STATE})",
            reason="ImageFailed",
        )
    template_id = str(text_map(image.TEMPLATE).get(TEMPLATE_ID) or "")
    return int(template_id) if template_id.isdigit() else None
