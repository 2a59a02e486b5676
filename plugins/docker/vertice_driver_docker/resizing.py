"""Resizing on the Docker Engine: a container's CPU and memory limits changed in place.

`resize(container, size)` is `docker update`: `POST /containers/{id}/update` (Engine
API, "ContainerUpdate"), whose body holds `Resources` fields, a field absent or 0
being left as it is. It sends `NanoCpus`, `Memory` and `MemorySwap`, the limits
`create` gives a container of that size (`translate.size_limits`); `CpuQuota` and
`CpuPeriod` instead of `NanoCpus` for a container limited that way (`update_body`).
The engine writes a running (or paused) container's cgroup at once, so it keeps
running, neither stopped nor restarted, with its id, name and processes; a stopped
container keeps its new limits for its next start and stays stopped.

The container is inspected first: one that has the size's CPUs and memory already is
left alone (no update is sent), so resizing to the size it has changes nothing. The
engine's container listing does not show limits, so `Instance.size` stays ''.

`docker update` refuses a memory limit above the swap limit a container has unless the
swap limit is given too (409: "Memory limit should be smaller than already set
memoryswap limit"), hence `MemorySwap` always; it refuses memory limits under 6 MiB
(400: "Minimum memory limit allowed is 6MB") and more CPUs than the host has (400),
and cannot take a limit away (0 means "unchanged"): sizes it would refuse or ignore are
refused here first, TerminalError. A container that is gone is the engine's 404
(`NotFound`, through `client.translated`).
"""

from __future__ import annotations

from typing import Any

from vertice_core.driver import SizeSpec
from vertice_core.errors import TerminalError
from vertice_driver_docker.translate import limits_of, size_limits, update_body

#: The smallest memory limit (MiB) the engine accepts.
MIN_MEMORY_MIB = 6


def check(size: SizeSpec) -> None:
    """Refuse a size the engine would refuse, or would take as "unchanged" (0)."""
    if size.cpu < 1 or size.ram < MIN_MEMORY_MIB:
        raise TerminalError(
            f"docker: flavor {size.name!r} ({size.cpu} CPUs, {size.ram} MiB) cannot be set: "
            f"a container is resized to 1 CPU and {MIN_MEMORY_MIB} MiB at least"
        )


def resize(api: Any, cloud_id: str, size: SizeSpec) -> None:
    """Give the container the limits of `size` unless it has them (the module's docstring)."""
    details = api.inspect_container(cloud_id)
    host_config = details.get("HostConfig") or {}
    wanted = size_limits(size)
    if limits_of(host_config) == (wanted["NanoCpus"], wanted["Memory"]):
        return
    update(api, str(details["Id"]), update_body(host_config, size))


def update(api: Any, container_id: str, body: dict[str, int]) -> None:
    """`POST /containers/{id}/update` with `body`. The SDK's `update_container` has no
    `nano_cpus`, so the request is made with its own helpers, as its methods make theirs."""
    url = api._url("/containers/{0}/update", container_id)
    api._result(api._post_json(url, data=body), True)
