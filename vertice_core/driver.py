"""The MultiCloud driver interface: what a driver must do, in types.

A driver serves one region of one cloud type. The reconciler constructs it
with a `RegionConfig` (the region's settings and decrypted credentials) and
calls only the verbs below. A driver holds its SDK client and nothing else:
the reconciler owns status, retries and polling.

The contract, checked by `vertice_drivers.testkit`:

* `observe()` lists every instance this installation manages in the region,
  in one paged listing filtered by the installation tag, never one call per
  instance. Instances the cloud still lists as terminated may be returned
  with state `TERMINATED`.
* `create(spec)` is idempotent on `spec.key`: the key goes into the instance's
  name or tags and into the cloud's own idempotency token where it has one;
  a second call with the same key returns the instance the first one made.
  It does not wait for boot.
* `create(spec)` runs what the spec says where the cloud can: a container
  driver passes `spec.command` (as the entrypoint), `spec.args` (as the
  default arguments) and `spec.env` (as the environment) to the container; a
  VM driver may ignore them (its image's init system decides what runs), but
  delivers `spec.program` (a source-built assembly's) with the rest of its
  cloud-init user data (`vertice_drivers.cloudinit.cloud_config`).
  `spec.env` and `spec.root_password` may hold secrets: never log them.
* `delete`, `start`, `stop`, `reboot` are idempotent: deleting an instance
  that is already gone succeeds.
* Day-2 operations are optional verbs, each gated by a `Capability` the driver
  claims: `resize` (`RESIZE`), `snapshot`, `snapshots`, `delete_snapshot`
  with `InstanceSpec.image_id` (`SNAPSHOT`), `hard_reboot` (`HARD_REBOOT`),
  `hard_stop` (`HARD_STOP`), `suspend` (`SUSPEND`: `start` resumes a suspended
  instance), `unmanaged` and `adopt` (`ADOPT`), the disk verbs of
  `vertice_core.driver_disks` (`DISKS`), and `watch` (`WATCH`: a blocking call
  that tells the reconciler at once when the cloud says an instance changed). A
  driver that does not claim one inherits verbs that raise `TerminalError` naming
  the capability and the cloud type; the testkit checks both the claims and that
  refusal.
* Errors are `vertice_core.errors.DriverError` subclasses, never SDK types.

A driver is published as an entry point in group `vertice.drivers` whose name
is the cloud type and whose object is a `DriverInfo`. The module holding the
`DriverInfo` must not import the SDK: the registry reads it to validate region
settings and to list drivers, and imports `DriverInfo.factory` only when a
region of that type is reconciled.
"""

from __future__ import annotations

import abc
import enum
import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs

from vertice_core.capability import Capability
from vertice_core.driver_disks import TAG_DISK, CloudDisk, DiskState, DiskVerbs
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_core.program import Program

__all__ = [
    "CONCURRENT_CALLS",
    "TAG_ASSEMBLY",
    "TAG_DISK",
    "TAG_INSTALLATION",
    "TAG_KEY",
    "TAG_PROJECT",
    "TAG_REVISION",
    "TAG_SNAPSHOT",
    "Capability",
    "CloudDisk",
    "CloudFlavor",
    "CloudImage",
    "DiskState",
    "Driver",
    "DriverInfo",
    "ImageState",
    "Instance",
    "InstanceSpec",
    "InstanceState",
    "NoCredentials",
    "NoSettings",
    "RegionConfig",
    "SizeSpec",
]

#: Driver calls a reconciler has in flight at once, unless configured otherwise
#: (`ReconcilerSettings.workers`, the size of its call pool): a driver's HTTP pool must
#: cope with this many (see docs/writing-a-driver.md, "Connections").
CONCURRENT_CALLS = 256

#: Tag (label) names every managed instance carries. Lower-case with hyphens: valid
#: as AWS/Azure tags, GCE labels and Docker labels alike.
TAG_INSTALLATION = "vertice-installation"
TAG_ASSEMBLY = "vertice-assembly"
TAG_KEY = "vertice-key"
TAG_PROJECT = "vertice-project"
#: Of an instance of an assembly built from source: the release (build revision) it runs.
TAG_REVISION = "vertice-revision"
#: Of an image `Driver.snapshot` made: the snapshot's name (with `TAG_INSTALLATION`).
TAG_SNAPSHOT = "vertice-snapshot"


class ImageState(enum.StrEnum):
    """Whether an image can be launched: a snapshot is pending while the cloud copies the disk."""

    PENDING = "pending"
    AVAILABLE = "available"
    #: The cloud failed to make it (or disabled it): it will never be launchable.
    ERROR = "error"


