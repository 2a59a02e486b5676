"""The peer's day-2 operations: Nova's resize, confirmResize and createImage, and Glance's
image show and delete.

Servers and images move as Nova and Glance move them (the compute API reference,
`servers-actions.inc`, and Nova's `compute/api.py`):

* `resize` (`{"resize": {"flavorRef": ...}}`), to a server ACTIVE or SHUTOFF with no
  task: status RESIZE (task `resize_prep`), then after `boot` seconds VERIFY_RESIZE
  (vm_state `resized`, powered as before) with the new flavor embedded. The same
  flavor is refused (400 "When resizing, instances must change flavor!"), an unknown
  one too (400 "Flavor ... could not be found.");
* `confirmResize` (`{"confirmResize": null}`), to a server in VERIFY_RESIZE: 204; the
  compute confirms after `halt` seconds, when the server is ACTIVE or SHUTOFF again
  (as it was before the resize). A confirm already under way is refused as Nova
  refuses it (no migration `finished`: 400 "Instance has not been resized."), one of a
  server not resized by its vm_state (409);
* `createImage` (`{"createImage": {"name", "metadata"}}`), to a server ACTIVE, SHUTOFF,
  PAUSED or SUSPENDED with no task: a Glance image owned by the project, `private`,
  with Nova's snapshot properties (`instance_uuid`, `user_id`, `image_type`
  `snapshot`) and the request's metadata as properties, `queued` then `saving`; the
  server's task is `image_snapshot` until, after `boot` seconds, the upload ends
  and the image is `active`. The reply is 202 with `{"image_id"}` (2.45's sample). A
  server deleted meanwhile takes its unfinished image with it;
* Glance `GET /v2/images/{id}` (the image, as the image-show sample shows one) and
  `DELETE /v2/images/{id}` (204; 404 for an image Glance does not know).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import attrs

from openstack_peer.cloud import RUNNING, SHUTDOWN, Cloud, NovaError, Server
from openstack_peer.documents import Recorded

#: The vm_states Nova snapshots from (`compute/api.py`, `snapshot`).
SNAPSHOT_FROM = ("active", "stopped", "paused", "suspended")


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


@attrs.define
class OperatedCloud(Cloud):
    """The peer's cloud with the day-2 actions (`Cloud.action` dispatches on the names the
    recorded action samples give: `_resize`, `_confirm_resize`, `_create_image`)."""

    recorded: Recorded | None = None
    #: The project that owns the images it makes, and the user who asks (the token's).
    project_id: str = ""
    user_id: str = ""
    #: Per server resized and not confirmed: (its flavor before, its vm_state before).
    resized: dict[str, tuple[dict[str, Any], str]] = attrs.Factory(dict)
    #: Per server being snapshotted: the image being uploaded.
    uploading: dict[str, str] = attrs.Factory(dict)
    #: Per server resized: the flavor it moves to.
    moving_to: dict[str, dict[str, Any]] = attrs.Factory(dict)
    #: Images made here (the recorded ones stay).
    made: set[str] = attrs.Factory(set)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            if self.recorded is not None:  # the recorded images again, and no others
                self.images[:] = self.recorded("images")["images"]
            for kept in (self.resized, self.uploading, self.moving_to, self.made):
                kept.clear()

    def tick(self) -> None:
        with self.lock:
            for image in self.images:
                if image["id"] in self.made and image["status"] == "queued":
                    image["status"] = "saving"  # the compute started the upload
        super().tick()

    def _complete(self, server: Server, what: str) -> None:
        if what == "resize":
            server.flavor = self.moving_to.pop(server.id)
            server.set("VERIFY_RESIZE", "resized", server.power_state)
        elif what == "confirm":
            _, was = self.resized.pop(server.id)
            if was == "stopped":
                server.set("SHUTOFF", "stopped", SHUTDOWN)
            else:
                server.set("ACTIVE", "active", RUNNING)
        elif what == "snapshot":
            image_id = self.uploading.pop(server.id)
            for image in self.images:
                if image["id"] == image_id:
                    image.update(status="active", updated_at=_iso(time.time()))
            server.task_state = None
            server.updated = time.time()
        else:
            super()._complete(server, what)

    # -- the actions --

    def _resize(self, server: Server, action: str, argument: Any) -> None:
        ref = str((argument or {}).get("flavorRef") or "")
        if not ref:
            raise NovaError(400, "Invalid input for field/attribute resize.")
        if server.vm_state not in ("active", "stopped"):
            raise self._refuse(server, action)
        flavor = self.flavor(ref)
        if flavor["id"] == server.flavor["id"]:
            raise NovaError(400, "When resizing, instances must change flavor!")
        self.resized[server.id] = (server.flavor, server.vm_state)
        self.moving_to[server.id] = flavor
        server.set("RESIZE", server.vm_state, server.power_state, "resize_prep")
        self._after(server, self.boot, "resize")

    def _confirm_resize(self, server: Server, action: str, _argument: Any) -> tuple[int, Any]:
        if server.vm_state != "resized":
            raise self._refuse(server, action)
        if server.pending is not None:  # confirming already: no migration is `finished`
            raise NovaError(400, "Instance has not been resized.")
        self._after(server, self.halt, "confirm")
        return 204, None

    def _create_image(self, server: Server, action: str, argument: Any) -> tuple[int, Any]:
        if not isinstance(argument, dict) or not str(argument.get("name") or "").strip():
            raise NovaError(400, "Invalid input for field/attribute createImage.")
        if server.vm_state not in SNAPSHOT_FROM:
            raise self._refuse(server, action)
        assert self.recorded is not None
        image_id = str(uuid.uuid4())
        properties = {str(k): str(v) for k, v in (argument.get("metadata") or {}).items()}
        image = glance_image(
            self.recorded,
            image_id=image_id,
            name=" ".join(str(argument["name"]).split()),
            owner=self.project_id,
            min_disk=int(server.flavor["disk"]),
            properties={
                **properties,
                "instance_uuid": server.id,
                "user_id": self.user_id,
                "image_type": "snapshot",
            },
        )
        self.images.append(image)
        self.made.add(image_id)
        self.uploading[server.id] = image_id
        server.task_state = "image_snapshot"
        server.updated = time.time()
        self._after(server, self.boot, "snapshot")
        reply: dict[str, Any] = self.recorded("image_created")
        reply["image_id"] = image_id
        return 202, reply

    def delete(self, server_id: str) -> None:
        """Nova's delete; an image the server was uploading is purged with it."""
        with self.lock:
            image_id = self.uploading.pop(server_id, None)
            if image_id is not None:
                self.images[:] = [i for i in self.images if i["id"] != image_id]
            super().delete(server_id)


