"""Day-2 verbs on Compute Engine: `resize` (setMachineType) and snapshots (custom images).

**Resize.** Compute Engine changes the machine type of a stopped (TERMINATED)
instance only (`instances.setMachineType`; on any other status the call's
operation fails with RESOURCE_NOT_READY). A running instance is first labelled
`vertice-resize-restart` (`instances.setLabels` on its label fingerprint), then
stopped, changed and started again; the label goes once it was started. A stopped
(or suspended) instance is changed and stays stopped; a suspended one is stopped
first, which discards its saved memory. Before it stops an instance, `resize`
checks that the zone offers the machine type (`machineTypes.get`), so a flavor
mapped to a type the zone lacks fails (MachineTypeNotFound, terminal) and leaves
the instance running. `resize` waits at most `resize_wait` seconds, all told, for
the instance to stop and for the setMachineType operation to be DONE
(`zoneOperations.get`), and answers `ResizeInProgress` (transient) when that is
not enough: the next call carries on from what GCE shows, and the label says
whether to start the instance again, so a call cut short by a timeout or a crash
is finished by the next one. The instance keeps its name, disks and internal
address; an ephemeral external address may change, as with every stop.

**Snapshots.** A snapshot is a custom image of the instance's boot disk
(`images.insert` with `sourceDisk`, and `forceCreate`, which the API requires
for a disk attached to a running instance: the image is crash-consistent, as a
disk copied while it runs is). It is named after the installation and the
snapshot's name (`image_name`), which makes it idempotent by name on GCE's side:
a second insert meets 409 alreadyExists, and the image of that name is returned
when its labels say it is this installation's snapshot of that name. It carries
the labels `vertice-installation` and `vertice-snapshot` (encoded as `create`
encodes tag values; the exact name also ends its description), and its id is its
partial URL `projects/P/global/images/N`, what `create` takes as the boot disk's
`sourceImage`. GCE's image status PENDING, READY, FAILED is pending, available,
error; an image being deleted (DELETING) is not listed.

Functions of the driver (its clients, project, zone, settings); the driver's verbs
call them holding a call slot.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from google.cloud import compute_v1

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, CloudImage, ImageState, SizeSpec
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_gce.adoption import set_labels
from vertice_driver_gce.client import AlreadyExists, call, call_unless_absent, operation_error
from vertice_driver_gce.images import image_named, image_path
from vertice_driver_gce.translate import label_value, machine_type_of, tag_value

if TYPE_CHECKING:
    from vertice_driver_gce.driver import GceDriver

#: The label of an instance `resize` stopped, which it starts again once its type is set.
RESTART_LABEL = "vertice-resize-restart"
#: Statuses of an instance that runs or is on its way to: a resize starts it again after.
_RUNNING = frozenset({"PROVISIONING", "STAGING", "RUNNING", "REPAIRING"})
#: Statuses of an instance GCE is stopping already: `resize` sends no stop, it waits.
_STOPPING = frozenset({"STOPPING", "PENDING_STOP"})
#: GCE's image statuses onto vertice's (DELETING images are left out of listings).
IMAGE_STATES = {
    "PENDING": ImageState.PENDING,
    "READY": ImageState.AVAILABLE,
    "FAILED": ImageState.ERROR,
}
#: A valid image name (RFC 1035, at most 63 characters).
_IMAGE_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
#: The description of a snapshot's image, which carries its exact name.
_DESCRIPTION = re.compile(r"vertice snapshot (?P<name>.+) of (?P<instance>[-a-z0-9]+)")

# -- resize --


def resize(driver: GceDriver, cloud_id: str, size: SizeSpec) -> None:
    """Give the instance the machine type of `size`; see the module."""
    wanted = machine_type_of(size, driver.settings)
    deadline = time.monotonic() + driver.settings.resize_wait
    item = _read(driver, cloud_id)
    status = item.status
    restart = RESTART_LABEL in item.labels
    change = item.machine_type.rsplit("/", 1)[-1] != wanted
    if change:
        if status != "TERMINATED":
            _offered(driver, wanted)  # before stopping it for a type the zone does not have
            if status in _RUNNING and not restart:
                _label(driver, cloud_id, item, restart=True)
                restart = True
            if status not in _STOPPING:
                driver.act("instances.stop", driver.instances.stop_unary, cloud_id)
            _wait_stopped(driver, cloud_id, deadline)
        _set_machine_type(driver, cloud_id, wanted, deadline)
    if not restart:
        return
    if change or status == "TERMINATED":
        driver.act("instances.start", driver.instances.start_unary, cloud_id)
    _label(driver, cloud_id, None, restart=False)


def _read(driver: GceDriver, cloud_id: str) -> compute_v1.Instance:
    item = driver.get(cloud_id)
    if item is None:
        raise TransientError(
            f"gce: instance {cloud_id!r} does not exist (any more)", reason="InstanceNotFound"
        )
    return item


def _offered(driver: GceDriver, machine_type: str) -> None:
    """Raise MachineTypeNotFound (terminal) unless the zone offers the machine type."""
    request = compute_v1.GetMachineTypeRequest(
        project=driver.project, zone=driver.zone, machine_type=machine_type
    )
    call(
        "machineTypes.get",
        lambda: driver.machine_types.get(request=request, timeout=driver.timeout, retry=None),
        not_found="MachineTypeNotFound",
    )


def _label(
    driver: GceDriver, cloud_id: str, item: compute_v1.Instance | None, *, restart: bool
) -> None:
    """Put the restart label on the instance, or take it off (`item`: the instance as just
    read, else it is read); once more after a 412, then LabelsChanging (transient)."""
    for _ in range(2):
        if item is None:
            item = _read(driver, cloud_id)
        labels = {k: v for k, v in item.labels.items() if k != RESTART_LABEL}
        if restart:
            labels[RESTART_LABEL] = "running"
        if labels == dict(item.labels) or set_labels(driver.zone_calls(), item, labels):
            return
        item = None
    raise TransientError(
        f"gce: instance {cloud_id}: its labels changed while resizing it, twice",
        reason="LabelsChanging",
    )


def _wait_stopped(driver: GceDriver, cloud_id: str, deadline: float) -> None:
    _wait(
        deadline,
        lambda: _read(driver, cloud_id).status == "TERMINATED",
        f"gce: instance {cloud_id} is still stopping to be resized; the next call carries on",
    )


def _set_machine_type(driver: GceDriver, cloud_id: str, machine_type: str, deadline: float) -> None:
    """Send setMachineType and wait for its operation to be DONE; its error is raised."""
    request = compute_v1.SetMachineTypeInstanceRequest(
        project=driver.project,
        zone=driver.zone,
        instance=cloud_id,
        instances_set_machine_type_request_resource=compute_v1.InstancesSetMachineTypeRequest(
            machine_type=f"zones/{driver.zone}/machineTypes/{machine_type}"
        ),
    )
    operations = [
        call(
            "instances.setMachineType",
            lambda: driver.instances.set_machine_type_unary(
                request=request, timeout=driver.timeout, retry=None
            ),
        )
    ]

    def done() -> bool:
        if operations[-1].status != compute_v1.Operation.Status.DONE:
            poll = compute_v1.GetZoneOperationRequest(
                project=driver.project, zone=driver.zone, operation=operations[-1].name
            )
            operations.append(
                call(
                    "zoneOperations.get",
                    lambda: driver.clients.zone_operations.get(
                        request=poll, timeout=driver.timeout, retry=None
                    ),
                )
            )
        return operations[-1].status == compute_v1.Operation.Status.DONE

    if operations[0].status != compute_v1.Operation.Status.DONE:
        _wait(
            deadline,
            done,
            f"gce: instance {cloud_id}: its machine type is still being set; the next call "
            "carries on",
        )
    error = operation_error(operations[-1], "instances.setMachineType")
    if error is not None:
        raise error


def _wait(deadline: float, ready: Callable[[], bool], still: str) -> None:
    """Until `ready()`, looking again with a growing pause; ResizeInProgress at `deadline`."""
    pause = 0.2
    while not ready():
        if time.monotonic() >= deadline:
            raise TransientError(still, reason="ResizeInProgress")
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 5.0)


# -- snapshots --


def image_name(installation: str, name: str) -> str:
    """The image name of the installation's snapshot `name` (readable when GCE accepts it,
    else a digest): unique in the project, so a second insert of it is refused."""
    wanted = f"vertice-{installation}-{name}"
    if _IMAGE_NAME.fullmatch(wanted):
        return wanted
    return f"vertice-{hashlib.sha256(f'{installation}/{name}'.encode()).hexdigest()[:40]}"


def image_of(item: compute_v1.Image, installation: str) -> CloudImage | None:
    """vertice's view of an image `snapshot` made for `installation` (None for any other)."""
    labels = dict(item.labels)
    label = labels.get(TAG_SNAPSHOT, "")
    if labels.get(TAG_INSTALLATION) != label_value(installation) or not label:
        return None
    described = _DESCRIPTION.fullmatch(item.description)
    return CloudImage(
        id=image_path(item),
        name=tag_value(label, described["name"] if described else None),
        description=item.description,
        # A status GCE may add later: look again, as for PENDING.
        state=IMAGE_STATES.get(item.status, ImageState.PENDING),
    )