@attrs.frozen
class SizeSpec:
    """The flavor an instance is created with."""

    name: str
    cpu: int
    ram: int
    disk: int


@attrs.frozen
class InstanceSpec:
    """Everything a driver needs to create one instance."""

    #: The idempotency key: unique per installation, stable across retries and crashes.
    key: str
    assembly_id: str
    #: The assembly's human name (for display names; not unique).
    name: str
    project: str
    plan: str
    #: The plan's logical image; the driver maps it to a cloud image (region settings).
    #: Ignored when `image_id` is set.
    image: str
    size: SizeSpec
    #: Tags the instance must carry (installation, assembly, key, project).
    tags: Mapping[str, str]
    ssh_public_key: str = ""
    root_password: str = attrs.field(default="", repr=False)
    #: TCP ports to publish (the plan's `::env` `*.port` keys); drivers with
    #: `Capability.PUBLISH_PORTS` report where each is reachable as `Instance.access`.
    ports: tuple[int, ...] = ()
    #: Environment variables: the plan's `::env` with the assembly's `env` over it. Values
    #: may be secrets: never log them (left out of the repr). Container drivers set them as
    #: the container's environment; VM drivers may ignore them.
    env: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: What to run instead of the image's entrypoint (None: the image's). Kubernetes'
    #: semantics: giving a command drops the image's default arguments too.
    command: tuple[str, ...] | None = None
    #: The arguments to run with instead of the image's default ones (None: the image's).
    args: tuple[str, ...] | None = None
    #: When not 0, the instance should run node_exporter on this port (the plan asks for
    #: metrics); VM drivers do it with `vertice_drivers.cloudinit`.
    metrics_port: int = 0
    #: Of a source-built assembly in a VM region: the program the VM fetches and runs at
    #: boot (`vertice_core.program`); VM drivers deliver it with `vertice_drivers.cloudinit`.
    program: Program | None = None
    #: Whether an earlier attempt may have created the key's instance: the reconciler had
    #: recorded a create of this key before (a call that failed or timed out, a crash
    #: between the call and its record). When False this is the key's first create, made
    #: after the pass's own listing showed no instance of it: a driver that looks the key
    #: up before creating (a cloud without idempotency tokens) may skip the lookup, so a
    #: first create costs one cloud call (issue 18). Third-party callers leave it True.
    maybe_created: bool = True
    #: When set, the cloud image to launch from, as the cloud names it (an image a
    #: `Driver.snapshot` of this region made: restoring a snapshot into a new assembly),
    #: instead of the cloud image the region's settings map `image` to. Only drivers
    #: claiming `Capability.SNAPSHOT` are given one, and only once `snapshots()` shows it
    #: `ImageState.AVAILABLE`; an image that does not exist (any more) is refused as the
    #: cloud refuses it (a TerminalError).
    image_id: str = ""
    #: Of the first instance of an assembly declared to adopt one (`vertice adopt`): the
    #: cloud id of that instance. The reconciler then calls `Driver.adopt(adopt_id,
    #: tags)` instead of `create`; a driver's `create` is never given a spec with it set.
    adopt_id: str = ""


@attrs.frozen
class Instance:
    """One managed instance as the cloud reports it."""

    key: str
    cloud_id: str
    state: InstanceState
    public_ipv4: str = ""
    private_ipv4: str = ""
    #: `host:port` addresses of published ports.
    access: tuple[str, ...] = ()
    tags: Mapping[str, str] = attrs.Factory(dict)
    created_at: datetime | None = None
    #: The flavor (instance type) the cloud reports the instance has, in the cloud's own
    #: name (`t3.micro`, `m1.small`); '' when the driver cannot tell. Drivers claiming
    #: `Capability.RESIZE` report it where their listing shows it (the testkit sees a
    #: resize done in it; a driver whose listing cannot, Docker's, gives its tests a
    #: `size_of` fixture that reads the size from the cloud instead).
    size: str = ""

    @property
    def assembly_id(self) -> str:
        """The assembly the instance belongs to, from its tags ('' if untagged)."""
        return self.tags.get(TAG_ASSEMBLY, "")


@attrs.frozen
class CloudFlavor:
    """A size the cloud offers."""

    name: str
    cpu: int
    ram: int
    disk: int = 0


