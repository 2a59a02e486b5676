"""The `gce` driver's verbs: observe, create, delete, start, stop, reboot, suspend, flavors,
images, unmanaged, adopt, and the day-2 ones: resize, snapshot, snapshots, delete_snapshot.

One set of REST clients per region (zone). Every instance vertice creates is
named from its key and carries the installation's id, the assembly's id, the
key and the project as labels; `observe` lists them with one paged
`instances.list` filtered by the installation label.

Operations are never waited on: `create` does not wait for boot, and neither
does any other verb; the next observation tells. `create` sends GCE's own
idempotency token, a `request_id` derived from the key, so a retried insert
returns the first insert's operation instead of creating again. What that
operation says decides the outcome:

* still PENDING or RUNNING: the instance is on its way (a pending instance);
* DONE: the instance is fetched and returned; if it is gone since (deleted
  behind vertice's back), the insert is retried under a new request id;
* DONE with an error: reported as the create's error while the failure is
  recent (`failed_insert_window`); a later create of the key retries under a
  new request id derived from the failed operation, so every reconciler
  derives the same id and a retry still never creates twice.

A name that is already taken (409 alreadyExists, when the request id was
forgotten) is adopted when the instance has this installation's key label.
An instance made by hand is adopted by labelling it (`instances.setLabels`
on its label fingerprint, no restart; `vertice_driver_gce.adoption`). `resize`
sets the machine type of a stopped instance (a running one is stopped and started
again), and a snapshot is a custom image of the boot disk, which `create` takes
as `image_id` (`vertice_driver_gce.day2`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from google.cloud import compute_v1
from requests.adapters import DEFAULT_POOLSIZE

from vertice_core.driver import (
    TAG_INSTALLATION,
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import TerminalError, TransientError, UnavailableError
from vertice_core.model.status import InstanceState
from vertice_driver_gce import GceSettings, adoption, day2
from vertice_driver_gce.client import (
    AlreadyExists,
    call,
    call_unless_absent,
    make_clients,
    operation_error,
    project_of,
    request_id,
    zone_of,
)
from vertice_driver_gce.images import RETIRED, image_path, list_images, resolve_image
from vertice_driver_gce.translate import (
    instance_name,
    instance_of,
    instance_resource,
    label_value,
    metadata_of,
)
from vertice_drivers.slots import CallSlots, bounded

#: Most inserts one `create` sends while moving past failed or vanished earlier attempts.
_ATTEMPTS = 4
#: The statuses of an instance that runs nothing (or is on its way to): `suspend` sends nothing.
_AT_REST = frozenset(
    {"TERMINATED", "STOPPED", "STOPPING", "PENDING_STOP", "SUSPENDED", "SUSPENDING"}
)


class GceDriver(Driver):
    """The `gce` driver: Compute Engine instances of one zone, through the REST API."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: GceSettings = region.settings
        self.zone = zone_of(region)
        self.project = project_of(region)
        if not self.project:
            raise UnavailableError(
                f"region {region.name!r} names no project: set settings.project or use a "
                "service-account key with a project_id",
                reason="RegionMisconfigured",
            )
        self.clients = make_clients(region)
        self.instances = self.clients.instances
        self.machine_types = self.clients.machine_types
        self.images_client = self.clients.images
        # google-auth's AuthorizedSession pools keep requests' default size and cannot block.
        self.slots = CallSlots(DEFAULT_POOLSIZE)
        self.timeout = self.settings.timeout

    def _ours(self, instance: Instance) -> bool:
        # Checked again here: an endpoint may ignore the filter.
        return bool(instance.key) and (
            instance.tags.get(TAG_INSTALLATION) == self.region.installation_id
        )

    @bounded
    def observe(self) -> list[Instance]:
        """Every instance of this installation in the zone, all states, in pages."""
        request = compute_v1.ListInstancesRequest(
            project=self.project,
            zone=self.zone,
            filter=f'labels.{TAG_INSTALLATION} = "{label_value(self.region.installation_id)}"',
            max_results=self.settings.page_size,
        )

        def listing() -> list[Instance]:
            pages = self.instances.list(request=request, timeout=self.timeout, retry=None)
            return [instance_of(item) for item in pages]

        return [i for i in call("instances.list", listing) if self._ours(i)]

    @bounded
    def get(self, name: str) -> compute_v1.Instance | None:
        """The instance document of `name` (None when GCE does not know it)."""
        request = compute_v1.GetInstanceRequest(project=self.project, zone=self.zone, instance=name)
        found: list[compute_v1.Instance] = []
        present = call_unless_absent(
            "instances.get",
            lambda: found.append(
                self.instances.get(request=request, timeout=self.timeout, retry=None)
            ),
        )
        return found[0] if present else None

    @bounded
    def create(self, spec: InstanceSpec) -> Instance:
        """Insert the instance of `spec.key` (idempotent by request id and name); no waiting."""
        body = instance_resource(spec, self.settings, self.zone)
        after = ""
        for _ in range(_ATTEMPTS):
            request = compute_v1.InsertInstanceRequest(
                project=self.project,
                zone=self.zone,
                instance_resource=body,
                request_id=request_id(self.region.installation_id, spec.key, after),
            )
            try:
                operation = self._insert(request)
            except AlreadyExists:
                return self._adopt(spec)
            outcome = self._outcome(spec, operation)
            if isinstance(outcome, Instance):
                return outcome
            after = outcome
        raise TransientError(
            f"gce: instances.insert of {spec.key!r}: {_ATTEMPTS} attempts ended without an "
            "instance",
            reason="InsertNotSettled",
        )

    def _insert(self, request: compute_v1.InsertInstanceRequest) -> compute_v1.Operation:
        return call(
            "instances.insert",
            lambda: self.instances.insert_unary(request=request, timeout=self.timeout, retry=None),
            not_found="ResourceNotFound",
        )

    def _outcome(self, spec: InstanceSpec, operation: compute_v1.Operation) -> Instance | str:
        """The instance an insert's operation stands for, or the operation to move past."""
        name = instance_name(spec.key)
        if operation.status != compute_v1.Operation.Status.DONE:
            return Instance(
                key=spec.key, cloud_id=name, state=InstanceState.PENDING, tags=dict(spec.tags)
            )
        error = operation_error(operation, "instances.insert")
        if error is None:
            item = self.get(name)
            # Inserted by this key's request id, and deleted since: insert again.
            return instance_of(item) if item is not None else operation.name
        if isinstance(error, AlreadyExists):
            return self._adopt(spec)
        if self._recent(operation):
            raise error
        return operation.name

    def _recent(self, operation: compute_v1.Operation) -> bool:
        try:
            ended = datetime.fromisoformat(operation.end_time)
        except ValueError:
            return True
        age = (datetime.now(UTC) - ended).total_seconds()
        return age < self.settings.failed_insert_window

    def _adopt(self, spec: InstanceSpec) -> Instance:
        """The instance that already has the key's name, if it is this key's."""
        name = instance_name(spec.key)
        item = self.get(name)
        if item is None:
            raise TransientError(
                f"gce: instance {name!r} exists and vanished again (being deleted?)",
                reason="InstanceNotFound",
            )
        found = instance_of(item)
        if not (self._ours(found) and found.key == spec.key):
            raise TerminalError(
                f"gce: an instance named {name!r} already exists in zone {self.zone} and is "
                f"not vertice's instance of key {spec.key!r}",
                reason="NameTaken",
            )
        return found

    def act(self, action: str, method: Callable[..., compute_v1.Operation], name: str) -> None:
        """Call an instance verb (`stop_unary`...) on `name`; its operation is not waited on."""
        fields = {"project": self.project, "zone": self.zone, "instance": name}
        call(action, lambda: method(**fields, timeout=self.timeout, retry=None))

    @bounded
    def delete(self, cloud_id: str) -> None:
        """Delete the instance; one that does not exist (any more) is a success."""
        request = compute_v1.DeleteInstanceRequest(
            project=self.project, zone=self.zone, instance=cloud_id
        )
        call_unless_absent(
            "instances.delete",
            lambda: self.instances.delete_unary(request=request, timeout=self.timeout, retry=None),
        )

    def _status(self, action: str, cloud_id: str) -> str:
        """The instance's GCE status; TransientError InstanceNotFound when GCE does not know it."""
        item = self.get(cloud_id)
        if item is None:
            raise TransientError(
                f"gce: {action}: instance {cloud_id!r} is not known", reason="InstanceNotFound"
            )
        return item.status

    @bounded
    def start(self, cloud_id: str) -> None:
        """Start a stopped instance, resume a suspended one (a running one is left alone)."""
        status = self._status("instances.start", cloud_id)
        if status in ("RUNNING", "PROVISIONING", "STAGING"):
            return
        if status == "SUSPENDED":
            self.act("instances.resume", self.instances.resume_unary, cloud_id)
            return
        self.act("instances.start", self.instances.start_unary, cloud_id)

    @bounded
    def stop(self, cloud_id: str) -> None:
        """Stop a running instance (GCE leaves a stopped one alone)."""
        self.act("instances.stop", self.instances.stop_unary, cloud_id)

    @bounded
    def suspend(self, cloud_id: str) -> None:
        """Suspend a running instance (`instances.suspend`: its memory kept, SUSPENDING then
        SUSPENDED, which `start` resumes); one that runs nothing already (stopped, stopping,
        suspended, suspending) is left alone. In any other state the call is sent as `stop`
        sends its own: GCE refuses one still booting (resourceNotReady, transient)."""
        if self._status("instances.suspend", cloud_id) in _AT_REST:
            return
        self.act("instances.suspend", self.instances.suspend_unary, cloud_id)

    @bounded
    def reboot(self, cloud_id: str) -> None:
        """Reset the instance in place (same name, same disks, same addresses)."""
        self.act("instances.reset", self.instances.reset_unary, cloud_id)

    def zone_calls(self) -> adoption.Zone:
        """The instances client with the project, zone and timeout of its calls."""
        return adoption.Zone(self.instances, self.project, self.zone, self.timeout)

    @bounded
    def unmanaged(self) -> list[Instance]:
        """The zone's instances of no installation, in one paged `instances.list` of all of
        them (a filter cannot ask for a missing label)."""
        return adoption.listing(self.zone_calls(), self.settings.page_size)

    @bounded
    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Label the unmanaged instance `cloud_id` with `tags` (`instances.setLabels` on its
        label fingerprint: it keeps running, and keeps its own labels)."""
        return adoption.adopt(self.zone_calls(), self.region.installation_id, cloud_id, tags)

    @bounded
    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Set the machine type of `size` (`instances.setMachineType`, which GCE does to a
        TERMINATED instance only): a running instance is labelled `vertice-resize-restart`,
        stopped, changed and started again; a stopped one is changed and stays stopped. The
        label makes a later call finish what one cut short left (`day2.resize`)."""
        day2.resize(self, cloud_id, size)

    @bounded
    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        """The custom image of the instance's boot disk named after the installation and
        `name` (`images.insert`, forced: the instance keeps running), made now if there is
        none; returned PENDING (`day2.snapshot`)."""
        return day2.snapshot(self, cloud_id, name)

    @bounded
    def snapshots(self) -> list[CloudImage]:
        """The installation's snapshot images, in one paged `images.list` filtered by label."""
        return day2.snapshots(self)

    @bounded
    def delete_snapshot(self, image_id: str) -> None:
        """Delete the installation's snapshot image (`images.delete`); a gone one is a success,
        another image is refused (NotOurs)."""
        day2.delete_snapshot(self, image_id)

    @bounded
    def flavors(self) -> list[CloudFlavor]:
        """The zone's machine types the settings map flavors to (all offered ones when none is)."""
        wanted = set(self.settings.machine_types.values())
        request = compute_v1.ListMachineTypesRequest(
            project=self.project, zone=self.zone, max_results=500
        )

        def listing() -> list[compute_v1.MachineType]:
            pages = self.machine_types.list(request=request, timeout=self.timeout, retry=None)
            if wanted:
                return [item for item in pages if item.name in wanted]
            return [item for item in pages if item.deprecated.state not in RETIRED]

        flavors = [
            CloudFlavor(name=item.name, cpu=item.guest_cpus, ram=item.memory_mb)
            for item in call("machineTypes.list", listing, not_found="ResourceNotFound")
        ]
        return sorted(flavors, key=lambda f: (f.cpu, f.ram, f.name))

    @bounded
    def images(self) -> list[CloudImage]:
        """The mapped images (named by their plan image), then those of `image_projects`."""
        images: dict[str, CloudImage] = {}
        for plan_image, path in sorted(self.settings.images.items()):
            item = resolve_image(self.images_client, path, self.project, self.timeout)
            if item is not None:
                images[image_path(item)] = CloudImage(
                    id=image_path(item),
                    name=plan_image,
                    description=item.description or item.name,
                )
        for project in self.settings.image_projects or [self.project]:
            for item in list_images(self.images_client, project, self.timeout):
                images.setdefault(
                    image_path(item),
                    CloudImage(
                        id=image_path(item), name=item.name, description=item.description or ""
                    ),
                )
        return list(images.values())

    @bounded
    def launch_data(self, cloud_id: str) -> str:
        """The metadata the instance was launched with, as text (tests read it back)."""
        item = self.get(cloud_id)
        if item is None:
            return ""
        return "\n".join(f"{k}: {v}" for k, v in sorted(metadata_of(item).items()))

    def close(self) -> None:
        """Close the clients' HTTP sessions."""
        self.clients.close()
