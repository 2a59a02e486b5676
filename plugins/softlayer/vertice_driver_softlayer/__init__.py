"""The SoftLayer driver of vertice (`cloud_type` `softlayer`): region settings, entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports `SoftLayer`. The
driver itself lives in `vertice_driver_softlayer.driver` and is imported only
when a region of type `softlayer` is reconciled.

A region of type `softlayer` names its datacenter in `settings.datacenter` (or
its `provider_region`, for example `dal13`) and may name another XML-RPC
endpoint in its `endpoint` (empty: SoftLayer's public one); its `settings` are
a `SoftLayerSettings` and its `credentials` a `SoftLayerCredentials` (an API
user and key, sealed at rest, never returned by the API).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo

__all__ = ["DRIVER", "SoftLayerCredentials", "SoftLayerFlavor", "SoftLayerSettings"]

#: An operating system reference code of `getCreateObjectOptions` (`UBUNTU_22_64`).
OS_CODE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9.]+)+")
#: An image template's global identifier (a UUID, any case).
TEMPLATE_GUID = re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
#: A preset (flavor key name) such as `B1_2X4X25` or `BL2_4X8X100`.
PRESET = re.compile(r"[A-Z][A-Z0-9]*_\d+X\d+X\d+(X\d+)?(_[A-Z0-9]+)*")
#: A DNS domain as SoftLayer accepts it: labels, then a top-level domain of letters.
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}")
#: The choices of `stop_mode` and `reboot_mode`, and the SoftLayer methods they call.
STOP_MODES = {"soft": "powerOffSoft", "hard": "powerOff"}
REBOOT_MODES = {"soft": "rebootSoft", "default": "rebootDefault", "hard": "rebootHard"}


def is_image(text: str) -> bool:
    """Whether `text` names a SoftLayer image: an OS reference code or a template's GUID."""
    return bool(OS_CODE.fullmatch(text) or TEMPLATE_GUID.fullmatch(text))


def _images(_instance: Any, attribute: attrs.Attribute[Any], value: dict[str, str]) -> None:
    for name, image in value.items():
        if not is_image(image):
            raise ValueError(
                f"{attribute.name}: {image!r} (for image {name!r}) is neither an operating "
                "system reference code such as 'UBUNTU_22_64' nor an image template's "
                "global identifier (a UUID)"
            )


def _domain(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if len(value) > 180 or not _DOMAIN.fullmatch(value):
        raise ValueError(
            f"{attribute.name}: {value!r} is not a lower-case DNS domain such as "
            "'vertice.example.com'"
        )


def _choice(choices: dict[str, str]) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name}: {value!r} is not one of {sorted(choices)}")

    return check


