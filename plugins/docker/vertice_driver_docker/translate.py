"""Between vertice's words and the engine's: states, names, create arguments, listings.

Pure functions on plain data (the JSON the engine's API speaks); nothing here
calls the engine, so it is all tested as tables.

A container is an installation's when it carries the installation's label (the driver
made it) or when it carries no installation label and holds a name the driver gives
(`container_name`): Docker's labels cannot change once a container is made, so
`DockerDriver.adopt` marks an adopted container by renaming it, and its tags are read
back from its name (`adopted_tags`).
"""

from __future__ import annotations

import io
import ipaddress
import re
import tarfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    Instance,
    InstanceSpec,
    InstanceState,
    SizeSpec,
)
from vertice_driver_docker import DockerSettings

#: The engine's container states (`State` in a listing) and what they mean to vertice.
#: `paused` counts as stopped, so the reconciler starts (unpauses) it when the spec says
#: running. `created` is a container vertice made but never started: a crash between the
#: engine's create and start, or a start the engine refused. Its launch files may be
#: missing, so it counts as broken and the reconciler replaces it.
STATES: Mapping[str, InstanceState] = {
    "created": InstanceState.ERROR,
    "running": InstanceState.RUNNING,
    "paused": InstanceState.STOPPED,
    "restarting": InstanceState.PENDING,
    "exited": InstanceState.STOPPED,
    "dead": InstanceState.ERROR,
    "removing": InstanceState.TERMINATED,
}

#: What a container name may hold (the engine's rule), and the prefix of vertice's names.
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]")
NAME_PREFIX = "vt"

#: Where launch credentials are written inside the container.
AUTHORIZED_KEYS = "root/.ssh/authorized_keys"
ROOT_PASSWORD_FILE = "run/secrets/vertice/root_password"  # noqa: S105 -- a path

MIB = 1024 * 1024
#: `NanoCpus` of one CPU (the engine counts CPUs in units of 10^-9).
NANO_CPUS = 1_000_000_000
#: The CFS period (microseconds) of a container given `CpuQuota` without `CpuPeriod`: the
#: kernel's default, 100 ms.
CFS_PERIOD = 100_000


def state_of(engine_state: str) -> InstanceState:
    """The instance state of an engine container state (unknown ones: UNKNOWN)."""
    return STATES.get(engine_state.lower(), InstanceState.UNKNOWN)


def container_name(installation_id: str, key: str) -> str:
    """The container's name: unique per installation and key, so the engine refuses a second.

    The engine answers 409 Conflict to a create whose name is taken, which is
    how a repeated create finds the first one's container.
    """
    return _NAME_UNSAFE.sub("-", f"{NAME_PREFIX}-{installation_id}-{key}")


def name_prefix(installation_id: str) -> str:
    """How the names of the installation's containers start (`vt-<installation>-`).

    The trailing hyphen keeps installation `vti-1` from claiming the names of `vti-10`.
    The prefix is unambiguous while no installation id is another's followed by a hyphen
    and more, which ids of the form `vti-<16 hex digits>` never are.
    """
    return container_name(installation_id, "")


def is_vertice_name(name: str) -> bool:
    """Whether the name is one some installation gave (made or adopted the container)."""
    return name.startswith(f"{NAME_PREFIX}-")


def name_of(summary: Mapping[str, Any]) -> str:
    """The container's own name in a listing, without its slash (a legacy link adds
    names such as `/web/db` to `Names`; the container's own has no other slash)."""
    names = [str(n).lstrip("/") for n in summary.get("Names") or []]
    own = [n for n in names if "/" not in n]
    return (own or names or [""])[0]


def assembly_of(key: str) -> str:
    """The assembly id of an instance key: the key up to its last hyphen.

    Keys are `<assembly_id>-<n>` or `<assembly_id>-r<o>i<n>` (`instance_key`): the part
    after the id never holds a hyphen.
    """
    return key.rpartition("-")[0] or key


def adopted_tags(name: str, installation_id: str) -> dict[str, str]:
    """The tags a container named `name` carries for the installation once adopted
    ({} when the name is not one of the installation's).

    `TAG_KEY` is the rest of the name after the installation's prefix: keys hold only
    lower-case letters, digits and hyphens, which `container_name` keeps as they are.
    `TAG_PROJECT` cannot be read from a name, so an adopted container lacks it (it is
    only informative: the assembly's row holds the project).
    """
    prefix = name_prefix(installation_id)
    key = name.removeprefix(prefix)
    if not name.startswith(prefix) or not key:
        return {}
    return {TAG_INSTALLATION: installation_id, TAG_KEY: key, TAG_ASSEMBLY: assembly_of(key)}


