"""The Google Compute Engine driver of vertice (`cloud_type` `gce`): region settings, entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports `google.*`. The
driver itself lives in `vertice_driver_gce.driver` and is imported only when
a region of type `gce` is reconciled.

A region of type `gce` names its Compute Engine **zone** in `provider_region`
(for example `us-central1-a`) and may name another API endpoint in its
`endpoint` (empty: `https://compute.googleapis.com`); its `settings` are a
`GceSettings` and its `credentials` a `GceCredentials` (a service-account key,
sealed at rest, never returned by the API).
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo
from vertice_core.model.types import NonNegativeFloat, Positive

__all__ = ["DRIVER", "GceCredentials", "GceSettings"]

#: A Compute Engine image: a full URL or a partial one (`projects/P/global/images/[family/]N`).
_IMAGE = re.compile(
    r"(https://[a-z0-9.-]+/compute/v1/)?(projects/[a-z0-9.:-]+/)?global/images/(family/)?"
    r"[a-z]([-a-z0-9]*[a-z0-9])?"
)
#: A machine type name (`e2-small`, `n2-standard-4`, `custom-2-4096`).
MACHINE_TYPE = re.compile(r"[a-z][a-z0-9]*-[a-z0-9-]*[a-z0-9]")
#: A project id: 6 to 30 lower-case letters, digits and hyphens (or `domain:project`).
_PROJECT = re.compile(r"([a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]")


def is_image(text: str) -> bool:
    """Whether `text` names a Compute Engine image (by URL or partial path)."""
    return bool(_IMAGE.fullmatch(text))


def _images(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for name, image in value.items():
        if not is_image(image):
            raise ValueError(
                f"{attribute.name}: {image!r} (for image {name!r}) is not a Compute Engine image "
                "such as 'projects/debian-cloud/global/images/family/debian-12'"
            )


def _machine_types(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for flavor, machine_type in value.items():
        if not MACHINE_TYPE.fullmatch(machine_type):
            raise ValueError(
                f"{attribute.name}: {machine_type!r} (for flavor {flavor!r}) is not a machine "
                "type such as 'e2-small'"
            )


def _project(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value and not _PROJECT.fullmatch(value):
        raise ValueError(f"{attribute.name}: {value!r} is not a Google Cloud project id")


def _page_size(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= 500:
        raise ValueError(f"{attribute.name}: must be between 1 and 500 (GCE's maxResults)")


@attrs.frozen
class GceSettings:
    """How vertice launches in one Compute Engine zone (the region's `settings`)."""

    #: The project instances are created in; empty: the service account's own project.
    project: str = attrs.field(default="", validator=_project)
    #: The image of each plan image (`"1_virtualmachine_ubuntu":
    #: "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64"`). A plan image
    #: that is itself an image path is used as is; any other unmapped image fails the assembly.
    images: dict[str, str] = attrs.field(factory=dict, validator=_images)
    #: The machine type of each vertice flavor (`"small": "e2-small"`). A flavor whose name is
    #: itself a machine type (`n2-standard-4`) is used as is.
    machine_types: dict[str, str] = attrs.field(factory=dict, validator=_machine_types)
    #: The VPC network of every instance (a name or a partial URL).
    network: str = "global/networks/default"
    #: A subnetwork (`regions/R/subnetworks/S`); empty: the network's subnet in the zone's region.
    subnetwork: str = ""
    #: Give every instance an ephemeral external (public) IPv4 address.
    external_ip: bool = True
    #: The boot disk's type (`pd-balanced`, `pd-ssd`, `pd-standard`...).
    disk_type: str = "pd-balanced"
    #: The user the launch SSH key is installed for (GCE's `ssh-keys` metadata `user:key`).
    ssh_user: str = "vertice"
    #: Projects whose images `images()` lists besides the mapped ones (empty: the own project).
    image_projects: list[str] = attrs.Factory(list)
    #: Items per page of a listing (`instances.list`, and `images.list` of snapshots), 1 to 500.
    page_size: Positive = attrs.field(default=Positive(500), validator=_page_size)
    #: Seconds to wait for each API call (connection and answer).
    timeout: NonNegativeFloat = NonNegativeFloat(30.0)
    #: Seconds for which an insert that GCE replays as failed (same request id) is reported
    #: as the create's outcome; later creates of the key retry under a new request id.
    failed_insert_window: NonNegativeFloat = NonNegativeFloat(120.0)
    #: Seconds `resize` waits for a running instance to stop, and for its machine type to be
    #: set (GCE changes the machine type of a TERMINATED instance only), before it answers
    #: ResizeInProgress; the next call carries on.
    resize_wait: NonNegativeFloat = NonNegativeFloat(30.0)


def _service_account(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        document = json.loads(value)
    except ValueError:
        raise ValueError(f"{attribute.name}: is not a JSON document") from None
    if not isinstance(document, dict) or document.get("type") != "service_account":
        raise ValueError(f"{attribute.name}: is not a service-account key (type service_account)")
    missing = [k for k in ("client_email", "private_key", "token_uri") if not document.get(k)]
    if missing:
        raise ValueError(f"{attribute.name}: the key lacks {', '.join(missing)}")


@attrs.frozen
class GceCredentials:
    """A service-account key (the region's `credentials`; sealed at rest, never logged)."""

    #: The JSON key file of a service account, as text (what `gcloud iam service-accounts
    #: keys create` writes).
    service_account_json: str = attrs.field(repr=False, validator=_service_account)


DRIVER = DriverInfo(
    cloud_type="gce",
    factory="vertice_driver_gce.driver:GceDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
            Capability.SUSPEND,
            Capability.ADOPT,
            Capability.RESIZE,
            Capability.SNAPSHOT,
        }
    ),
    settings=GceSettings,
    credentials=GceCredentials,
    requires=("google.cloud.compute_v1",),
    description="Google Compute Engine through google-cloud-compute (REST)",
)
