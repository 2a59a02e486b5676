"""The OpenNebula driver of vertice (`cloud_type` `opennebula`): region settings, entry point.

This module is what the registry imports to validate a region's settings and
to list drivers, so it must stay light: it never imports pyone. The driver
itself lives in `vertice_driver_opennebula.driver` and is imported only when a
region of type `opennebula` is reconciled.

A region of type `opennebula` names oned's XML-RPC endpoint in its `endpoint`
(`http://one.example:2633/RPC2`); its `settings` are an `OpenNebulaSettings`
and its `credentials` an `OpenNebulaCredentials` (sealed at rest, never
returned by the API).
"""

from __future__ import annotations

from typing import Any

import attrs

from vertice_core.driver import Capability, DriverInfo

__all__ = ["DRIVER", "OpenNebulaCredentials", "OpenNebulaSettings"]


def _at_least(minimum: float) -> Any:
    """An attrs validator: the number (or every value of a mapping) is at least `minimum`."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        values = value.values() if isinstance(value, dict) else [value]
        for item in values:
            if item < minimum:
                raise ValueError(f"{attribute.name}: {item!r} must be at least {minimum:g}")

    return check


def _page_size(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 10 <= value <= 10_000:
        raise ValueError(f"{attribute.name}: must be between 10 and 10000")


@attrs.frozen
class OpenNebulaSettings:
    """How vertice launches in one OpenNebula cloud (the region's `settings`)."""

    #: The VM template instantiated for each plan image (`"1_virtualmachine_ubuntu": 7`).
    #: Any unmapped image fails the assembly with reason `ImageNotMapped`.
    templates: dict[str, int] = attrs.field(factory=dict, validator=_at_least(0))
    #: The virtual network of the VM's first NIC (its private address); -1: the
    #: template's own NICs are kept.
    network_id: int = attrs.field(default=-1, validator=_at_least(-1))
    #: A second NIC on this virtual network gives the VM its public address; -1: none.
    public_network_id: int = attrs.field(default=-1, validator=_at_least(-1))
    #: Place VMs in this cluster only (`SCHED_REQUIREMENTS`); -1: wherever the scheduler likes.
    cluster_id: int = attrs.field(default=-1, validator=_at_least(-1))
    #: Physical CPU share per virtual CPU of a flavor (OpenNebula's `CPU` = `VCPU` x ratio).
    cpu_ratio: float = attrs.field(default=1.0, validator=_at_least(0.01))
    #: More contextualization variables for every VM (`{"SET_HOSTNAME": "$NAME"}`);
    #: vertice's own (`NETWORK`, `SSH_PUBLIC_KEY`, `PASSWORD_BASE64`, `USER_DATA`) win.
    context: dict[str, str] = attrs.Factory(dict)
    #: VMs per `one.vmpool.infoextended` page (10 to 10000).
    page_size: int = attrs.field(default=500, validator=_page_size)
    #: Narrow listings with oned's search filter (`VM.USER_TEMPLATE.VERTICE_...=...`, MySQL
    #: backends). A backend that cannot search is detected and listed unfiltered instead.
    search_filter: bool = True
    #: Seconds after a `terminate` that OpenNebula acknowledged but did not carry out
    #: before a delete escalates to `terminate-hard`.
    hard_terminate_after: float = attrs.field(default=120.0, validator=_at_least(0))
    #: Seconds `resize` waits for a running VM to power off (oned resizes a VM that runs
    #: nothing) before it answers ResizeInProgress; the next call carries on.
    resize_wait: float = attrs.field(default=30.0, validator=_at_least(0))
    #: Seconds to wait for a connection to oned.
    connect_timeout: float = attrs.field(default=5.0, validator=_at_least(0.01))
    #: Seconds to wait for an answer.
    read_timeout: float = attrs.field(default=30.0, validator=_at_least(0.01))
    #: HTTP connections kept open to oned, and the most calls in flight at once.
    max_connections: int = attrs.field(default=32, validator=_at_least(1))
    #: Check oned's TLS certificate (an `https://` endpoint).
    verify_tls: bool = True


@attrs.frozen
class OpenNebulaCredentials:
    """An OpenNebula user and password (the region's `credentials`; sealed, never logged)."""

    user: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))
    password: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))


DRIVER = DriverInfo(
    cloud_type="opennebula",
    factory="vertice_driver_opennebula.driver:OpenNebulaDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.HARD_REBOOT,
            Capability.HARD_STOP,
            Capability.SUSPEND,
            Capability.ADOPT,
            Capability.RESIZE,
            Capability.SNAPSHOT,
        }
    ),
    settings=OpenNebulaSettings,
    credentials=OpenNebulaCredentials,
    requires=("pyone",),
    description="OpenNebula (oned's XML-RPC API) through pyone",
)