def snapshot(driver: GceDriver, cloud_id: str, name: str) -> CloudImage:
    """The installation's snapshot `name` of the instance: a new image of its boot disk, or
    the one made already."""
    installation = driver.region.installation_id
    label = image_name(installation, name)
    item = driver.get(cloud_id)
    if item is None:  # gone: the image may have been made before it went
        made = _made(driver, label, name)
        if made is None:
            raise TerminalError(
                f"gce: instance {cloud_id} does not exist (any more)", reason="InstanceNotFound"
            )
        return made
    disk = next((d.source for d in item.disks if d.boot), "")
    if not disk:
        raise TerminalError(f"gce: instance {cloud_id} has no boot disk", reason="NoBootDisk")
    description = f"vertice snapshot {name} of {cloud_id}"
    image = compute_v1.Image(
        name=label,
        description=description,
        source_disk=disk,
        labels={TAG_INSTALLATION: label_value(installation), TAG_SNAPSHOT: label_value(name)},
    )
    request = compute_v1.InsertImageRequest(
        project=driver.project, image_resource=image, force_create=True
    )
    try:
        operation = call(
            "images.insert",
            lambda: driver.images_client.insert_unary(
                request=request, timeout=driver.timeout, retry=None
            ),
            not_found="ResourceNotFound",
        )
        error = operation_error(operation, "images.insert")
        if error is not None:
            raise error
    except AlreadyExists:
        made = _made(driver, label, name)
        if made is None:
            raise TransientError(
                f"gce: image {label!r} exists and vanished again (being deleted?)",
                reason="ImageNotFound",
            ) from None
        return made
    path = f"projects/{driver.project}/global/images/{label}"
    return CloudImage(id=path, name=name, description=description, state=ImageState.PENDING)


