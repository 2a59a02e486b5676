"""The Microsoft Azure driver of vertice (`cloud_type` `azure`): region settings, entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports `azure.*`. The
driver itself lives in `vertice_driver_azure.driver` and is imported only
when a region of type `azure` is reconciled.

A region of type `azure` names its Azure location in `provider_region` (for
example `westeurope`, unless `settings.location` says otherwise) and may name
another Resource Manager endpoint in its `endpoint` (empty:
`https://management.azure.com`); its `settings` are an `AzureSettings` and its
`credentials` an `AzureCredentials` (a service principal, sealed at rest,
never returned by the API).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo
from vertice_core.model.types import NonNegative, NonNegativeFloat

__all__ = ["DRIVER", "STOP_MODES", "AzureCredentials", "AzureSettings", "is_image"]

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: A tenant: its GUID or one of its domain names (`contoso.onmicrosoft.com`).
_TENANT = re.compile(rf"{_GUID.pattern}|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: Resource group names: 1 to 90 letters, digits, `-_.()`, not ending with a period.
_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]")
#: Virtual network and subnet names (2 to 80 characters).
_NETWORK_NAME = re.compile(r"[A-Za-z0-9][-\w.]{0,78}[\w]")
#: A marketplace image URN (`publisher:offer:sku:version`), as `az vm create --image` takes it.
_URN = re.compile(r"[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]+")
#: A custom or gallery image by resource id.
_IMAGE_ID = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/\S+", re.I
)
#: A VM size (`Standard_B1s`, `Standard_D2s_v5`, `Basic_A0`).
VM_SIZE = re.compile(r"(Standard|Basic)_[A-Za-z0-9_-]+")
#: Locations (`eastus`, `westeurope`, `usgovvirginia`).
LOCATION = re.compile(r"[a-z][a-z0-9]+")
#: How `stop` stops a VM: deallocate (compute released, not billed) or power off (kept, billed).
STOP_MODES = ("deallocate", "power_off")


def is_image(text: str) -> bool:
    """Whether `text` names an Azure image: a marketplace URN or a resource id."""
    return bool(_URN.fullmatch(text) or _IMAGE_ID.fullmatch(text))


def _matches(pattern: re.Pattern[str], what: str, *, empty: bool = False) -> Any:
    """An attrs validator: the value matches `pattern` (or is empty, when allowed)."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if (empty and not value) or pattern.fullmatch(value):
            return
        raise ValueError(f"{attribute.name}: {value!r} is not {what}")

    return check


def _images(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for name, image in value.items():
        if not is_image(image):
            raise ValueError(
                f"{attribute.name}: {image!r} (for image {name!r}) is not an Azure image: a URN "
                "such as 'Canonical:ubuntu-24_04-lts:server:latest' or an image resource id"
            )


def _vm_sizes(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for flavor, size in value.items():
        if not VM_SIZE.fullmatch(size):
            raise ValueError(
                f"{attribute.name}: {size!r} (for flavor {flavor!r}) is not a VM size such as "
                "'Standard_B1s'"
            )


def _stop_mode(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in STOP_MODES:
        raise ValueError(f"{attribute.name}: {value!r} is not one of {', '.join(STOP_MODES)}")


def _https(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value and not re.fullmatch(r"https://[^/\s]+/?", value):
        raise ValueError(f"{attribute.name}: {value!r} is not an https:// host URL")


@attrs.frozen
class AzureSettings:
    """How vertice launches in one Azure location (the region's `settings`)."""

    #: The subscription (a GUID) every VM is billed to.
    subscription_id: str = attrs.field(validator=_matches(_GUID, "a subscription id (a GUID)"))
    #: The resource group vertice's VMs (and their NICs, public IPs, disks) live in.
    resource_group: str = attrs.field(validator=_matches(_RESOURCE_GROUP, "a resource group name"))
    #: The virtual network of every VM (an existing one).
    virtual_network: str = attrs.field(validator=_matches(_NETWORK_NAME, "a virtual network name"))
    #: Its subnet.
    subnet: str = attrs.field(default="default", validator=_matches(_NETWORK_NAME, "a subnet name"))
    #: The resource group of the virtual network; empty: `resource_group`.
    network_resource_group: str = attrs.field(
        default="", validator=_matches(_RESOURCE_GROUP, "a resource group name", empty=True)
    )
    #: The location; empty: the region's `provider_region`.
    location: str = attrs.field(default="", validator=_matches(LOCATION, "a location", empty=True))
    #: Give every VM a static Standard public IPv4 address (deleted with the VM).
    public_ip: bool = True
    #: The image of each plan image (`"1_virtualmachine_ubuntu":
    #: "Canonical:ubuntu-24_04-lts:server:latest"`). A plan image that is itself a URN or an
    #: image id is used as is; any other unmapped image fails the assembly.
    images: dict[str, str] = attrs.field(factory=dict, validator=_images)
    #: The VM size of each vertice flavor (`"small": "Standard_B1s"`). A flavor whose name is
    #: itself a VM size is used as is.
    vm_sizes: dict[str, str] = attrs.field(factory=dict, validator=_vm_sizes)
    #: The Linux administrator the launch SSH key is installed for.
    admin_username: str = attrs.field(
        default="vertice", validator=_matches(re.compile(r"[a-z_][a-z0-9_-]{0,31}"), "a user name")
    )
    #: The storage type of OS disks (`StandardSSD_LRS`, `Premium_LRS`, `Standard_LRS`).
    os_disk_type: str = "StandardSSD_LRS"
    #: `deallocate` (the default: compute is released and not billed) or `power_off`.
    stop_mode: str = attrs.field(default="deallocate", validator=_stop_mode)
    #: The Microsoft Entra authority host; empty: `https://login.microsoftonline.com`. A host
    #: set here is trusted as is (no instance discovery: Azure Stack, private clouds, tests).
    authority: str = attrs.field(default="", validator=_https)
    #: A PEM file of certificate authorities to trust for the endpoint and the authority
    #: (a path on the reconciler's machine); empty: the system's.
    ca_bundle: str = ""
    #: Retries azure-core makes per call (429, 5xx, network) before vertice's own backoff.
    retry_total: NonNegative = NonNegative(2)
    #: Seconds to wait for a connection, and for an answer.
    connection_timeout: NonNegativeFloat = NonNegativeFloat(5.0)
    read_timeout: NonNegativeFloat = NonNegativeFloat(30.0)


@attrs.frozen
class AzureCredentials:
    """A service principal (the region's `credentials`; sealed at rest, never logged)."""

    #: The Microsoft Entra tenant (directory) id, or one of its domain names.
    tenant_id: str = attrs.field(repr=False, validator=_matches(_TENANT, "a tenant id"))
    #: The application (client) id of the service principal.
    client_id: str = attrs.field(repr=False, validator=_matches(_GUID, "a client id (a GUID)"))
    #: One of its client secrets.
    client_secret: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))


DRIVER = DriverInfo(
    cloud_type="azure",
    factory="vertice_driver_azure.driver:AzureDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
            Capability.ADOPT,
        }
    ),
    settings=AzureSettings,
    credentials=AzureCredentials,
    requires=("azure.mgmt.compute", "azure.mgmt.network", "azure.identity"),
    description="Microsoft Azure virtual machines through azure-mgmt-compute (Resource Manager)",
)
