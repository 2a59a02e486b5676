"""The OpenStack driver of vertice (`cloud_type` `openstack`): region settings, entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports `openstack` (the SDK)
nor `keystoneauth1`. The driver itself lives in `vertice_driver_openstack.driver`
and is imported only when a region of type `openstack` is reconciled.

A region of type `openstack` names its Keystone in `settings.auth_url`, the
project to work in, the OpenStack region (`settings.region_name`, else the
region's `provider_region`) and the catalog interface; its `settings` are an
`OpenStackSettings` and its `credentials` an `OpenStackCredentials` (a user name
and password, or an application credential's id and secret; sealed at rest,
never returned by the API, never logged).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import attrs

from vertice_core.driver import Capability, DriverInfo

__all__ = ["DRIVER", "OpenStackCredentials", "OpenStackSettings"]

#: An OpenStack resource id (Glance images, Neutron networks): a UUID, any case, with or
#: without hyphens (Nova prints them with).
UUID = re.compile(r"[0-9A-Fa-f]{8}-?([0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}")
#: The catalog interfaces Keystone knows.
INTERFACES = ("public", "internal", "admin")
#: Nova's reboot types.
REBOOT_TYPES = ("SOFT", "HARD")
#: What a name of Nova or Glance may hold here (a flavor, an image, a security group, an
#: availability zone): printable, no control characters, at most 255 characters.
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,255}")


def is_uuid(text: str) -> bool:
    """Whether `text` is an OpenStack id (a UUID)."""
    return bool(UUID.fullmatch(text))


def _url(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{attribute.name}: {value!r} is not Keystone's URL, such as "
            "'https://keystone.example.com:5000/v3'"
        )
    if parts.username or parts.password:
        raise ValueError(f"{attribute.name}: must not hold a user or password")


def _names(kind: str) -> Any:
    """An attrs validator: every name (of a list, or every value of a map) is a `kind`."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        items = value.items() if isinstance(value, dict) else [("", v) for v in value]
        for key, name in items:
            if not _NAME.fullmatch(name) or name != name.strip():
                where = f" (for {key!r})" if key else ""
                raise ValueError(f"{attribute.name}: {name!r}{where} is not {kind}")

    return check