def glance_image(
    recorded: Recorded,
    *,
    image_id: str,
    name: str,
    owner: str,
    min_disk: int,
    properties: dict[str, str],
) -> dict[str, Any]:
    """A new snapshot image as Glance shows it: the recorded image with these values, no
    data yet (`queued`), and its properties as top-level keys (Glance v2's way)."""
    image: dict[str, Any] = recorded("image")
    now = _iso(time.time())
    image.update(
        id=image_id,
        name=name,
        status="queued",
        visibility="private",
        owner=owner,
        created_at=now,
        updated_at=now,
        self=f"/v2/images/{image_id}",
        file=f"/v2/images/{image_id}/file",
        checksum=None,
        os_hash_value=None,
        size=None,
        min_disk=min_disk,
        disk_format=None,
        container_format=None,
    )
    image.update(properties)
    return image


class Glance:
    """Glance's answers about one image (`/v2/images/{id}`)."""

    def __init__(self, recorded: Recorded, cloud: Cloud, image_id: str) -> None:
        self.recorded = recorded
        self.cloud = cloud
        self.image_id = image_id

    def _find(self) -> dict[str, Any]:
        self.cloud.tick()
        for image in self.cloud.images:
            if image["id"] == self.image_id:
                return image
        raise NovaError(404, f"No image found with ID {self.image_id}")

    def get(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        with self.cloud.lock:
            return 200, dict(self._find()), {}

    def delete(self, _query: Any, _body: Any) -> tuple[int, Any, dict[str, str]]:
        with self.cloud.lock:
            image = self._find()
            if image.get("protected"):
                raise NovaError(403, f"Image {self.image_id} is protected and cannot be deleted.")
            self.cloud.images.remove(image)
            return 204, None, {}