def _made(driver: GceDriver, label: str, name: str) -> CloudImage | None:
    """The image `label` of the snapshot `name`, made before (None when there is none): this
    installation's snapshot of that name, else NameTaken."""
    item = _image(driver, driver.project, label)
    if item is None:
        return None
    found = image_of(item, driver.region.installation_id)
    if found is None or found.name != name:
        raise TerminalError(
            f"gce: an image named {label!r} exists and is not this installation's snapshot "
            f"{name!r}",
            reason="NameTaken",
        )
    return found


def _image(driver: GceDriver, project: str, name: str) -> compute_v1.Image | None:
    """The image `name` of `project` (None when GCE does not know it)."""
    request = compute_v1.GetImageRequest(project=project, image=name)
    found: list[compute_v1.Image] = []
    present = call_unless_absent(
        "images.get",
        lambda: found.append(
            driver.images_client.get(request=request, timeout=driver.timeout, retry=None)
        ),
    )
    return found[0] if present else None


def snapshots(driver: GceDriver) -> list[CloudImage]:
    """The installation's snapshots, from one paged `images.list` of the project filtered by
    the installation label (checked again on the reply)."""
    installation = driver.region.installation_id
    request = compute_v1.ListImagesRequest(
        project=driver.project,
        filter=f'labels.{TAG_INSTALLATION} = "{label_value(installation)}"',
        max_results=driver.settings.page_size,
    )

    def listing() -> list[compute_v1.Image]:
        pages = driver.images_client.list(request=request, timeout=driver.timeout, retry=None)
        return [item for item in pages if item.status != "DELETING"]

    found = [image_of(i, installation) for i in call("images.list", listing)]
    return [image for image in found if image is not None]


def delete_snapshot(driver: GceDriver, image_id: str) -> None:
    """Delete the installation's snapshot image `image_id` (`images.delete`); one that is gone
    (or going) is deleted already, any other image is refused (NotOurs)."""
    named = image_named(image_id)
    project, name = named if named is not None else ("", "")
    item = _image(driver, project or driver.project, name) if name else None
    if name and item is None:
        return
    if item is None or image_of(item, driver.region.installation_id) is None:
        raise TerminalError(
            f"gce: {image_id!r} is not an image of this installation's snapshots",
            reason="NotOurs",
        )
    if item.status == "DELETING":
        return
    request = compute_v1.DeleteImageRequest(project=project or driver.project, image=name)
    deleted: list[compute_v1.Operation] = []
    call_unless_absent(
        "images.delete",
        lambda: deleted.append(
            driver.images_client.delete_unary(request=request, timeout=driver.timeout, retry=None)
        ),
    )
    error = operation_error(deleted[0], "images.delete") if deleted else None
    if error is not None:
        raise error