def _name_or_empty(kind: str) -> Any:
    """An attrs validator: the text is empty or a `kind`."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value and (not _NAME.fullmatch(value) or value != value.strip()):
            raise ValueError(f"{attribute.name}: {value!r} is not {kind}")

    return check


def _networks(_instance: Any, attribute: attrs.Attribute[Any], value: list[str]) -> None:
    for network in value:
        if not is_uuid(network):
            raise ValueError(
                f"{attribute.name}: {network!r} is not a network id (a UUID, as "
                "`openstack network list` shows)"
            )


def _choice(choices: tuple[str, ...]) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name}: {value!r} is not one of {list(choices)}")

    return check


def _at_least(minimum: float) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
        if value < minimum:
            raise ValueError(f"{attribute.name}: {value!r} must be at least {minimum:g}")

    return check


def _page_size(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= 1000:
        raise ValueError(f"{attribute.name}: must be between 1 and 1000")


def _one_of_pair(first: str, second: str, where: str) -> str | None:
    """The problem when both of a name/id pair are set, else None."""
    if first and second:
        return f"give the {where} by name or by id, not both"
    return None


@attrs.frozen
class OpenStackSettings:
    """How vertice reaches one OpenStack region and launches servers there (its `settings`)."""

    #: Keystone's URL, with or without its version (`https://keystone.example.com:5000` is
    #: discovered, `.../v3` used as is). Only Keystone v3 is spoken.
    auth_url: str = attrs.field(validator=_url)
    #: The project (tenant) servers are created in, by name (with its domain) or by id.
    #: Application credentials are bound to their project: leave both empty with them.
    project_name: str = ""
    project_id: str = ""
    #: The user's domain (password authentication), by name or by id (both empty:
    #: Keystone's `default` domain).
    user_domain_name: str = ""
    user_domain_id: str = ""
    #: The project's domain, by name or by id (both empty: the user's domain).
    project_domain_name: str = ""
    project_domain_id: str = ""
    #: The OpenStack region of the catalog (`RegionOne`); empty: the vertice region's
    #: `provider_region`; both empty: the catalog's compute endpoint, whatever its region.
    region_name: str = ""
    #: Which of the catalog's endpoints to call: `public`, `internal` or `admin`.
    interface: str = attrs.field(default="public", validator=_choice(INTERFACES))
    #: The image of each plan image (`"1_virtualmachine_ubuntu": "ubuntu-24.04"`): a Glance
    #: image id (a UUID, used as is) or name (looked up in Glance, the newest active one).
    #: A plan image that is itself a UUID is used as is; any other unmapped image fails.
    images: dict[str, str] = attrs.field(factory=dict, validator=_names("an image name or id"))
    #: The Nova flavor of each vertice flavor (`"small": "m1.small"`), by name or id. An
    #: unmapped flavor is the Nova flavor of the same name, else the smallest that fits its
    #: CPUs, memory and disk.
    flavors: dict[str, str] = attrs.field(factory=dict, validator=_names("a flavor name or id"))
    #: The networks (Neutron ids) of every server; empty: Nova's `auto` (the project's
    #: network, or one Neutron allocates).
    networks: list[str] = attrs.field(factory=list, validator=_networks)
    #: Security groups of every server, by name (empty: the project's `default`).
    security_groups: list[str] = attrs.field(
        factory=list, validator=_names("a security group name")
    )
    #: The availability zone servers are created in (empty: Nova chooses).
    availability_zone: str = attrs.field(default="", validator=_name_or_empty("a zone name"))
    #: Import the assembly's SSH key as a Nova key pair and boot with it (the key also
    #: travels in the cloud-init user data either way).
    import_key_pairs: bool = True
    #: How `reboot` restarts a server: `SOFT` (the guest is asked) or `HARD` (power cycle).
    reboot_type: str = attrs.field(default="SOFT", validator=_choice(REBOOT_TYPES))
    #: Servers per `GET /servers/detail` page (`limit`), 1 to 1000.
    page_size: int = attrs.field(default=100, validator=_page_size)
    #: Seconds to wait for each HTTP call (connection, then each read).
    timeout: float = attrs.field(default=30.0, validator=_at_least(0.01))
    #: HTTP connections kept open to the region's services, and the most calls in flight.
    max_connections: int = attrs.field(default=32, validator=_at_least(1))
    #: A PEM file of the certificate authorities to trust (empty: the system's).
    ca_bundle: str = ""
    #: Seconds for which a server of an earlier incarnation that Nova put in ERROR with a
    #: terminal fault (a disk too small for the image...) fails the create of the next one,
    #: while the image and flavor are the same; 0: never.
    fault_window: float = attrs.field(default=120.0, validator=_at_least(0))
    #: Seconds `resize` waits for Nova to finish a resize (and its confirmation) before it
    #: answers ResizeInProgress; the next call carries on from where Nova is.
    resize_wait: float = attrs.field(default=30.0, validator=_at_least(0))

    def __attrs_post_init__(self) -> None:
        for problem in (
            _one_of_pair(self.project_name, self.project_id, "project"),
            _one_of_pair(self.user_domain_name, self.user_domain_id, "user domain"),
            _one_of_pair(self.project_domain_name, self.project_domain_id, "project domain"),
        ):
            if problem is not None:
                raise ValueError(problem)


@attrs.frozen
class OpenStackCredentials:
    """Keystone credentials (the region's `credentials`; sealed at rest, never logged).

    Either a user name and password, or an application credential's id and secret
    (`openstack application credential create`), which carries its own project.
    """

    username: str = attrs.field(default="", repr=False)
    password: str = attrs.field(default="", repr=False)
    application_credential_id: str = attrs.field(default="", repr=False)
    application_credential_secret: str = attrs.field(default="", repr=False)

    @property
    def is_application_credential(self) -> bool:
        return bool(self.application_credential_id)

    def __attrs_post_init__(self) -> None:
        password = bool(self.username or self.password)
        application = bool(self.application_credential_id or self.application_credential_secret)
        if password and application:
            raise ValueError(
                "give a user name and password, or an application credential, not both"
            )
        if not (password or application):
            raise ValueError(
                "give username and password, or application_credential_id and "
                "application_credential_secret"
            )
        pairs = (
            ("username", self.username, "password", self.password),
            (
                "application_credential_id",
                self.application_credential_id,
                "application_credential_secret",
                self.application_credential_secret,
            ),
        )
        for first, first_value, second, second_value in pairs:
            if first_value and not second_value:
                raise ValueError(f"{second}: required with {first}")
            if second_value and not first_value:
                raise ValueError(f"{first}: required with {second}")


DRIVER = DriverInfo(
    cloud_type="openstack",
    factory="vertice_driver_openstack.driver:OpenStackDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.RESIZE,
            Capability.SNAPSHOT,
            Capability.HARD_REBOOT,
            Capability.SUSPEND,
            Capability.ADOPT,
        }
    ),
    settings=OpenStackSettings,
    credentials=OpenStackCredentials,
    requires=("openstack", "keystoneauth1"),
    description="OpenStack Nova servers through openstacksdk (Keystone v3, Glance images)",
)
