"""What the peer's Resource Manager refuses in a new VM's body, with ARM's codes and words.

* a name ARM does not take: 400 InvalidResourceName;
* a location the recorded providers document does not list: 400
  LocationNotAvailableForResourceType;
* a VM size the recorded `vmSizes` listing does not have: 400 InvalidParameter;
* a marketplace image the peer does not know: 404 PlatformImageNotFound;
* Linux without an SSH key or a password: 400 InvalidParameter;
* a subnet that does not exist: 400 InvalidResourceReference;
* more cores than the quota: 409 OperationNotAllowed, in Azure's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_VM_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9._]{0,62}[A-Za-z0-9_])?")


class Refused(Exception):
    """An ARM error reply to send."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_vm(
    name: str,
    location: str,
    props: Mapping[str, Any],
    *,
    locations: set[str],
    sizes: Mapping[str, Mapping[str, Any]],
    images: set[tuple[str, str, str]],
    subnets: set[str],
) -> None:
    """Refuse the body of a new VM as ARM would (see the module's list)."""
    if not _VM_NAME.fullmatch(name):
        raise Refused(400, "InvalidResourceName", f"The resource name '{name}' is invalid.")
    if location not in locations:
        raise Refused(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{location}' is not available for resource type "
            "'Microsoft.Compute/virtualMachines'.",
        )
    size = (props.get("hardwareProfile") or {}).get("vmSize", "")
    if size not in sizes:
        raise Refused(
            400, "InvalidParameter", f"The value {size} provided for the VM size is not valid."
        )
    image = (props.get("storageProfile") or {}).get("imageReference") or {}
    urn = (str(image.get("publisher")), str(image.get("offer")), str(image.get("sku")))
    if urn not in images:
        raise Refused(
            404,
            "PlatformImageNotFound",
            f"The platform image '{':'.join(urn)}:{image.get('version')}' is not available. "
            "Verify that all fields in the storage profile are correct.",
        )
    _check_linux(props.get("osProfile") or {})
    for subnet in subnets_of(props):
        if subnet.lower() not in subnets:
            raise Refused(
                400,
                "InvalidResourceReference",
                f"Resource {subnet} referenced by resource {name} was not found. Please make sure "
                "that the referenced resource exists, and that both resources are in the same "
                "region.",
            )


def _check_linux(os_profile: Mapping[str, Any]) -> None:
    linux = os_profile.get("linuxConfiguration") or {}
    keys = (linux.get("ssh") or {}).get("publicKeys") or []
    if not os_profile.get("adminUsername") or not (keys or os_profile.get("adminPassword")):
        raise Refused(
            400,
            "InvalidParameter",
            "Authentication using either SSH or by user name and password must be enabled in "
            "Linux profile.",
        )
    if linux.get("disablePasswordAuthentication") and not keys:
        raise Refused(
            400,
            "InvalidParameter",
            "SSH keys are required when password authentication is disabled.",
        )


def subnets_of(props: Mapping[str, Any]) -> list[str]:
    """The subnet ids a VM body's network interface configurations name."""
    configs = (props.get("networkProfile") or {}).get("networkInterfaceConfigurations") or []
    return [
        ip["properties"]["subnet"]["id"]
        for config in configs
        for ip in config["properties"]["ipConfigurations"]
    ]


def check_quota(
    location: str, size: str, used_sizes: Iterable[str], sizes: Mapping[str, Any], quota: int
) -> None:
    """Refuse a VM whose cores exceed the regional quota, as Azure words it."""
    used = sum(int(sizes[s]["numberOfCores"]) for s in used_sizes)
    wanted = int(sizes[size]["numberOfCores"])
    if used + wanted > quota:
        raise Refused(
            409,
            "OperationNotAllowed",
            "Operation could not be completed as it results in exceeding approved Total Regional "
            f"Cores quota. Location: {location}, Current Limit: {quota}, Current Usage: {used}, "
            f"Additional Required: {wanted}.",
        )
