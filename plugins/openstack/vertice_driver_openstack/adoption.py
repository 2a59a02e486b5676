"""Adoption on OpenStack: servers made by hand become an installation's by their metadata.

A server is unmanaged while its Nova metadata holds no `vertice-installation` (or an
empty one). Nova cannot filter a listing on metadata, so `listing` pages through
the project's servers as `observe` does (`GET /servers/detail`) and keeps those on
this side.

`adopt` merges the installation's tags into the server's metadata with
`POST /servers/{id}/metadata`, which changes nothing else: the server is not
rebooted, its flavor, disks and addresses stay, and so does the metadata it had
(an operator's `owner`). Nova cannot set metadata on a condition, so two
installations adopting one server at the same moment may both write; the server is
read again afterwards, and the installation whose metadata did not stay is refused
when that reading shows it (which narrows the window, not closes it).

Functions of the driver (`OpenStackDriver`), as `day2`'s are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vertice_core.driver import TAG_INSTALLATION, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_openstack.client import call
from vertice_driver_openstack.states import is_gone
from vertice_driver_openstack.translate import instance_of, metadata_of, unmanaged_of
from vertice_drivers.adopting import check_tags, refuse_managed

if TYPE_CHECKING:
    from vertice_driver_openstack.driver import OpenStackDriver


def is_unmanaged(server: Mapping[str, Any]) -> bool:
    """Whether a server belongs to no installation."""
    return not (server.get("metadata") or {}).get(TAG_INSTALLATION)


def listing(driver: OpenStackDriver) -> list[Instance]:
    """The project's live servers of no installation, `key` '', from one paged listing
    of all its servers."""
    return [
        unmanaged_of(server)
        for server in driver.servers()
        if is_unmanaged(server) and not is_gone(server["status"], server["task_state"])
    ]


def adopt(driver: OpenStackDriver, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the live server `cloud_id` the installation's by merging `tags` into its
    metadata; see the module. A server with these tags already is returned after one
    look."""
    installation = driver.region.installation_id
    check_tags("openstack", installation, tags)
    wanted = metadata_of(tags)
    found = _owned_by(installation, _live(driver, cloud_id), wanted)
    if all(found["metadata"].get(name) == value for name, value in wanted.items()):
        return _observed(found, installation)
    call(
        f"POST /servers/{cloud_id}/metadata",
        lambda: driver.compute.set_server_metadata(cloud_id, **wanted),
    )
    # Read again: another installation's metadata that stayed means it adopted the
    # server at the same moment.
    return _observed(_owned_by(installation, _live(driver, cloud_id), wanted), installation)


def _live(driver: OpenStackDriver, cloud_id: str) -> dict[str, Any]:
    """The server's fields; TerminalError NotFound when Nova does not know it, or it is
    deleted or being deleted."""
    server = driver.server(cloud_id)
    if server is None or is_gone(server["status"], server["task_state"]):
        raise TerminalError(
            f"openstack: server {cloud_id} does not exist (any more)", reason="NotFound"
        )
    return server


def _owned_by(
    installation: str, server: dict[str, Any], wanted: Mapping[str, str]
) -> dict[str, Any]:
    """`server`, unless an installation manages it with metadata other than `wanted`:
    another installation, or this one under another key (TerminalError
    ManagedElsewhere)."""
    refuse_managed(f"openstack: server {server['id']}", server["metadata"], installation, wanted)
    return server


def _observed(server: dict[str, Any], installation: str) -> Instance:
    """The adopted server as `observe` lists it."""
    found = instance_of(server, installation)
    if found is None:  # its metadata changed under us (removed by hand): look again later
        raise TransientError(
            f"openstack: server {server['id']} lost the installation's metadata",
            reason="Conflict",
        )
    return found