@attrs.frozen
class CloudImage:
    """An image the cloud offers, or a snapshot a driver made (`Driver.snapshots`).

    Of a snapshot, `id` is the cloud's image id (what `InstanceSpec.image_id` takes)
    and `name` the name `Driver.snapshot` was given.
    """

    id: str
    name: str
    description: str = ""
    state: ImageState = ImageState.AVAILABLE


@attrs.frozen
class NoSettings:
    """Settings class of a driver that takes no settings."""


@attrs.frozen
class NoCredentials:
    """Credentials class of a driver that needs no credentials."""


@attrs.frozen
class RegionConfig:
    """What a driver is constructed with: one region's settings, structured and decrypted."""

    name: str
    cloud_type: str
    installation_id: str
    provider_region: str = ""
    endpoint: str = ""
    #: An instance of the driver's `DriverInfo.settings` class.
    settings: Any = attrs.Factory(NoSettings)
    #: An instance of the driver's `DriverInfo.credentials` class (decrypted; never log it).
    credentials: Any = attrs.field(factory=NoCredentials, repr=False)
    #: The installation's state folder (`VERTICE_HOME`), for drivers that keep files.
    home: Path = Path("var")


class Driver(DiskVerbs, abc.ABC):
    """The interface every driver implements. One instance serves one region.

    Methods may be called from several threads at once; a driver whose SDK
    client is not thread-safe must guard it.
    """

    #: The `DriverInfo` the driver was loaded from (set by `DriverInfo.load`).
    info: ClassVar[DriverInfo]

    def __init__(self, region: RegionConfig) -> None:
        self.region = region

    @abc.abstractmethod
    def observe(self) -> Iterable[Instance]:
        """Every instance of this installation in the region, in one paged listing."""

    @abc.abstractmethod
    def create(self, spec: InstanceSpec) -> Instance:
        """Create the instance for `spec.key`, or return the one that already has that key."""

    @abc.abstractmethod
    def delete(self, cloud_id: str) -> None:
        """Delete the instance; an instance that is already gone is a success."""

    @abc.abstractmethod
    def start(self, cloud_id: str) -> None:
        """Start a stopped instance, or resume a suspended one (a running one is left
        alone)."""

    @abc.abstractmethod
    def stop(self, cloud_id: str) -> None:
        """Stop a running instance (a stopped one is left alone)."""

    @abc.abstractmethod
    def reboot(self, cloud_id: str) -> None:
        """Restart the instance in place."""

    @abc.abstractmethod
    def flavors(self) -> list[CloudFlavor]:
        """The sizes the cloud offers in this region."""

    @abc.abstractmethod
    def images(self) -> list[CloudImage]:
        """The images the cloud offers in this region."""

    # -- day-2 operations: each needs its capability; without it they refuse --

    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Move the instance to the flavor of `size` in place (`Capability.RESIZE`).

        The instance keeps its disk, addresses where the cloud keeps them, and its
        identity (`cloud_id` may stay the same). Idempotent: resizing to the flavor it
        already has succeeds without touching it. Where the cloud resizes only stopped
        instances the driver stops it first and starts it again if it was running;
        once the call returns, observations show the new `Instance.size` and the
        instance in its former state (or booting back to it). Each driver documents
        what it does. A resize the cloud is still working on when the driver stops
        waiting raises `TransientError` (reason `ResizeInProgress`): the next call
        carries on from what the cloud shows, remembering a running instance as
        running. A size the cloud has no flavor for is a TerminalError.
        """
        raise self.lacks(Capability.RESIZE)

    def hard_reboot(self, cloud_id: str) -> None:
        """Power-cycle the instance in place, without asking its system to shut down
        (`Capability.HARD_REBOOT`): same identity and disk, running again once it booted.
        A stopped instance is left alone, as `reboot` leaves it."""
        raise self.lacks(Capability.HARD_REBOOT)

    def hard_stop(self, cloud_id: str) -> None:
        """Power the instance off (kill it) without asking its system to shut down
        (`Capability.HARD_STOP`); a stopped one is left alone. It keeps its disk, as
        `stop` keeps it."""
        raise self.lacks(Capability.HARD_STOP)

    def suspend(self, cloud_id: str) -> None:
        """Suspend a running instance (`Capability.SUSPEND`): its memory is kept (saved to
        disk or frozen, as the cloud does it) and it runs nothing until `start` resumes it
        where it was, without a boot. Observations show it `STOPPED` with the same
        `cloud_id`. One that runs nothing already (stopped or suspended) is left alone."""
        raise self.lacks(Capability.SUSPEND)

    # -- adopting what already runs (`Capability.ADOPT`) --

    def unmanaged(self) -> list[Instance]:
        """The region's live instances that carry no `TAG_INSTALLATION` (made by hand, or
        by vertice 1.5), as observed: their own tags, `key` ''. Instances of any
        installation are left out, this one's included. One listing, paged as `observe`
        pages (`Capability.ADOPT`)."""
        raise self.lacks(Capability.ADOPT)

    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Make the unmanaged instance `cloud_id` this installation's: put `tags` on it
        (what `create` puts on an instance, `TAG_KEY` included), without restarting or
        otherwise changing it; from then on `observe` lists it under `tags[TAG_KEY]`, as
        the returned instance shows (`Capability.ADOPT`).

        Idempotent: an instance that carries these tags already is returned as it is. One
        another installation manages (another `TAG_INSTALLATION`) is refused with
        TerminalError, reason `ManagedElsewhere`, and one that is gone with reason
        `NotFound`. A cloud whose instances' tags cannot change (Docker's labels) marks
        adoption another way the driver documents (its `observe` must then list the
        instance with these tags all the same)."""
        raise self.lacks(Capability.ADOPT)

    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        """Make an image of the instance's disk, launchable in this region with
        `InstanceSpec.image_id` (`Capability.SNAPSHOT`).

        Idempotent by `name`: while an image this installation made with that name
        exists, a second call returns it and makes none. The image carries
        `TAG_INSTALLATION` and `TAG_SNAPSHOT` (tags, labels or properties) and is
        returned at once, usually `ImageState.PENDING`: `snapshots()` tells when it is
        available. The instance keeps running where the cloud can copy a running disk.
        """
        raise self.lacks(Capability.SNAPSHOT)

    def snapshots(self) -> list[CloudImage]:
        """Every image `snapshot` made for this installation in the region, all states,
        in one (paged) listing (`Capability.SNAPSHOT`)."""
        raise self.lacks(Capability.SNAPSHOT)

    def delete_snapshot(self, image_id: str) -> None:
        """Delete an image `snapshot` made, with what holds its data (`Capability.SNAPSHOT`).

        Idempotent: an image already gone is a success. An image this installation did
        not make is refused (TerminalError): vertice never deletes what is not its own.
        """
        raise self.lacks(Capability.SNAPSHOT)

    # -- drift seen as it happens (`Capability.WATCH`) --

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        """Follow the cloud's events until `stop` is set (`Capability.WATCH`).

        Blocks, calling `changed()` whenever the cloud says an instance of this
        installation died, stopped, was removed, or otherwise changed state; the
        reconciler then observes the region at once (`changed` is cheap and may be called
        too often: for the driver's own calls too, or several times for one change).
        Returns within about a second of `stop` being set. A stream that fails or ends
        while `stop` is not set raises a `DriverError` subclass, as the other verbs do
        (a `TransientError` when the cloud or the connection dropped it): the reconciler
        watches again after a backoff, and its periodic resync covers what was missed.
        """
        raise self.lacks(Capability.WATCH)

    def lacks(self, capability: Capability) -> TerminalError:
        """The error of a verb whose capability the driver does not claim."""
        return TerminalError(
            f"{self.region.cloud_type}: the driver does not support {capability.value} "
            f"(capability {capability.value!r} is not among its capabilities)",
            reason="CapabilityNotSupported",
        )

    def close(self) -> None:
        """Release the SDK client's resources."""


@attrs.frozen
class DriverInfo:
    """The entry point object of a driver: cheap to import, no SDK inside.

    `factory` names the `Driver` subclass as `"package.module:Class"`; it is
    imported by `load()` only when a region of this type is used.
    """

    cloud_type: str
    factory: str
    capabilities: frozenset[Capability] = frozenset()
    #: attrs class of the region's `settings` (validated by the converter; unknown keys: 422).
    settings: type = NoSettings
    #: attrs class of the region's `credentials` (sealed at rest, never returned).
    credentials: type = NoCredentials
    #: Top-level modules the driver imports (its SDK), checked without importing them.
    requires: tuple[str, ...] = ()
    description: str = ""

    def load(self) -> type[Driver]:
        """Import and return the driver class."""
        module_name, _, attr = self.factory.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        if not (isinstance(cls, type) and issubclass(cls, Driver)):
            raise TypeError(f"{self.factory} is not a vertice Driver class")
        cls.info = self
        return cls

    def secret_fields(self) -> list[str]:
        """Names of the credential fields (shown as set/unset, never as values)."""
        return [field.name for field in attrs.fields(self.credentials)]