def _at_least(minimum: float) -> Any:
    """An attrs validator: the number (or every number of a list) is at least `minimum`."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            if item < minimum:
                raise ValueError(f"{attribute.name}: {item!r} must be at least {minimum:g}")

    return check


def _page_size(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= 1000:
        raise ValueError(f"{attribute.name}: must be between 1 and 1000")


@attrs.frozen
class SoftLayerFlavor:
    """The size of a guest for one vertice flavor: a preset, or CPUs and memory."""

    #: A public virtual server preset (`B1_2X4X25`: family, CPUs x GB RAM x GB disk).
    preset: str = ""
    #: Cores (`startCpus`), with `memory`, when no preset is named.
    cpus: int = attrs.field(default=0, validator=_at_least(0))
    #: Memory in MB (`maxMemory`), with `cpus`.
    memory: int = attrs.field(default=0, validator=_at_least(0))
    #: Disk sizes in GB, the first being the boot disk (empty: the image's or preset's).
    disks: list[int] = attrs.field(factory=list, validator=_at_least(1))

    def __attrs_post_init__(self) -> None:
        if self.preset:
            if not PRESET.fullmatch(self.preset):
                raise ValueError(f"preset: {self.preset!r} is not a preset such as 'B1_2X4X25'")
            if self.cpus or self.memory:
                raise ValueError("a flavor names a preset or cpus and memory, not both")
        elif not (self.cpus and self.memory):
            raise ValueError("a flavor names a preset, or both cpus and memory")


@attrs.frozen
class SoftLayerSettings:
    """How vertice orders guests in one SoftLayer datacenter (the region's `settings`)."""

    #: The datacenter (`dal13`, `fra02`...); empty: the region's `provider_region`.
    datacenter: str = ""
    #: Guests are named `<key>.<installation id>.<domain>`: the hostname is the instance's
    #: key, and the installation's own subdomain is how `observe` finds its guests (an
    #: adopted guest is renamed so, `vertice_driver_softlayer.adoption`).
    domain: str = attrs.field(default="vertice.internal", validator=_domain)
    #: The image of each plan image (`"1_virtualmachine_ubuntu": "UBUNTU_22_64"`): an
    #: operating system reference code or an image template's global identifier. A plan
    #: image that is itself one of those is used as is; any other unmapped image fails.
    images: dict[str, str] = attrs.field(factory=dict, validator=_images)
    #: The size of each vertice flavor; an unmapped flavor orders its own CPUs and memory.
    flavors: dict[str, SoftLayerFlavor] = attrs.Factory(dict)
    #: Hourly billing (true) or monthly.
    hourly: bool = True
    #: Disks on the host (true) or SAN disks.
    local_disk: bool = True
    #: Only on hosts that run this account's guests alone.
    dedicated: bool = False
    #: No public interface (guests then have a private address only).
    private_network_only: bool = False
    #: The VLANs of the public and private interfaces; 0: SoftLayer chooses.
    public_vlan_id: int = attrs.field(default=0, validator=_at_least(0))
    private_vlan_id: int = attrs.field(default=0, validator=_at_least(0))
    #: The port speed in Mbps (10, 100, 1000); 0: SoftLayer's default.
    nic_speed: int = attrs.field(default=0, validator=_at_least(0))
    #: SSH keys of the account (`SoftLayer_Security_Ssh_Key` ids) added to every guest; the
    #: assembly's own key arrives through cloud-init user data.
    ssh_key_ids: list[int] = attrs.field(factory=list, validator=_at_least(1))
    #: A script SoftLayer fetches and runs once the guest is provisioned.
    post_install_script_uri: str = ""
    #: How `stop` powers a guest off: `soft` (ACPI, `powerOffSoft`) or `hard` (`powerOff`).
    stop_mode: str = attrs.field(default="soft", validator=_choice(STOP_MODES))
    #: How `reboot` restarts a guest: `soft`, `default` (soft, then hard) or `hard`.
    reboot_mode: str = attrs.field(default="soft", validator=_choice(REBOOT_MODES))
    #: Guests per `getVirtualGuests` page (`resultLimit`), 1 to 1000.
    page_size: int = attrs.field(default=100, validator=_page_size)
    #: Seconds to wait for a connection to the endpoint, and for an answer.
    connect_timeout: float = attrs.field(default=5.0, validator=_at_least(0.01))
    read_timeout: float = attrs.field(default=60.0, validator=_at_least(0.01))
    #: HTTP connections kept open to the endpoint, and the most calls in flight at once.
    max_connections: int = attrs.field(default=32, validator=_at_least(1))


@attrs.frozen
class SoftLayerCredentials:
    """A SoftLayer API user and its API key (the region's `credentials`; sealed, never logged).

    An IBM Cloud API key works too, with the user name `apikey`.
    """

    username: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))
    api_key: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))


DRIVER = DriverInfo(
    cloud_type="softlayer",
    factory="vertice_driver_softlayer.driver:SoftLayerDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.ADOPT,
        }
    ),
    settings=SoftLayerSettings,
    credentials=SoftLayerCredentials,
    requires=("SoftLayer",),
    description="SoftLayer / IBM Cloud classic virtual servers through softlayer-python",
)