def is_ours(summary: Mapping[str, Any], installation_id: str) -> bool:
    """Whether the listed container is the installation's: made by it (its label), or
    adopted by it (no installation label, a name of the installation's)."""
    owner = (summary.get("Labels") or {}).get(TAG_INSTALLATION)
    if owner:
        return bool(owner == installation_id)
    return bool(adopted_tags(name_of(summary), installation_id))


def is_unmanaged(summary: Mapping[str, Any]) -> bool:
    """Whether no installation made or adopted the listed container: no installation
    label (a blank one, passed on by a snapshot's image, counts as none) and no name
    vertice gives."""
    owner = (summary.get("Labels") or {}).get(TAG_INSTALLATION)
    return not owner and not is_vertice_name(name_of(summary))


def own_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """A container's labels without the blank vertice ones a snapshot's image passes on
    to the containers run from it (`snapshots`): they say "not an instance"."""
    return {k: v for k, v in labels.items() if v or not k.startswith("vertice-")}


def image_reference(settings: DockerSettings, plan_image: str) -> str:
    """The image reference a plan image runs as (the region's mapping, else itself)."""
    return settings.images.get(plan_image, plan_image)


def create_arguments(spec: InstanceSpec, settings: DockerSettings, name: str) -> dict[str, Any]:
    """The keyword arguments of `containers.create` for `spec`.

    `spec.command` becomes the container's entrypoint and `spec.args` its command
    (Docker's `CMD`), Kubernetes' mapping: a command without args runs with none,
    since the engine drops the image's `CMD` when an entrypoint is given. Both are
    lists, never a shell string. `spec.env` becomes the environment.
    """
    limits = size_limits(spec.size)
    arguments: dict[str, Any] = {
        # A snapshot's image (its id) when launched from one, else the plan's.
        "image": spec.image_id or image_reference(settings, spec.image),
        "name": name,
        "labels": {**spec.tags, TAG_KEY: spec.key},
        "environment": dict(spec.env),
        "ports": {f"{port}/tcp": None for port in spec.ports},
        # The flavor's limits, as `resize` sets them (`size_limits`).
        "nano_cpus": limits["NanoCpus"],
        "mem_limit": limits["Memory"],
        "memswap_limit": limits["MemorySwap"],
        # An init process as PID 1 forwards SIGTERM and reaps children: stop is prompt.
        "init": True,
        "detach": True,
    }
    if spec.command is not None:
        arguments["entrypoint"] = list(spec.command)
    if spec.args is not None:
        arguments["command"] = list(spec.args)
    if settings.network:
        arguments["network"] = settings.network
    return arguments


def size_limits(size: SizeSpec) -> dict[str, int]:
    """The engine's limits (`HostConfig` fields) for a flavor, set by `create` and `resize`
    alike: `NanoCpus` its CPUs, `Memory` its MiB, and `MemorySwap` (memory plus swap) twice
    `Memory`: what the engine itself sets for a memory limit given alone (as much swap as
    memory, where the host has swap), given here so that `docker update`, which keeps the
    swap limit a container has and refuses a memory limit above it, sets it too."""
    memory = size.ram * MIB
    return {"NanoCpus": size.cpu * NANO_CPUS, "Memory": memory, "MemorySwap": 2 * memory}


def limits_of(host_config: Mapping[str, Any]) -> tuple[int, int]:
    """The CPUs (in `NanoCpus`) and memory (bytes) a container is limited to, from its
    `HostConfig` (`GET /containers/{id}/json`): its `NanoCpus`, or for a container made with
    `CpuQuota`/`CpuPeriod` instead (`docker run --cpu-quota`) its quota per period; 0 where
    there is no limit."""
    nano = int(host_config.get("NanoCpus") or 0)
    quota, period = int(host_config.get("CpuQuota") or 0), int(host_config.get("CpuPeriod") or 0)
    if not nano and quota > 0:
        nano = quota * NANO_CPUS // (period or CFS_PERIOD)
    return nano, int(host_config.get("Memory") or 0)


