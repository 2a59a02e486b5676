"""The `openstack` driver's day-2 verbs: resize (Nova's resize and confirmResize) and
snapshots (Nova's createImage, Glance's images).

**Resize.** Nova resizes a server ACTIVE or SHUTOFF by itself: it moves the server
to the new flavor (status RESIZE), powers it as it was and waits in VERIFY_RESIZE
for a confirmation (`resize_confirm_window` may confirm it later, but is off by
default), after which the server is ACTIVE or SHUTOFF again, with its id, disk
and ports. `resize` follows the server from what Nova shows, a look at a time: it
asks for the resize when the server has another flavor, confirms a resize that
waits for it, and returns once the server is ACTIVE or SHUTOFF with the flavor of
the size (`OpenStackDriver.nova_flavor`: mapped, named like the size, or the
smallest that fits). It waits `resize_wait` seconds at most, then answers
ResizeInProgress: the next call carries on from where Nova is. A server paused,
suspended or shelved is not resized (IncorrectInstanceState, until it is started).

**Snapshots.** A snapshot is a Glance image `createImage` makes of a server's
disk (without stopping it), named like the snapshot and carrying the
installation and the snapshot's name as properties (createImage's metadata).
Nova makes it `private` to the project; Glance cannot be asked for images by
property through openstacksdk, so the project's private images are listed (by
name, for a lookup) and those with the installation's properties kept, as
`observe` does with servers. An image is `queued`, then `saving`, then
`active` (launchable with `InstanceSpec.image_id`). Deleting one checks that it
is the installation's, then deletes it from Glance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vertice_core.driver import TAG_SNAPSHOT, CloudImage, ImageState, SizeSpec
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_openstack.client import call, fault_error, is_not_found
from vertice_driver_openstack.states import is_gone
from vertice_driver_openstack.translate import (
    image_fields,
    is_our_image,
    snapshot_metadata,
    snapshot_of,
)

if TYPE_CHECKING:
    from vertice_driver_openstack.driver import OpenStackDriver

#: Glance images per page of the snapshots' listing.
IMAGE_PAGE = 100
#: Statuses of a server Nova is resizing (or reverting), or waits with for a confirmation.
RESIZING = frozenset({"RESIZE", "VERIFY_RESIZE", "REVERT_RESIZE"})
#: Nova's answer to a confirmResize while a confirmation is under way (no migration is
#: `finished` any more).
_CONFIRMING = "has not been resized"


def resize(driver: OpenStackDriver, cloud_id: str, size: SizeSpec) -> None:
    """Bring the server to the flavor of `size` (see the module's docstring)."""
    flavor = driver.nova_flavor(size)
    deadline = time.monotonic() + driver.settings.resize_wait
    pause, confirmed = 0.1, False
    while True:
        server = driver.server(cloud_id)
        if server is None or is_gone(server["status"], server["task_state"]):
            raise TransientError(
                f"openstack: resize: server {cloud_id} does not exist (or is being deleted)",
                reason="InstanceNotFound",
            )
        status, idle = str(server["status"]), server["task_state"] is None
        if status == "ERROR":
            raise fault_error(server["fault"], cloud_id)
        if idle and status in ("ACTIVE", "SHUTOFF"):
            if server["flavor_name"] in (flavor["name"], flavor["id"]):
                return
            _ask(cloud_id, "resize", lambda: driver.compute.resize_server(cloud_id, flavor["id"]))
        elif idle and status == "VERIFY_RESIZE" and not confirmed:
            confirmed = _ask(
                cloud_id, "confirmResize", lambda: driver.compute.confirm_server_resize(cloud_id)
            )
        elif idle and status not in RESIZING:
            raise TransientError(
                f"openstack: cannot resize server {cloud_id} while its status is {status}; "
                "retrying once it settles",
                reason="IncorrectInstanceState",
            )
        if time.monotonic() >= deadline:
            raise TransientError(
                f"openstack: server {cloud_id} is still being resized ({status}); the next "
                "call carries on",
                reason="ResizeInProgress",
            )
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def _ask(cloud_id: str, action: str, fn: Callable[[], Any]) -> bool:
    """Send a server action; False when Nova refused it because the server moved since it
    was read (409: look again), True when it was taken (or, for a confirmation, one is
    under way already)."""
    try:
        call(f"POST /servers/{cloud_id}/action ({action})", fn)
    except TransientError as error:
        if is_not_found(error):
            raise TransientError(error.message, reason="InstanceNotFound") from None
        if error.reason != "Conflict":
            raise
        return False
    except TerminalError as error:
        if action == "confirmResize" and _CONFIRMING in error.message:
            return True
        raise
    return True


def _ours(driver: OpenStackDriver, **query: Any) -> list[dict[str, Any]]:
    """The project's private Glance images (narrowed by `query`) that are snapshots of this
    installation, page by page."""
    installation = driver.region.installation_id
    listing = call(
        "GET /v2/images",
        lambda: [
            image_fields(i)
            for i in driver.image.images(visibility="private", limit=IMAGE_PAGE, **query)
        ],
    )
    return [image for image in listing if is_our_image(image, installation)]


def snapshot(driver: OpenStackDriver, cloud_id: str, name: str) -> CloudImage:
    """The installation's snapshot `name`: the image there is, or a new one of the server."""
    for image in _ours(driver, name=name):
        found = snapshot_of(image)
        if image["properties"][TAG_SNAPSHOT] == name and found.state is not ImageState.ERROR:
            return found
    metadata = snapshot_metadata(driver.region.installation_id, name)
    action = f"POST /servers/{cloud_id}/action (createImage)"
    try:
        made = call(
            action,
            lambda: image_fields(driver.compute.create_server_image(cloud_id, name, metadata)),
        )
    except TransientError as error:
        if is_not_found(error):
            raise TransientError(error.message, reason="InstanceNotFound") from None
        if error.reason == "Conflict":  # a task in flight (a resize, another snapshot)
            raise TransientError(error.message, reason="IncorrectInstanceState") from None
        raise
    # What Glance showed right after the action; its properties are ours, whatever it said.
    made["properties"] = {**made["properties"], **metadata}
    return snapshot_of(made)


def snapshots(driver: OpenStackDriver) -> list[CloudImage]:
    """Every snapshot of this installation, all states."""
    return [snapshot_of(image) for image in _ours(driver)]


def delete_snapshot(driver: OpenStackDriver, image_id: str) -> None:
    """Delete the installation's snapshot image; one Glance does not know is deleted
    already, another's is refused."""
    try:
        image = call(
            f"GET /v2/images/{image_id}", lambda: image_fields(driver.image.get_image(image_id))
        )
    except TransientError as error:
        if is_not_found(error):
            return
        raise
    if not is_our_image(image, driver.region.installation_id):
        raise TerminalError(
            f"openstack: image {image_id} is not a snapshot of this installation",
            reason="NotOurs",
        )
    try:
        call(
            f"DELETE /v2/images/{image_id}",
            lambda: driver.image.delete_image(image_id, ignore_missing=True),
        )
    except TransientError as error:
        if not is_not_found(error):
            raise
