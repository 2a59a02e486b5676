"""The contract suite every driver passes: subclass `DriverContract` in your driver's tests.

    from vertice_drivers.testkit import DriverContract

    class TestMyCloudContract(DriverContract):
        @pytest.fixture
        def driver(self, my_peer):
            return MyDriver(region_config_for(my_peer))

That is all a driver needs to run the contract against its peer (a real
engine, an emulator, a recorded-protocol server). Optional fixtures widen it:

* `make_spec(key, **changes)` — how to build a spec this cloud accepts (image,
  size); the default uses `image="1_virtualmachine_ubuntu"` and a small size;
* `foreign_driver` — a driver for the same region with another installation
  id: the contract checks the two never see each other's instances;
* `unauthorized_driver` — a driver with rejected credentials: its calls must
  raise `UnavailableError`;
* `unreachable_driver` — a driver whose endpoint is down: its calls must raise
  `TransientError`;
* `launch_data(instance)` — what the instance received at launch (user data,
  metadata) as text, to check that SSH keys and root passwords arrive;
* `other_size` — a size this cloud can resize `make_spec`'s instances to (the
  default asks for 2 CPUs, 4 GB and 40 GB, flavor name `medium`);
* `launched_image(instance)` — the cloud image id the instance was launched
  from, to check that a snapshot's `image_id` is what a create launches;
* `boot_mark(instance)`, `suspend_mark(instance)` — a value that changes with each
  boot, and whether the cloud holds the instance suspended (the day-2 checks);
* `make_unmanaged()` — required where the driver claims `adopt`: makes a running
  instance by hand, with no vertice tags, and returns its cloud id
  (`vertice_drivers.testkit_adopt`).

Each declared capability is checked; undeclared ones are not, except that the
verbs of an undeclared day-2 capability (`resize`, `snapshot`...) must refuse
with a TerminalError that names it: a caller needs the claim to use them
(`vertice_drivers.testkit_day2`), and so must `watch` without `WATCH`
(`vertice_drivers.testkit_watch`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from vertice_core.driver import (
    CONCURRENT_CALLS,
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    Capability,
    Driver,
    Instance,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.errors import DriverError, TransientError, UnavailableError
from vertice_core.metrics import Metrics
from vertice_core.model.status import InstanceState
from vertice_core.runtime.calls import CallPool
from vertice_drivers.testkit_adopt import AdoptContract
from vertice_drivers.testkit_day2 import DayTwoContract
from vertice_drivers.testkit_disks import DisksContract
from vertice_drivers.testkit_watch import WatchContract

#: A public key the contract launches with (a syntactically valid ed25519 key).
TEST_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZlcnRpY2UtdGVzdGtpdC1rZXktMDAwMDAwMDAwMDAw testkit"
)
TEST_PASSWORD = "testkit-Passw0rd"  # noqa: S105 -- a test value

_counter = iter(range(1, 1_000_000))


def unique_key(prefix: str = "tk") -> str:
    """A key no other test of this process uses (lower-case, valid on every cloud)."""
    return f"{prefix}{int(time.time() * 1000) % 10**9:09d}-{next(_counter)}"


def default_spec(installation_id: str, key: str, **changes: Any) -> InstanceSpec:
    """A small instance spec tagged for `installation_id`."""
    assembly_id = key.rsplit("-", 1)[0] if "-" in key else key
    spec = InstanceSpec(
        key=key,
        assembly_id=assembly_id,
        name=f"testkit {key}",
        project="testkit",
        plan="1_virtualmachine_ubuntu",
        image="1_virtualmachine_ubuntu",
        size=SizeSpec("small", 1, 1024, 10),
        tags={
            TAG_INSTALLATION: installation_id,
            TAG_ASSEMBLY: assembly_id,
            TAG_KEY: key,
            TAG_PROJECT: "prj-testkit",
        },
    )
    return attrs.evolve(spec, **changes) if changes else spec


class DriverContract(DayTwoContract, AdoptContract, DisksContract, WatchContract):
    """The driver contract as pytest tests. Subclass it and provide a `driver` fixture."""

    #: Seconds to wait for an instance to reach a state.
    settle_timeout: float = 120.0
    #: Seconds between two observations while waiting.
    settle_interval: float = 0.5

    # -- fixtures a subclass may override --

    @pytest.fixture
    def make_spec(self, driver: Driver) -> Callable[..., InstanceSpec]:
        """Build a spec for a key; override to give this cloud's image and size."""

        def make(key: str, **changes: Any) -> InstanceSpec:
            return default_spec(driver.region.installation_id, key, **changes)

        return make

    @pytest.fixture
    def cleanup(self, driver: Driver) -> Iterator[list[str]]:
        """Cloud ids to delete after the test, whatever happens."""
        made: list[str] = []
        yield made
        for cloud_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                driver.delete(cloud_id)

    # -- helpers --

    def find(self, driver: Driver, key: str) -> list[Instance]:
        """The live instances of `key` that `observe()` lists."""
        return [
            i for i in driver.observe() if i.key == key and i.state is not InstanceState.TERMINATED
        ]

    def settle(
        self, driver: Driver, key: str, accept: Callable[[list[Instance]], bool]
    ) -> list[Instance]:
        """Observe until the instances of `key` satisfy `accept`; fail after the timeout."""
        deadline = time.monotonic() + self.settle_timeout
        while True:
            found = self.find(driver, key)
            if accept(found):
                return found
            if time.monotonic() > deadline:
                states = [(i.cloud_id, i.state.value) for i in found]
                pytest.fail(f"{key}: not settled after {self.settle_timeout}s: {states}")
            time.sleep(self.settle_interval)

    def running(self, driver: Driver, key: str) -> Instance:
        """Wait until the single instance of `key` runs."""
        (instance,) = self.settle(
            driver, key, lambda f: len(f) == 1 and f[0].state is InstanceState.RUNNING
        )
        return instance

    def create(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str], **kw: Any
    ) -> tuple[InstanceSpec, Instance]:
        spec = make_spec(unique_key(), **kw)
        instance = driver.create(spec)
        cleanup.append(instance.cloud_id)
        return spec, instance

    def capable(self, driver: Driver, capability: Capability) -> None:
        if capability not in type(driver).info.capabilities:
            pytest.skip(f"the driver does not claim {capability.value}")

    # -- the contract --

    def test_declares_its_capabilities(self, driver: Driver) -> None:
        info = type(driver).info
        assert info.cloud_type == driver.region.cloud_type
        assert all(isinstance(c, Capability) for c in info.capabilities)

    def test_create_is_idempotent_by_key(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        spec, first = self.create(driver, make_spec, cleanup)
        second = driver.create(spec)
        cleanup.append(second.cloud_id)
        assert second.cloud_id == first.cloud_id
        assert first.key == spec.key
        assert len(self.settle(driver, spec.key, lambda f: len(f) >= 1)) == 1

    def test_observe_finds_what_was_created(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        spec, created = self.create(driver, make_spec, cleanup)
        instance = self.running(driver, spec.key)
        assert instance.cloud_id == created.cloud_id
        for tag in (TAG_INSTALLATION, TAG_ASSEMBLY, TAG_KEY):
            assert instance.tags.get(tag) == spec.tags[tag], tag
        assert instance.assembly_id == spec.assembly_id

    def test_addresses_are_reported(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        claims = type(driver).info.capabilities
        if not {Capability.PUBLIC_IPV4, Capability.PRIVATE_IPV4} & claims:
            pytest.skip("the driver claims no addresses")
        spec, _ = self.create(driver, make_spec, cleanup)
        instance = self.running(driver, spec.key)
        if Capability.PUBLIC_IPV4 in claims:
            assert _is_ipv4(instance.public_ipv4), instance
        if Capability.PRIVATE_IPV4 in claims:
            assert _is_ipv4(instance.private_ipv4), instance

    def test_published_ports_are_reported(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        self.capable(driver, Capability.PUBLISH_PORTS)
        spec, _ = self.create(driver, make_spec, cleanup, ports=(8080,))
        instance = self.running(driver, spec.key)
        assert len(instance.access) == 1
        host, _, port = instance.access[0].rpartition(":")
        assert host and port.isdigit()

    def test_delete_of_a_missing_instance_succeeds(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        spec, created = self.create(driver, make_spec, cleanup)
        driver.delete(created.cloud_id)
        self.settle(driver, spec.key, lambda f: not f)
        driver.delete(created.cloud_id)  # already gone: still a success

    def test_stop_and_start(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        self.capable(driver, Capability.START_STOP)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        driver.stop(created.cloud_id)
        driver.stop(created.cloud_id)  # idempotent
        stopped = self.settle(
            driver, spec.key, lambda f: len(f) == 1 and f[0].state is InstanceState.STOPPED
        )
        assert stopped[0].cloud_id == created.cloud_id
        driver.start(created.cloud_id)
        driver.start(created.cloud_id)  # idempotent
        assert self.running(driver, spec.key).cloud_id == created.cloud_id

    def test_reboot_keeps_the_instance(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str]
    ) -> None:
        self.capable(driver, Capability.REBOOT)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        driver.reboot(created.cloud_id)
        assert self.running(driver, spec.key).cloud_id == created.cloud_id

    def test_launch_credentials_arrive(
        self,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        claims = type(driver).info.capabilities
        if not {Capability.SSH_KEY, Capability.ROOT_PASSWORD} & claims:
            pytest.skip("the driver claims no launch credential")
        launch_data: Callable[[Instance], str] = _optional(request, "launch_data")
        if Capability.SSH_KEY in claims:
            spec, _ = self.create(driver, make_spec, cleanup, ssh_public_key=TEST_PUBLIC_KEY)
            assert TEST_PUBLIC_KEY.split()[1] in launch_data(self.running(driver, spec.key))
        if Capability.ROOT_PASSWORD in claims:
            spec, _ = self.create(driver, make_spec, cleanup, root_password=TEST_PASSWORD)
            assert TEST_PASSWORD in launch_data(self.running(driver, spec.key))

    def test_only_this_installation_is_observed(
        self,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        foreign: Driver = _optional(request, "foreign_driver")
        assert foreign.region.installation_id != driver.region.installation_id
        spec, _ = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        assert all(i.key != spec.key for i in foreign.observe())

    def test_flavors_and_images_are_listed(self, driver: Driver) -> None:
        flavors = driver.flavors()
        assert flavors and all(f.name and f.cpu >= 1 and f.ram >= 1 for f in flavors)
        images = driver.images()
        assert images and all(i.id and i.name for i in images)

    def test_calls_at_the_reconcilers_concurrency_fit_the_connection_pool(
        self, driver: Driver, caplog: pytest.LogCaptureFixture
    ) -> None:
        """As many calls at once as the reconciler runs (`ReconcilerSettings.workers`, in
        its `CallPool`) never overflow the driver's HTTP pool: urllib3 would otherwise
        open connections only to discard them ("Connection pool is full")."""
        workers = CONCURRENT_CALLS
        pool = CallPool(workers, Metrics())
        verbs: list[tuple[str, Callable[[], Any]]] = [
            ("observe", lambda: list(driver.observe())),
            ("flavors", driver.flavors),
        ]
        calls = [(driver.info.cloud_type, *verbs[i % len(verbs)]) for i in range(workers)]
        try:
            with caplog.at_level(logging.WARNING, logger="urllib3"):
                results = pool.run_all(calls, timeout=120.0)
        finally:
            pool.shutdown()
        failed = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, DriverError)]
        assert not failed, f"{len(failed)} of {workers} calls failed, e.g. {failed[0]}"
        full = [m for r in caplog.records if "Connection pool is full" in (m := r.getMessage())]
        assert full == [], f"{len(full)} connections discarded, e.g. {full[0]}"

    def test_rejected_credentials_are_unavailable(self, request: pytest.FixtureRequest) -> None:
        broken: Driver = _optional(request, "unauthorized_driver")
        with pytest.raises(UnavailableError):
            list(broken.observe())

    def test_an_unreachable_cloud_is_transient(self, request: pytest.FixtureRequest) -> None:
        down: Driver = _optional(request, "unreachable_driver")
        with pytest.raises(TransientError):
            list(down.observe())


def _optional(request: pytest.FixtureRequest, name: str) -> Any:
    """The value of an optional fixture, or skip the test when the driver gives none."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip(f"the driver's tests give no {name} fixture")


def _is_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)
