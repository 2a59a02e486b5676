"""The `docker` driver's verbs: one engine per region, one container per instance.

* `observe` is one listing (`GET /containers/json?all=1`, unfiltered: the engine
  cannot filter by "this label, or else this name"), of which the installation's
  containers are kept: those labelled with it (made by it, whatever their name now)
  and those with no installation label holding a name it gives (adopted by it,
  `container_name`). Containers of other installations, and containers no one made
  or adopted, are never seen and so never touched.
* `create` is idempotent on the spec's key through the container's name: a
  second create gets 409 Conflict from the engine and takes the container
  that holds the name (after checking it is this key's: labelled so, or adopted).
  A container found never started (a crash between create and start) is
  given its launch files and started.
* `start`, `stop`, `reboot` and `delete` are idempotent; deleting a container
  that is gone (or already being removed) succeeds. `hard_stop` and `hard_reboot`
  are `stop` and `restart` without the grace period: the processes are killed.
* Adoption (`unmanaged`, `adopt`): labels cannot change once a container is made, so
  adopting a container renames it to the name the driver gives the key's container
  (`POST /containers/{id}/rename`, which neither stops nor restarts it); its tags are
  then read from that name (`translate.adopted_tags`, without `TAG_PROJECT`). The
  rename changes the container's name on its networks too: peers reaching it by its
  old name (not by a network alias) no longer do.
* Day 2: `snapshot` commits a container into an image of the installation (see
  `snapshots`); `resize` changes a container's CPU and memory limits in place with
  `docker update` (see `resizing`): it keeps running, not restarted, and a stopped one
  stays stopped. The engine's container listing does not show a container's CPU and
  memory, so `Instance.size` stays '' (one inspect per container and pass would be
  needed); the reconciler records the flavor an instance runs in its own rows.
* `watch` follows the engine's event stream and calls back when a container of the
  installation dies, stops, is paused or removed (see `watching`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
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
    SizeSpec,
)
from vertice_core.errors import QuotaExceeded, TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_docker import DockerCredentials, DockerSettings, resizing, snapshots, watching
from vertice_driver_docker.client import Engine, translated
from vertice_driver_docker.translate import (
    MIB,
    adopted_tags,
    container_name,
    create_arguments,
    default_public_address,
    instance_of,
    is_ours,
    is_unmanaged,
    is_vertice_name,
    launch_archive,
    name_of,
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

    def _instance(self, summary: dict[str, Any]) -> Instance:
        return instance_of(summary, self.public_address, self.region.installation_id)

    def _listed(self) -> list[Instance]:
        """The installation's containers, made or adopted, from one listing of all (a
        label filter would miss the adopted, a name filter the made ones renamed since)."""
        installation = self.region.installation_id
        summaries = self._api.containers(all=True)
        return [self._instance(s) for s in summaries if is_ours(s, installation)]

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

    def _check_flavor(self, size: SizeSpec) -> None:
        cpus, ram = self.capacity()
        if size.cpu > cpus or size.ram > ram:
            raise QuotaExceeded(
                f"docker: flavor {size.name!r} needs {size.cpu} CPUs and "
                f"{size.ram} MiB; the engine has {cpus} CPUs and {ram} MiB"
            )

    def _check_count(self, spec: InstanceSpec, limit: int) -> None:
        live = [i for i in self._listed() if i.state is not InstanceState.TERMINATED]
        if spec.key not in {i.key for i in live} and len(live) >= limit:
            raise QuotaExceeded(
                f"docker: the region holds at most {limit} containers of this installation"
            )

    # -- the driver interface --

    def observe(self) -> Iterator[Instance]:
        """Every container this installation made or adopted, in one listing."""
        with translated("observe"):
            found = self._listed()
        yield from found

    def create(self, spec: InstanceSpec) -> Instance:
        """Create and start the container of `spec.key`, or adopt the one holding its name."""
        self._check_flavor(spec.size)
        name = container_name(self.region.installation_id, spec.key)
        with translated("create", spec.key):
            container_id = self._make(name, spec)
            summary = self._summary(container_id)
            if summary.get("State") == "created":  # made, never started: launch it now
                self._launch(container_id, spec)
                summary = self._summary(container_id)
        return self._instance(summary)

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
                return self._holder(name, spec)
        return str(created.id)

    def _summary(self, container_id: str, doing: str = "created") -> dict[str, Any]:
        """The container's entry in the engine's listing (gone: TerminalError `NotFound`)."""
        found = self._api.containers(all=True, filters={"id": container_id})
        if not found:
            raise TerminalError(
                f"docker: container {container_id} vanished while it was {doing}",
                reason="NotFound",
            )
        return dict(found[0])

    def _holder(self, name: str, spec: InstanceSpec) -> str:
        """The id of the container holding `name`, if it is this key's (409 on create):
        labelled with the installation and the key, or adopted (no installation label:
        the name, the key's, is the mark)."""
        details = self._api.inspect_container(name)
        labels = (details.get("Config") or {}).get("Labels") or {}
        owner = labels.get(TAG_INSTALLATION)
        if owner and (owner != self.region.installation_id or labels.get(TAG_KEY) != spec.key):
            raise TerminalError(
                f"docker: the name {name} is taken by a container of another installation or key",
                reason="NameTaken",
            )
        return str(details["Id"])

    def _launch(self, container_id: str, spec: InstanceSpec) -> None:
        """Copy the launch credentials in, then start (a container never started yet)."""
        archive = launch_archive(spec)
        if archive is not None:
            self._api.put_archive(container_id, "/", archive)
        self._api.start(container_id)

    # -- adopting what already runs: by renaming it (the module's docstring) --

    def unmanaged(self) -> list[Instance]:
        """The engine's live containers no installation made or adopted, from one listing
        of all containers: their own labels as tags, key ''."""
        with translated("unmanaged"):
            summaries = self._api.containers(all=True)
        found = [
            attrs.evolve(instance_of(s, self.public_address), key="")
            for s in summaries
            if is_unmanaged(s)
        ]
        return [i for i in found if i.state is not InstanceState.TERMINATED]

    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Make the container this installation's instance `tags[TAG_KEY]` by renaming it
        to the key's container name, without stopping or restarting it.

        Its labels stay as they are: `observe` reads the installation, key and assembly
        from the name (`TAG_PROJECT` cannot be carried). A container named so already is
        returned as it is; one another installation made or adopted (its label, or a
        name vertice gives) is refused, reason `ManagedElsewhere`; one gone, `NotFound`.
        Two installations adopting one container at the same moment cannot both win, but
        the engine's rename has no condition: the one that renames last holds it.
        """
        installation = self.region.installation_id
        target = container_name(installation, self._adoption_key(tags))
        with translated("adopt", cloud_id):
            details = self._api.inspect_container(cloud_id)
            if _name(details) != target:
                _refuse_managed(details, cloud_id)
                self._rename(cloud_id, target)
            summary = self._summary(str(details["Id"]), "adopted")
        # Named so but another installation's (its label), or renamed again meanwhile.
        if name_of(summary) != target or not is_ours(summary, installation):
            raise TerminalError(f"docker: container {cloud_id} is managed elsewhere",
                                reason="ManagedElsewhere")  # fmt: skip
        return self._instance(summary)

    def _adoption_key(self, tags: Mapping[str, str]) -> str:
        """The key `tags` adopt a container as, checked to be this installation's and to
        survive in a container name as it is."""
        installation, key = tags.get(TAG_INSTALLATION, ""), tags.get(TAG_KEY, "")
        if installation != self.region.installation_id:
            raise TerminalError(
                f"docker: adopt for installation {installation!r} asked of the driver of "
                f"{self.region.installation_id!r}"
            )
        name = container_name(installation, key)
        if not key or adopted_tags(name, installation).get(TAG_KEY) != key:
            raise TerminalError(f"docker: key {key!r} cannot be carried by a container name")
        return key

    def _rename(self, cloud_id: str, target: str) -> None:
        """Rename the container to `target`; a concurrent adoption that did it already is a
        success, a name another container holds is refused (`NameTaken`)."""
        try:
            self._api.rename(cloud_id, target)
        except docker.errors.APIError as exc:
            if _name(self._api.inspect_container(cloud_id)) == target:
                return
            if exc.status_code == 409:
                raise TerminalError(
                    f"docker: cannot adopt {cloud_id} as {target}: another container holds "
                    "that name (the key has a container already)",
                    reason="NameTaken",
                ) from exc
            raise

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

    # -- day 2: resize is `docker update` (`resizing`) --

    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Give the container the CPU and memory limits of `size` in place: it keeps
        running (not restarted), a stopped one stays stopped; one that has them is left
        alone. A size larger than the engine is refused, `QuotaExceeded`, as on create."""
        resizing.check(size)
        self._check_flavor(size)
        with translated("resize", cloud_id):
            resizing.resize(self._api, cloud_id, size)

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

    # -- drift seen as it happens: the engine's events (`watching`) --

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        """Call `changed()` whenever a container of the installation dies, stops, is
        paused or removed, until `stop` is set (one `GET /events` stream, on this
        thread's own client)."""
        with translated("watch"):
            api = self._api  # the first call of all asks the engine for its API version
        watching.watch(api, self.region.installation_id, changed, stop)

    def close(self) -> None:
        """Close the engine's clients and remove the TLS files."""
        self.engine.close()


def _name(details: Mapping[str, Any]) -> str:
    """The container's name in `GET /containers/{id}/json`, without its slash."""
    return str(details.get("Name") or "").lstrip("/")


def _refuse_managed(details: Mapping[str, Any], cloud_id: str) -> None:
    """Refuse to adopt a container some installation made (its label) or adopted (a name
    vertice gives), this one included under another key: reason `ManagedElsewhere`."""
    owner = ((details.get("Config") or {}).get("Labels") or {}).get(TAG_INSTALLATION)
    name = _name(details)
    if owner or is_vertice_name(name):
        by = f"installation {owner}" if owner else f"its name {name}"
        raise TerminalError(
            f"docker: container {cloud_id} is managed already ({by})", reason="ManagedElsewhere"
        )
