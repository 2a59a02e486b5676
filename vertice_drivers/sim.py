"""The simulated cloud (`cloud_type` `sim`): a real driver for the embedded default region.

It keeps its instances in its own SQLite file (`$VERTICE_HOME/sim.db` unless
the region's `path` says otherwise), so they survive restarts of vertice. It
behaves like a cloud where it matters to the reconciler, and can be made to
misbehave like one, per region (all off by default):

| setting                 | effect                                                        |
|-------------------------|---------------------------------------------------------------|
| `latency`               | seconds every API call takes (each observe page is a call)     |
| `boot_time`             | seconds from create/start/reboot until the instance runs       |
| `transient_error_rate`  | share of calls that fail with a transient error; a failing     |
|                         | create fails after making the instance half of the time (a     |
|                         | lost response), which exercises idempotency                    |
| `ghost_delete_rate`     | share of deletes acknowledged but not carried out (ghosts)     |
| `spontaneous_stop_rate` | share of instances that stop on their own once, a little       |
|                         | after they boot (a host reboot)                                |
| `capacity`              | most live instances the account holds; more is QuotaExceeded   |
| `images`                | if not empty, the only images a create accepts (else terminal) |
| `listing_delay`         | seconds before a new instance appears in listings (eventual    |
|                         | consistency)                                                   |
| `address`               | the public address instances report (e.g. `127.0.0.1`)        |
| `account`               | the namespace of instances inside the file                     |
| `audit`                 | record every call (verb, target) in the file's `calls` table  |

It claims every capability but `watch` (drift is seen at the resync). `resize`
changes a live instance's flavor in place (any size name, as `create` takes any):
a running (or booting) instance is
stopped, resized and started again, so it boots anew for `boot_time` seconds; a
stopped one stays stopped. `snapshot` copies an instance's disk into an image
(`vertice_drivers.simimages`) that is pending for `boot_time` seconds, then
available; `create` launches from one with `InstanceSpec.image_id`. Disks
(`vertice_drivers.simdisks`) are made in `boot_time` seconds and attached at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from vertice_core.driver import (
    TAG_INSTALLATION,
    TAG_KEY,
    Capability,
    CloudFlavor,
    CloudImage,
    Driver,
    DriverInfo,
    ImageState,
    Instance,
    InstanceSpec,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import DriverError, QuotaExceeded, TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_core.model.types import Fraction, NonNegativeFloat, Positive
from vertice_drivers.simcloud import Full, SimCloud, public_ip
from vertice_drivers.simday2 import SimDayTwo
from vertice_drivers.simdisks import SimDisks
from vertice_drivers.simimages import SimImages, cloud_image

_STATES = {
    "pending": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopped": InstanceState.STOPPED,
    #: Its memory kept (`suspend`); `start` resumes it at once, without a boot.
    "suspended": InstanceState.STOPPED,
    "terminated": InstanceState.TERMINATED,
}
#: The states that run nothing: `stop`, `hard_stop` and `suspend` leave them alone.
_HALTED = frozenset({"stopped", "suspended"})

#: How long after boot a spontaneous stop may strike, in seconds.
STOP_WINDOW = (0.5, 3.0)


@attrs.frozen
class SimSettings:
    """The knobs of a simulated region."""

    latency: NonNegativeFloat = NonNegativeFloat(0.0)
    boot_time: NonNegativeFloat = NonNegativeFloat(0.0)
    transient_error_rate: Fraction = Fraction(0.0)
    ghost_delete_rate: Fraction = Fraction(0.0)
    spontaneous_stop_rate: Fraction = Fraction(0.0)
    capacity: Positive | None = None
    listing_delay: NonNegativeFloat = NonNegativeFloat(0.0)
    page_size: Positive = Positive(1000)
    images: list[str] = attrs.Factory(list)
    address: str = ""
    account: str = "default"
    path: str = ""
    seed: int | None = None
    audit: bool = False


DRIVER = DriverInfo(
    cloud_type="sim",
    factory="vertice_drivers.sim:SimDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PUBLIC_IPV4,
            Capability.PRIVATE_IPV4,
            Capability.PUBLISH_PORTS,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
            Capability.RESIZE,
            Capability.SNAPSHOT,
            Capability.HARD_REBOOT,
            Capability.HARD_STOP,
            Capability.SUSPEND,
            Capability.ADOPT,
            Capability.DISKS,
        }
    ),
    settings=SimSettings,
    description="The simulated cloud: instances in a local SQLite file, with fault injection",
)

FLAVORS = [
    CloudFlavor("sim.small", 1, 1024, 10),
    CloudFlavor("sim.medium", 2, 4096, 40),
    CloudFlavor("sim.large", 4, 8192, 80),
]
IMAGES = [
    CloudImage("sim-ubuntu-14.04", "1_virtualmachine_ubuntu", "Ubuntu 14.04 (simulated)"),
    CloudImage("sim-tomcat-8", "2_application_java", "Tomcat on Java 8 (simulated)"),
    CloudImage("sim-apache-2.4", "3_webserver_apache", "Apache httpd 2.4 (simulated)"),
]

#: One SimCloud per file and process, so threads share per-thread connections.
_clouds: dict[Path, SimCloud] = {}
_clouds_lock = threading.Lock()


def cloud_at(path: Path) -> SimCloud:
    """The simulated cloud kept in `path` (one object per file in a process)."""
    with _clouds_lock:
        cloud = _clouds.get(path)
        if cloud is None:
            cloud = _clouds[path] = SimCloud(path)
        return cloud


def sim_path(region: RegionConfig) -> Path:
    """The file a sim region keeps its instances in."""
    settings: SimSettings = region.settings
    return Path(settings.path) if settings.path else region.home / "sim.db"


class SimDriver(SimDayTwo, SimDisks, Driver):
    """The `sim` driver."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: SimSettings = region.settings
        self.cloud = cloud_at(sim_path(region))
        self._random = random.Random(self.settings.seed)  # noqa: S311 -- simulation, not security
        self._random_lock = threading.Lock()
        self._seen: dict[str, tuple[tuple[str, str, str], Instance]] = {}
        self._images: SimImages | None = None

    @property
    def snapshot_store(self) -> SimImages:
        """The file's snapshots (its table is made on first use only)."""
        if self._images is None:
            self._images = SimImages(self.cloud)
        return self._images

    # -- the simulated API's behaviour --

    def _chance(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._random_lock:
            return self._random.random() < rate

    def _call(self, verb: str, target: str = "") -> None:
        """Every API call: its latency, then perhaps a transient failure."""
        if self.settings.audit:
            self.cloud.audit(self.settings.account, verb, target)
        if self.settings.latency:
            time.sleep(self.settings.latency)
        if self._chance(self.settings.transient_error_rate):
            raise TransientError(f"sim: {verb} failed (injected transient error)")

    def _instance(self, item: dict[str, Any]) -> Instance:
        # The same object while nothing changed: observing 10k instances stays cheap,
        # and callers comparing two listings find unchanged instances by identity.
        seen = self._seen.get(item["id"])
        changes = (item["state"], item["size"], item["key"])  # the key changes by adoption
        if seen is not None and seen[0] == changes:
            return seen[1]
        instance = Instance(
            key=item["key"],
            cloud_id=item["id"],
            state=_STATES.get(item["state"], InstanceState.UNKNOWN),
            public_ipv4=item["public_ip"],
            private_ipv4=item["private_ip"],
            access=tuple(item["ports"]),
            tags=item["tags"],
            size=item["size"],
        )
        self._seen[item["id"]] = (changes, instance)
        return instance

    def _existing(self, cloud_id: str) -> dict[str, Any] | None:
        return self.cloud.get(self.settings.account, cloud_id, time.time())

    # -- the driver interface --

    def observe(self) -> Iterator[Instance]:
        after = ""
        listed: set[str] = set()
        while True:
            self._call("observe")
            page, more = self.cloud.page(
                self.settings.account,
                self.region.installation_id,
                after,
                self.settings.page_size,
                time.time(),
                self.settings.listing_delay,
            )
            for item in page:
                listed.add(item["id"])
                yield self._instance(item)
            if not more:
                # Forget instances no longer listed (purged), so the memo stays small.
                self._seen = {k: v for k, v in self._seen.items() if k in listed}
                return
            after = page[-1]["id"]

    def create(self, spec: InstanceSpec) -> Instance:
        self._call("create", spec.key)
        lose_response = self._chance(self.settings.transient_error_rate / 2)
        now = time.time()
        account = self.settings.account
        # Insert first: a key that already has a live instance makes the insert fail on
        # the unique index, and that instance is returned (one query in the usual case).
        refused = self._refusal(spec, now)
        if refused is not None:  # unless an earlier create of the key made its instance
            existing = self.cloud.live_by_key(account, spec.key, now)
            if existing is None:
                raise refused
            return self._instance(existing)
        boot_at = now + self.settings.boot_time
        stop_at = None
        if self._chance(self.settings.spontaneous_stop_rate):
            with self._random_lock:
                stop_at = boot_at + self._random.uniform(*STOP_WINDOW)
        tags = {**spec.tags, TAG_KEY: spec.key}
        inserted = self.cloud.insert(
            account=account,
            key=spec.key,
            tags=tags,
            installation=tags.get(TAG_INSTALLATION, ""),
            image=spec.image_id or spec.image,
            size=spec.size.name,
            boot_at=boot_at,
            now=now,
            public_ip=self.settings.address or public_ip(spec.key),
            ports=list(spec.ports),
            stop_at=stop_at,
            launch={
                "ssh_public_key": spec.ssh_public_key,
                "root_password": spec.root_password,
            },
            capacity=self.settings.capacity,
        )
        found = None if isinstance(inserted, Full) else inserted
        found = found or self.cloud.live_by_key(account, spec.key, now)
        if found is None and isinstance(inserted, Full):
            raise QuotaExceeded(
                f"sim: the account holds at most {self.settings.capacity} instances"
            )
        if found is None:
            raise TransientError("sim: the instance vanished while it was created")
        if lose_response:
            raise TransientError("sim: create timed out (injected; the instance may exist)")
        return self._instance(found)

    def delete(self, cloud_id: str) -> None:
        self._call("delete", cloud_id)
        if self._chance(self.settings.ghost_delete_rate):
            return  # acknowledged, not carried out: the instance lives on as a ghost
        self.cloud.terminate(self.settings.account, cloud_id, time.time())

    def start(self, cloud_id: str) -> None:
        """Boot a stopped instance; resume a suspended one (running at once, its boot time
        kept: nothing boots)."""
        self._call("start", cloud_id)
        item = self._live(cloud_id)
        if item["state"] == "stopped":
            boot_at = time.time() + self.settings.boot_time
            self.cloud.set_state(self.settings.account, cloud_id, "pending", boot_at=boot_at)
        elif item["state"] == "suspended":
            self.cloud.set_state(self.settings.account, cloud_id, "running")

    def stop(self, cloud_id: str) -> None:
        self._call("stop", cloud_id)
        self._halt(cloud_id, "stopped")

    def reboot(self, cloud_id: str) -> None:
        self._call("reboot", cloud_id)
        self._live(cloud_id)
        boot_at = time.time() + self.settings.boot_time
        self.cloud.set_state(self.settings.account, cloud_id, "pending", boot_at=boot_at)

    def hard_reboot(self, cloud_id: str) -> None:
        """As `reboot` (the sim has no guest to ask), counted apart in the audit."""
        self._call("hard_reboot", cloud_id)
        item = self._live(cloud_id)
        if item["state"] in _HALTED:
            return
        boot_at = time.time() + self.settings.boot_time
        self.cloud.set_state(self.settings.account, cloud_id, "pending", boot_at=boot_at)

    def hard_stop(self, cloud_id: str) -> None:
        """Stopped at once, whatever it was doing (booting included)."""
        self._call("hard_stop", cloud_id)
        self._halt(cloud_id, "stopped")

    def suspend(self, cloud_id: str) -> None:
        """Suspended at once (booting included); a stopped or suspended one is left alone."""
        self._call("suspend", cloud_id)
        self._halt(cloud_id, "suspended")

    def _halt(self, cloud_id: str, state: str) -> None:
        """Move a live instance that runs (or boots) to `state`; leave a halted one alone."""
        if self._live(cloud_id)["state"] not in _HALTED:
            self.cloud.set_state(self.settings.account, cloud_id, state)

    def _live(self, cloud_id: str) -> dict[str, Any]:
        """The instance, which must exist and not be terminated."""
        item = self._existing(cloud_id)
        if item is None or item["state"] == "terminated":
            raise TerminalError(f"sim: instance {cloud_id} does not exist", reason="NotFound")
        return item

    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        """Change the flavor; a running (or booting) instance restarts, a stopped one stays."""
        self._call("resize", cloud_id)
        item = self._live(cloud_id)
        if item["size"] == size.name:
            return
        if item["state"] in _HALTED:
            self.cloud.set_state(self.settings.account, cloud_id, item["state"], size=size.name)
        else:
            boot_at = time.time() + self.settings.boot_time
            self.cloud.set_state(
                self.settings.account, cloud_id, "pending", boot_at=boot_at, size=size.name
            )

    def _refusal(self, spec: InstanceSpec, now: float) -> DriverError | None:
        """Why the spec's image cannot be launched (None: it can)."""
        if not spec.image_id:
            if not self.settings.images or spec.image in self.settings.images:
                return None
            return TerminalError(
                f"sim: image {spec.image!r} does not exist here "
                f"(images: {', '.join(self.settings.images)})",
                reason="ImageNotFound",
            )
        found = self.snapshot_store.get(self.settings.account, spec.image_id)
        if found is None:
            return TerminalError(
                f"sim: image {spec.image_id} does not exist", reason="ImageNotFound"
            )
        if cloud_image(found, now).state is not ImageState.AVAILABLE:
            return TransientError(
                f"sim: image {spec.image_id} is not available yet", reason="ImageNotReady"
            )
        return None

    def launch_data(self, cloud_id: str) -> dict[str, str]:
        """What an instance received at launch (tests look into the simulated instance)."""
        return self.cloud.launch_data(self.settings.account, cloud_id)

    def flavors(self) -> list[CloudFlavor]:
        self._call("flavors")
        return list(FLAVORS)

    def images(self) -> list[CloudImage]:
        self._call("images")
        if self.settings.images:
            return [CloudImage(name, name) for name in self.settings.images]
        return list(IMAGES)
