"""Compute Engine images: resolving a configured image path, listing a project's images.

A configured image is a partial or full URL: `projects/P/global/images/N`,
`projects/P/global/images/family/F` (the family's newest image), or
`global/images/N` (in the region's own project). Deprecated, obsolete and
deleted images are left out of listings.
"""

from __future__ import annotations

import re

from google.cloud import compute_v1

from vertice_core.errors import TerminalError
from vertice_driver_gce.client import call

_PATH = re.compile(
    r"(?:https://[a-z0-9.-]+/compute/v1/)?(?:projects/(?P<project>[a-z0-9.:-]+)/)?"
    r"global/images/(?P<family>family/)?(?P<name>[-a-z0-9]+)"
)
#: The `deprecated.state` values of images (and machine types) not offered any more.
RETIRED = frozenset({"DEPRECATED", "OBSOLETE", "DELETED"})


def image_path(item: compute_v1.Image) -> str:
    """The partial URL of an image (`projects/P/global/images/N`), from its self link."""
    link = item.self_link
    start = link.find("projects/")
    return link[start:] if start >= 0 else f"global/images/{item.name}"


def image_named(path: str) -> tuple[str, str] | None:
    """The project ('' for the own one) and name of an image path that names one image (not
    a family); None for any other text."""
    match = _PATH.fullmatch(path)
    if match is None or match["family"]:
        return None
    return match["project"] or "", match["name"]


def resolve_image(
    client: compute_v1.ImagesClient, path: str, project: str, timeout: float
) -> compute_v1.Image | None:
    """The image a configured path names (None when it does not exist or cannot be parsed)."""
    match = _PATH.fullmatch(path)
    if match is None:
        return None
    owner = match["project"] or project
    try:
        if match["family"]:
            family = compute_v1.GetFromFamilyImageRequest(project=owner, family=match["name"])
            return call(
                "images.getFromFamily",
                lambda: client.get_from_family(request=family, timeout=timeout, retry=None),
                not_found="ResourceNotFound",
            )
        one = compute_v1.GetImageRequest(project=owner, image=match["name"])
        return call(
            "images.get",
            lambda: client.get(request=one, timeout=timeout, retry=None),
            not_found="ResourceNotFound",
        )
    except TerminalError as error:
        if error.reason == "ResourceNotFound":
            return None
        raise


def list_images(
    client: compute_v1.ImagesClient, project: str, timeout: float
) -> list[compute_v1.Image]:
    """The images of `project` that are offered (not deprecated), in pages."""
    request = compute_v1.ListImagesRequest(project=project, max_results=500)

    def listing() -> list[compute_v1.Image]:
        pages = client.list(request=request, timeout=timeout, retry=None)
        return [item for item in pages if item.deprecated.state not in RETIRED]

    return call("images.list", listing, not_found="ResourceNotFound")