def update_body(host_config: Mapping[str, Any], size: SizeSpec) -> dict[str, int]:
    """The body of `POST /containers/{id}/update` giving a container the limits of `size`.

    `NanoCpus`, `Memory` and `MemorySwap` (`size_limits`); but a container limited by
    `CpuQuota` or `CpuPeriod` (one made by hand, then adopted) gets its CPUs as a quota of
    its period: the engine refuses to set `NanoCpus` once either is set, and the other
    way round (409 "Conflicting options").
    """
    limits = size_limits(size)
    quota, period = int(host_config.get("CpuQuota") or 0), int(host_config.get("CpuPeriod") or 0)
    if quota > 0 or period > 0:
        period = period or CFS_PERIOD
        cpus = {"CpuQuota": size.cpu * period, "CpuPeriod": period}
    else:
        cpus = {"NanoCpus": limits["NanoCpus"]}
    return {**cpus, "Memory": limits["Memory"], "MemorySwap": limits["MemorySwap"]}


def launch_archive(spec: InstanceSpec) -> bytes | None:
    """A tar of the launch credentials to copy into the container's `/` (None if none).

    The SSH key goes to `/root/.ssh/authorized_keys` (mode 0600, folder 0700), the root
    password to `/run/secrets/vertice/root_password` (0400): files, not environment
    variables, so `docker inspect` never shows them.
    """
    files: list[tuple[str, bytes, int]] = []
    if spec.ssh_public_key:
        files.append((AUTHORIZED_KEYS, spec.ssh_public_key.strip().encode() + b"\n", 0o600))
    if spec.root_password:
        files.append((ROOT_PASSWORD_FILE, spec.root_password.encode(), 0o400))
    if not files:
        return None
    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        folders = sorted({p for path, _, _ in files for p in _parents(path)})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o700, now
            archive.addfile(info)
        for path, content, mode in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(content), mode, now
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def default_public_address(settings: DockerSettings) -> str:
    """Where published ports are reachable: the setting, else the engine's host."""
    if settings.public_address:
        return settings.public_address
    if settings.base_url.startswith("tcp://"):
        host = settings.base_url.removeprefix("tcp://").rsplit(":", 1)[0]
        return host.strip("[]") or "127.0.0.1"
    return "127.0.0.1"


def is_ipv4(text: str) -> bool:
    """Whether `text` is an IPv4 address."""
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address)
    except ValueError:
        return False


def instance_of(
    summary: Mapping[str, Any], public_address: str, installation_id: str = ""
) -> Instance:
    """The instance a container of the engine's listing (`GET /containers/json`) stands for.

    Its tags are its labels; one with no installation label that `installation_id`
    adopted (named for it) also gets the tags its name gives (`adopted_tags`).
    """
    labels: dict[str, str] = dict(summary.get("Labels") or {})
    if not labels.get(TAG_INSTALLATION):
        labels = own_labels(labels)
        if installation_id:
            labels.update(adopted_tags(name_of(summary), installation_id))
    created = summary.get("Created")
    return Instance(
        key=labels.get(TAG_KEY) or name_of(summary),
        cloud_id=str(summary["Id"]),
        state=state_of(str(summary.get("State", ""))),
        public_ipv4=public_address if is_ipv4(public_address) else "",
        private_ipv4=private_ipv4(summary),
        access=published(summary.get("Ports") or [], public_address),
        tags=labels,
        created_at=datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None,
    )


def private_ipv4(summary: Mapping[str, Any]) -> str:
    """The container's address on its (first) network, '' when it has none (stopped)."""
    networks = (summary.get("NetworkSettings") or {}).get("Networks") or {}
    for name in sorted(networks):
        address = (networks[name] or {}).get("IPAddress") or ""
        if address:
            return str(address)
    return ""


def published(ports: list[Mapping[str, Any]], public_address: str) -> tuple[str, ...]:
    """`host:port` of each published TCP port, ordered by the container's port.

    The engine binds a port on IPv4 and IPv6 (sometimes to different host ports);
    the IPv4 binding is the one reported.
    """
    ipv4: dict[int, int] = {}
    ipv6: dict[int, int] = {}
    for port in ports:
        public, private = port.get("PublicPort"), port.get("PrivatePort")
        if not public or not isinstance(private, int) or port.get("Type", "tcp") != "tcp":
            continue
        family = ipv6 if ":" in str(port.get("IP", "")) else ipv4
        family.setdefault(private, int(public))
    chosen = {**ipv6, **ipv4}
    host = f"[{public_address}]" if ":" in public_address else public_address
    return tuple(f"{host}:{chosen[private]}" for private in sorted(chosen))
