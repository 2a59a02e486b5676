"""Snapshots on the Docker Engine: a container committed into an image of this installation.

`snapshot(container, name)` commits the container's filesystem (`docker commit`,
the container paused for the copy) into `<repository>:<name>`, the repository being
this installation's (`repository_of`), labelled with the installation and the
snapshot's name (`OWNER`, `TAG_SNAPSHOT`) and with the container's own vertice labels
blanked: an image passes its labels on to the containers run from it, and one run by
hand must not look like an instance of the installation (vertice's instances get
their own labels). A second call with the same name finds the image by its reference
and makes nothing. An image is available as soon as the commit returns. Volumes are
not part of a commit: what a container keeps in a volume is not in its snapshot.

`snapshots()` lists the installation's tagged images by label, in one call;
`delete_snapshot(id)` untags one, so it is no longer a snapshot (an image already gone
is a success; an image of another installation is refused), and removes it unless a
container still runs from it: the engine refuses that, and such an image (untagged,
still labelled) is removed by a later deletion once its containers are gone. An
instance is launched from a snapshot with `InstanceSpec.image_id` (the image's id).
"""

from __future__ import annotations

import contextlib
from typing import Any

import docker.errors

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    TAG_REVISION,
    TAG_SNAPSHOT,
    CloudImage,
    ImageState,
)
from vertice_core.errors import TerminalError, TransientError

#: The label of a snapshot image naming its installation (not `TAG_INSTALLATION`, which
#: would make the containers run from it look like the installation's instances).
OWNER = "vertice-snapshot-installation"
#: The labels of the container that the image must not pass on to what runs from it.
_BLANKED = (TAG_INSTALLATION, TAG_ASSEMBLY, TAG_KEY, TAG_PROJECT, TAG_REVISION)


def repository_of(installation_id: str) -> str:
    """The image repository of the installation's snapshots."""
    return f"localhost/vertice-snapshots/{installation_id.lower()}"


def snapshot(api: Any, installation_id: str, container_id: str, name: str) -> CloudImage:
    """The installation's image called `name`, committed now from the container if there
    is none (see the module's docstring)."""
    repository = repository_of(installation_id)
    found = _image(api, f"{repository}:{name}")
    if found is None:
        labels = {OWNER: installation_id, TAG_SNAPSHOT: name}
        changes = [f'LABEL {key}="{value}"' for key, value in labels.items()]
        changes += [f'LABEL {key}=""' for key in _BLANKED]
        api.commit(container_id, repository=repository, tag=name, changes=changes, pause=True)
        found = _image(api, f"{repository}:{name}")
        if found is None:  # removed between the commit and the read: made again next call
            raise TransientError(f"docker: snapshot {name}: the image vanished once made",
                                 reason="SnapshotVanished")  # fmt: skip
    return _cloud_image(found)


def snapshots(api: Any, installation_id: str) -> list[CloudImage]:
    """The installation's snapshots, from one listing of images by label."""
    listed = api.images(filters={"label": f"{OWNER}={installation_id}"})
    repository = repository_of(installation_id) + ":"
    found = [
        _cloud_image(i)
        for i in listed
        if (i.get("Labels") or {}).get(TAG_SNAPSHOT)
        and any(t.startswith(repository) for t in i.get("RepoTags") or [])  # not deleted
    ]
    return sorted(found, key=lambda image: image.name)


def delete_snapshot(api: Any, installation_id: str, image_id: str) -> None:
    """Delete the installation's snapshot `image_id` (see the module's docstring)."""
    found = _image(api, image_id)
    if found is not None:
        labels = (found.get("Config") or {}).get("Labels") or {}
        if labels.get(OWNER) != installation_id or not labels.get(TAG_SNAPSHOT):
            raise TerminalError(
                f"docker: image {image_id} is not a snapshot of this installation: not deleted",
                reason="NotOurs",
            )
        for reference in found.get("RepoTags") or []:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_image(reference, force=True)  # untagged: no longer a snapshot
    # The image itself, and those of earlier deletions, once no container runs from them.
    leftovers = api.images(filters={"label": f"{OWNER}={installation_id}", "dangling": True})
    for image in leftovers:
        _remove_if_unused(api, str(image["Id"]))


def _remove_if_unused(api: Any, image_id: str) -> None:
    """Remove an untagged snapshot image, unless a container still runs from it (the
    engine refuses: it is removed by a later deletion, once the container is gone)."""
    try:
        api.remove_image(image_id, force=True)
    except docker.errors.NotFound:
        return
    except docker.errors.APIError as exc:
        if exc.status_code != 409:
            raise


def _image(api: Any, reference: str) -> dict[str, Any] | None:
    """The engine's `inspect` of an image, or None when it has none by that reference."""
    try:
        found: dict[str, Any] = api.inspect_image(reference)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.NotFound:
        return None
    return found


def _cloud_image(image: dict[str, Any]) -> CloudImage:
    """An image (from `inspect` or a listing) as `Driver.snapshots` shows it."""
    labels = image.get("Labels") or (image.get("Config") or {}).get("Labels") or {}
    return CloudImage(str(image["Id"]), str(labels.get(TAG_SNAPSHOT, "")),
                      state=ImageState.AVAILABLE)  # fmt: skip
