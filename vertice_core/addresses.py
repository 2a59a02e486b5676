"""Which network addresses the control plane must not be made to call, as pure checks.

Users and administrators write URLs the control plane then connects to (a build's
source, a region's endpoint). Some addresses reach what only the control plane's
own host should: its loopback services, and the clouds' **metadata services**
(`169.254.169.254` and the rest of IPv4 and IPv6 link-local space, Alibaba's
`100.100.100.200`, EC2's IPv6 `fd00:ec2::254`, GCE's `metadata.google.internal`),
which hand out the host's cloud credentials. Each caller picks what it refuses:
build sources refuse every local address (`is_local_address`), region endpoints
only link-local and metadata ones (`is_metadata_address`: a cloud's API on this
machine, a simulator or a private cloud's controller, is normal).

An address is read in every form a resolver accepts: IPv4 as `127.1`, `2130706433`
or `0x7f.1`, and IPv4 carried inside IPv6 (`::ffff:169.254.169.254`) as that IPv4.
"""

from __future__ import annotations

import ipaddress
import re
import socket

__all__ = ["METADATA", "METADATA_NAMES", "is_local_address", "is_metadata_address", "parse_address"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The metadata services that are not already link-local addresses.
METADATA = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)
#: Host names of metadata services.
METADATA_NAMES = frozenset({"metadata.google.internal"})


def parse_address(text: str) -> Address | None:
    """The address `text` names (in any form a resolver accepts), or None for a name."""
    try:
        address: Address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        if not re.fullmatch(r"[0-9A-Fa-fXx.]+", text):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if int(address) >> 32 == 0 else None
        )
        if carried is not None and int(address) > 1:
            return carried
    return address


def is_local_address(text: str) -> bool:
    """Whether an address (text) is loopback, link-local, unspecified or a metadata service."""
    address = parse_address(text)
    return address is not None and (
        address.is_loopback or address.is_unspecified or _metadata(address)
    )


def is_metadata_address(host: str) -> bool:
    """Whether a host name or address (text) is a metadata service or link-local."""
    name = host.lower().rstrip(".")
    if name in METADATA_NAMES:
        return True
    address = parse_address(name)
    return address is not None and _metadata(address)


def _metadata(address: Address) -> bool:
    return address.is_link_local or address in METADATA
