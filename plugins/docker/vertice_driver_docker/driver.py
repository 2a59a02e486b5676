"""The `docker` driver's verbs: one engine per region, one container per instance.

* `observe` is one listing (`GET /containers/json?all=1`) filtered by the
  installation's label: containers of other installations, and containers
  vertice did not make, are never seen and so never touched.
* `create` is idempotent on the spec's key through the container's name: a
  second create gets 409 Conflict from the engine and adopts the container
  that holds the name (after checking its labels say it is this key's).
  A container found never started (a crash between create and start) is
  given its launch files and started.
* `start`, `stop`, `reboot` and `delete` are idempotent; deleting a container
  that is gone (or already being removed) succeeds. `hard_stop` and `hard_reboot`
  are `stop` and `restart` without the grace period: the processes are killed.
* Day 2: `snapshot` commits a container into an image of the installation (see
  `snapshots`); `resize` is not claimed: the engine's container listing does not
  show a container's CPU and memory, so a resize could not be observed in the one
  listing a pass makes (`Instance.size`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors

from vertice_core.driver import (
    TAG_INSTALLATION,
    TAG_KEY,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
)
from vertice_core.errors import QuotaExceeded, TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_docker import DockerCredentials, DockerSettings, snapshots
from vertice_driver_docker.client import Engine, translated
from vertice_driver_docker.translate import (
    MIB,
    container_name,
    create_arguments,
    default_public_address,
    instance_of,
    launch_archive,
)

#: The sizes offered, (name, CPUs, MiB); those larger than the engine are left out.
FLAVOR_LADDER = (
    ("docker.nano", 1, 256),
    ("docker.small", 1, 1024),
    ("docker.medium", 2, 4096),
    ("docker.large", 4, 8192),
    ("docker.xlarge", 8, 16384),
    ("docker.2xlarge", 16, 32768),
)

#: Seconds the engine's CPU and memory totals are trusted before asking again.
CAPACITY_TTL = 60.0


class DockerDriver(Driver):
    """The `docker` driver: containers on one Docker Engine."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: DockerSettings = region.settings
        credentials: DockerCredentials = region.credentials
        self.engine = Engine(self.settings, credentials)
        self.public_address = default_public_address(self.settings)
        self._capacity: tuple[float, int, int] | None = None
        self._capacity_lock = threading.Lock()
        self._quota_lock = threading.Lock()

    # -- helpers --

    @property
    def _api(self) -> docker.APIClient:
        return self.engine.client().api

    def _label_filter(self) -> dict[str, str]:
        return {"label": f"{TAG_INSTALLATION}={self.region.installation_id}"}

    def _listed(self, filters: dict[str, Any]) -> list[Instance]:
        summaries = self._api.containers(all=True, filters=filters)
        return [instance_of(summary, self.public_address) for summary in summaries]

    def capacity(self) -> tuple[int, int]:
        """The engine's CPUs and memory in MiB (from `GET /info`, cached a minute)."""
        with self._capacity_lock:
            cached = self._capacity
        if cached is not None and time.monotonic() - cached[0] < CAPACITY_TTL:
            return cached[1], cached[2]
        with translated("info"):
            info = self._api.info()
        cpus, ram = int(info.get("NCPU") or 1), int(info.get("MemTotal") or 0) // MIB
        with self._capacity_lock:
            self._capacity = (time.monotonic(), cpus, ram)
        return cpus, ram

    def _check_flavor(self, spec: InstanceSpec) -> None:
        cpus, ram = self.capacity()
        if spec.size.cpu > cpus or spec.size.ram > ram:
            raise QuotaExceeded(
                f"docker: flavor {spec.size.name!r} needs {spec.size.cpu} CPUs and "
                f"{spec.size.ram} MiB; the engine has {cpus} CPUs and {ram} MiB"
            )

    def _check_count(self, spec: InstanceSpec, limit: int) -> None:
        live = [
            i for i in self._listed(self._label_filter()) if i.state is not InstanceState.TERMINATED
        ]
        if spec.key not in {i.key for i in live} and len(live) >= limit:
            raise QuotaExceeded(
                f"docker: the region holds at most {limit} containers of this installation"
            )

    # -- the driver interface --

    def observe(self) -> Iterator[Instance]:
        """Every container labelled with this installation, in one listing."""
        with translated("observe"):
            found = self._listed(self._label_filter())
        yield from found

    def create(self, spec: InstanceSpec) -> Instance:
        """Create and start the container of `spec.key`, or adopt the one holding its name."""
        self._check_flavor(spec)
        name = container_name(self.region.installation_id, spec.key)
        with translated("create", spec.key):
            container_id = self._make(name, spec)
            summary = self._summary(container_id)
            if summary.get("State") == "created":  # made, never started: launch it now
                self._launch(container_id, spec)
                summary = self._summary(container_id)
        return instance_of(summary, self.public_address)

    def _make(self, name: str, spec: InstanceSpec) -> str:
        """The id of the key's container: made now, or adopted (the engine's 409 on its name)."""
        limit = self.settings.max_containers
        # Creates of one pass run in parallel: count and create under one lock, or two
        # creates could both see room for one more (a limit per reconciler process).
        with self._quota_lock if limit is not None else contextlib.nullcontext():
            if limit is not None:
                self._check_count(spec, limit)
            try:
                created = self.engine.client().containers.create(
                    **create_arguments(spec, self.settings, name)
                )
            except docker.errors.APIError as exc:
                if exc.status_code != 409:
                    raise
                return self._adopt(name, spec)
        return str(created.id)

    def _summary(self, container_id: str) -> dict[str, Any]:
        """The container's entry in the engine's listing."""
        found = self._api.containers(all=True, filters={"id": container_id})
        if not found:
            raise TerminalError(f"docker: container {container_id} vanished while it was created")
        return dict(found[0])

    def _adopt(self, name: str, spec: InstanceSpec) -> str:
        """The id of the container holding `name`, if it is this key's (409 on create)."""
        details = self._api.inspect_container(name)
        labels = (details.get("Config") or {}).get("Labels") or {}
        if (
            labels.get(TAG_KEY) != spec.key
            or labels.get(TAG_INSTALLATION) != self.region.installation_id
        ):
            raise TerminalError(
                f"docker: the name {name} is taken by a container vertice does not manage",
                reason="NameTaken",
            )
        return str(details["Id"])

    def _launch(self, container_id: str, spec: InstanceSpec) -> None:
        """Copy the launch credentials in, then start (a container never started yet)."""
        archive = launch_archive(spec)
        if archive is not None:
            self._api.put_archive(container_id, "/", archive)
        self._api.start(container_id)

    def delete(self, cloud_id: str) -> None:
        """Remove the container (killing it); one already gone or going is a success."""
        with translated("delete", cloud_id):
            try:
                self._api.remove_container(cloud_id, force=True, v=True)
            except docker.errors.NotFound:
                return
            except docker.errors.APIError as exc:
                if exc.status_code == 409 and "already in progress" in str(exc.explanation):
                    return
                raise

    def start(self, cloud_id: str) -> None:
        """Start a stopped container, unpause a paused one; a running one is left alone."""
        with translated("start", cloud_id):
            try:
                self._api.start(cloud_id)
            except docker.errors.APIError as exc:
                if exc.status_code == 409 and "paused" in str(exc.explanation):
                    self._api.unpause(cloud_id)
                    return
                raise

    def stop(self, cloud_id: str) -> None:
        """Stop the container (SIGTERM, then SIGKILL after `stop_timeout`); idempotent."""
        with translated("stop", cloud_id):
            self._api.stop(cloud_id, timeout=self.settings.stop_timeout)

    def reboot(self, cloud_id: str) -> None:
        """Restart the container in place."""
        with translated("reboot", cloud_id):
            self._api.restart(cloud_id, timeout=self.settings.stop_timeout)

    def hard_reboot(self, cloud_id: str) -> None:
        """Kill the container's processes and start it again (a restart with no grace);
        a stopped container is left alone."""
        with translated("hard_reboot", cloud_id):
            state = self._api.inspect_container(cloud_id).get("State") or {}
            if state.get("Running") or state.get("Restarting"):
                self._api.restart(cloud_id, timeout=0)

    def hard_stop(self, cloud_id: str) -> None:
        """Kill the container (SIGKILL, no grace); a stopped one is left alone."""
        with translated("hard_stop", cloud_id):
            self._api.stop(cloud_id, timeout=0)

    def suspend(self, cloud_id: str) -> None:
        """Pause the container (the cgroup freezer: its processes keep their memory and
        run nothing until `start` unpauses them); a paused or stopped one is left alone."""
        with translated("suspend", cloud_id):
            state = self._api.inspect_container(cloud_id).get("State") or {}
            if state.get("Running") and not state.get("Paused"):
                self._api.pause(cloud_id)

    def flavors(self) -> list[CloudFlavor]:
        """The sizes of a fixed ladder that fit the engine's CPUs and memory."""
        cpus, ram = self.capacity()
        fitting = [CloudFlavor(n, c, r) for n, c, r in FLAVOR_LADDER if c <= cpus and r <= ram]
        return fitting or [CloudFlavor("docker.engine", cpus, max(ram, 1))]

    def images(self) -> list[CloudImage]:
        """The tagged images the engine holds (one listing)."""
        with translated("images"):
            summaries = self._api.images()
        found = []
        for summary in summaries:
            tags = [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"]
            if tags:
                found.append(CloudImage(str(summary["Id"]), tags[0], ", ".join(tags[1:])))
        return sorted(found, key=lambda image: image.name)

    # -- day 2: snapshots are committed images (`snapshots`) --

    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        """Commit the container into the installation's image `name` (once per name)."""
        with translated("snapshot", cloud_id):
            return snapshots.snapshot(self._api, self.region.installation_id, cloud_id, name)

    def snapshots(self) -> list[CloudImage]:
        """The installation's snapshot images, in one listing."""
        with translated("snapshots"):
            return snapshots.snapshots(self._api, self.region.installation_id)

    def delete_snapshot(self, image_id: str) -> None:
        """Remove one of the installation's snapshot images (gone already: a success)."""
        with translated("delete_snapshot", image_id):
            snapshots.delete_snapshot(self._api, self.region.installation_id, image_id)

    def close(self) -> None:
        """Close the engine's clients and remove the TLS files."""
        self.engine.close()
