"""The driver contract's checks of the day-2 capabilities: `RESIZE`, `SNAPSHOT`,
`HARD_REBOOT`, `HARD_STOP` and `SUSPEND`.

A mixin of `vertice_drivers.testkit.DriverContract` (subclass that, not this):
its checks use the contract's helpers (`create`, `running`, `settle`...) and
fixtures (`driver`, `make_spec`, `cleanup`). Each claimed capability is checked
so that a driver which claims it but ignores the call fails: a resize must show
in the observed `Instance.size` (compared with an instance created at that size;
or, for a cloud whose listing shows no sizes, in what a `size_of` fixture reads of
the instance from the peer itself),
a snapshot must be listed, become available and launch (the instance launched
from it, when the driver's tests give a `launched_image` fixture), and be gone
once deleted; a hard reboot must boot the same instance again (seen through a
`boot_mark` fixture, when the driver's tests give one: a value that changes with
each boot) and a hard stop must stop it; a suspended instance must be listed
stopped and `start` must resume it without a boot (seen through `boot_mark`, and
through a `suspend_mark` fixture when the driver's tests give one: whether the
cloud holds the instance suspended, not merely stopped). An unclaimed one must
refuse: its verbs raise TerminalError naming the capability.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from vertice_core.driver import (
    Capability,
    CloudImage,
    Driver,
    ImageState,
    Instance,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.errors import TerminalError, TransientError
from vertice_core.model.status import InstanceState

#: The size the refused verbs are called with.
_SIZE = SizeSpec("small", 1, 1024, 10)


class ContractHelpers(Protocol):
    """What the checks use of `DriverContract`."""

    settle_timeout: float
    settle_interval: float

    def find(self, driver: Driver, key: str) -> list[Instance]: ...

    def settle(
        self, driver: Driver, key: str, accept: Callable[[list[Instance]], bool]
    ) -> list[Instance]: ...

    def running(self, driver: Driver, key: str) -> Instance: ...

    def create(
        self, driver: Driver, make_spec: Callable[..., InstanceSpec], cleanup: list[str], **kw: Any
    ) -> tuple[InstanceSpec, Instance]: ...

    def capable(self, driver: Driver, capability: Capability) -> None: ...

    def until_done(self, call: Callable[[], Any]) -> Any: ...

    def listed_snapshots(
        self, driver: Driver, accept: Callable[[list[CloudImage]], bool]
    ) -> list[CloudImage]: ...


class DayTwoContract:
    """The day-2 checks (mixed into `DriverContract`)."""

    # -- fixtures a subclass may override --

    @pytest.fixture
    def other_size(self) -> SizeSpec:
        """A size `make_spec`'s instances can be resized to; override for this cloud."""
        return SizeSpec("medium", 2, 4096, 40)

    @pytest.fixture
    def snapshot_cleanup(self, driver: Driver) -> Iterator[list[str]]:
        """Image ids to delete after the test, whatever happens."""
        made: list[str] = []
        yield made
        for image_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                driver.delete_snapshot(image_id)

    # -- helpers --

    def until_done(self: ContractHelpers, call: Callable[[], Any]) -> Any:
        """Call a day-2 verb again while it raises TransientError (a resize the cloud is
        still working on), as the reconciler would; fail after the timeout."""
        deadline = time.monotonic() + self.settle_timeout
        while True:
            try:
                return call()
            except TransientError as error:
                if time.monotonic() > deadline:
                    pytest.fail(f"still failing after {self.settle_timeout}s: {error}")
            time.sleep(self.settle_interval)

    def listed_snapshots(
        self: ContractHelpers, driver: Driver, accept: Callable[[list[CloudImage]], bool]
    ) -> list[CloudImage]:
        """List the snapshots until `accept` holds; fail after the timeout."""
        deadline = time.monotonic() + self.settle_timeout
        while True:
            found = driver.snapshots()
            if accept(found):
                return found
            if time.monotonic() > deadline:
                states = [(i.id, i.name, i.state.value) for i in found]
                pytest.fail(f"snapshots not settled after {self.settle_timeout}s: {states}")
            time.sleep(self.settle_interval)

    # -- the checks --

    def test_resize_keeps_the_instance_and_its_state(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
        other_size: SizeSpec,
    ) -> None:
        self.capable(driver, Capability.RESIZE)
        # How big an instance is: `Instance.size`, or the peer's own view where the driver's
        # tests give a `size_of` fixture (a cloud whose listing does not show sizes).
        size_of: Callable[[Instance], str] = fixture_or_none(request, "size_of") or _size
        spec, created = self.create(driver, make_spec, cleanup)
        # How the cloud reports `other_size`: an instance created with it.
        reference, _ = self.create(driver, make_spec, cleanup, size=other_size)
        before = size_of(self.running(driver, spec.key))
        wanted = size_of(self.running(driver, reference.key))
        assert before, "a driver claiming resize reports Instance.size (or its tests size_of)"
        assert wanted != before, f"other_size is reported as {wanted!r}, as before"
        self.until_done(lambda: driver.resize(created.cloud_id, other_size))
        (after,) = self.settle(driver, spec.key, _one(InstanceState.RUNNING, wanted, size_of))
        assert after.cloud_id == created.cloud_id
        # Resizing to the size it has succeeds at once and leaves it alone (no restart).
        driver.resize(created.cloud_id, other_size)
        (same,) = self.find(driver, spec.key)
        assert (same.cloud_id, same.state, size_of(same)) == (
            created.cloud_id,
            InstanceState.RUNNING,
            wanted,
        )
        if Capability.START_STOP not in type(driver).info.capabilities:
            return
        # A stopped instance is resized and stays stopped.
        driver.stop(created.cloud_id)
        self.settle(driver, spec.key, _one(InstanceState.STOPPED))
        self.until_done(lambda: driver.resize(created.cloud_id, spec.size))
        (back,) = self.settle(driver, spec.key, _one(InstanceState.STOPPED, before, size_of))
        assert back.cloud_id == created.cloud_id

    def test_snapshot_is_idempotent_by_name_and_launchable(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
        snapshot_cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.SNAPSHOT)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        name = f"testkit-snap-{time.time_ns() % 10**12}"
        first = self.until_done(lambda: driver.snapshot(created.cloud_id, name))
        snapshot_cleanup.append(first.id)
        second = driver.snapshot(created.cloud_id, name)
        snapshot_cleanup.append(second.id)
        assert (second.id, second.name, first.name) == (first.id, name, name)
        listed = self.listed_snapshots(
            driver,
            lambda found: any(i.id == first.id and i.state is ImageState.AVAILABLE for i in found),
        )
        assert [i.id for i in listed if i.name == name] == [first.id]
        foreign = fixture_or_none(request, "foreign_driver")
        if foreign is not None:
            assert all(i.id != first.id for i in foreign.snapshots())
        # The image launches: an instance created from it runs, and was launched from it
        # (not from the plan's image) where the tests can tell.
        restored, _ = self.create(driver, make_spec, cleanup, image_id=first.id)
        instance = self.running(driver, restored.key)
        launched_image = fixture_or_none(request, "launched_image")
        if launched_image is not None:
            assert launched_image(instance) == first.id
        driver.delete_snapshot(first.id)
        driver.delete_snapshot(first.id)  # already gone: still a success
        self.listed_snapshots(driver, lambda found: all(i.id != first.id for i in found))

    def test_hard_reboot_boots_the_same_instance_again(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.HARD_REBOOT)
        spec, created, boot_mark, booted = _launched(self, request, driver, make_spec, cleanup)
        self.until_done(lambda: driver.hard_reboot(created.cloud_id))
        if boot_mark is not None:
            self.settle(driver, spec.key, lambda found: len(found) == 1 and found[0].state
                        is InstanceState.RUNNING and boot_mark(found[0]) != booted)  # fmt: skip
        assert self.running(driver, spec.key).cloud_id == created.cloud_id
        _left_alone_stopped(self, driver, spec.key, created.cloud_id, driver.hard_reboot)

    def test_hard_stop_stops_the_same_instance(
        self: ContractHelpers,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.HARD_STOP)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        self.until_done(lambda: driver.hard_stop(created.cloud_id))
        (after,) = self.settle(driver, spec.key, _one(InstanceState.STOPPED))
        assert after.cloud_id == created.cloud_id
        driver.hard_stop(created.cloud_id)  # stopped already: a success
        driver.start(created.cloud_id)  # it kept its disk: it starts again
        assert self.running(driver, spec.key).cloud_id == created.cloud_id

    def test_suspend_keeps_the_instance_and_start_resumes_it(
        self: ContractHelpers,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.SUSPEND)
        spec, created, boot_mark, booted = _launched(self, request, driver, make_spec, cleanup)
        suspended = fixture_or_none(request, "suspend_mark")
        self.until_done(lambda: driver.suspend(created.cloud_id))
        (after,) = self.settle(driver, spec.key, _one(InstanceState.STOPPED))
        assert after.cloud_id == created.cloud_id
        if suspended is not None:  # suspended, not merely stopped
            assert suspended(after)
        driver.suspend(created.cloud_id)  # suspended already: a success
        self.until_done(lambda: driver.start(created.cloud_id))
        resumed = self.running(driver, spec.key)
        assert resumed.cloud_id == created.cloud_id
        if suspended is not None:
            assert not suspended(resumed)
        if boot_mark is not None:  # resumed where it was, not booted again
            assert boot_mark(resumed) == booted
        still = _left_alone_stopped(self, driver, spec.key, created.cloud_id, driver.suspend)
        if still is not None and suspended is not None:
            assert not suspended(still)

    def test_unclaimed_day2_operations_are_refused(self, driver: Driver) -> None:
        """Without its capability a day-2 verb raises TerminalError naming it, so that
        nothing uses a verb the driver does not claim to honour."""
        verbs: dict[Capability, list[Callable[[], Any]]] = {
            Capability.RESIZE: [lambda: driver.resize("vertice-testkit-none", _SIZE)],
            Capability.SNAPSHOT: [
                lambda: driver.snapshot("vertice-testkit-none", "testkit"),
                driver.snapshots,
                lambda: driver.delete_snapshot("vertice-testkit-none"),
            ],
            Capability.HARD_REBOOT: [lambda: driver.hard_reboot("vertice-testkit-none")],
            Capability.HARD_STOP: [lambda: driver.hard_stop("vertice-testkit-none")],
            Capability.SUSPEND: [lambda: driver.suspend("vertice-testkit-none")],
            Capability.ADOPT: [driver.unmanaged, lambda: driver.adopt("vertice-testkit-none", {})],
            Capability.DISKS: [
                driver.disks,
                lambda: driver.create_disk("testkit", 1),
                lambda: driver.attach_disk("vertice-testkit-none", "vertice-testkit-none"),
                lambda: driver.detach_disk("vertice-testkit-none"),
                lambda: driver.resize_disk("vertice-testkit-none", 2),
                lambda: driver.delete_disk("vertice-testkit-none"),
            ],
        }
        unclaimed = [c for c in verbs if c not in type(driver).info.capabilities]
        if not unclaimed:
            pytest.skip("the driver claims every day-2 capability")
        for capability in unclaimed:
            for verb in verbs[capability]:
                with pytest.raises(TerminalError, match=capability.value):
                    verb()


def _size(instance: Instance) -> str:
    return instance.size


def _one(
    state: InstanceState, size: str | None = None, size_of: Callable[[Instance], str] = _size
) -> Callable[[list[Instance]], bool]:
    """Accepts a single instance in `state` (and of `size`, as `size_of` tells, when given)."""
    return lambda found: (
        len(found) == 1 and found[0].state is state and size in (None, size_of(found[0]))
    )


def _launched(
    contract: ContractHelpers,
    request: pytest.FixtureRequest,
    driver: Driver,
    make_spec: Callable[..., InstanceSpec],
    cleanup: list[str],
) -> tuple[InstanceSpec, Instance, Callable[[Instance], Any] | None, Any]:
    """A new running instance: its spec, what `create` returned, the `boot_mark` fixture
    (None when the driver's tests give none) and its mark now."""
    spec, created = contract.create(driver, make_spec, cleanup)
    before = contract.running(driver, spec.key)
    boot_mark = fixture_or_none(request, "boot_mark")
    return spec, created, boot_mark, boot_mark(before) if boot_mark is not None else None


def _left_alone_stopped(
    contract: ContractHelpers, driver: Driver, key: str, cloud_id: str, verb: Callable[[str], None]
) -> Instance | None:
    """Stop the instance, then call `verb` on it: it must still be stopped (and is
    returned). None, checking nothing, where the driver does not claim `START_STOP`."""
    if Capability.START_STOP not in type(driver).info.capabilities:
        return None
    driver.stop(cloud_id)
    contract.settle(driver, key, _one(InstanceState.STOPPED))
    verb(cloud_id)
    (still,) = contract.find(driver, key)
    assert still.state is InstanceState.STOPPED
    return still


def fixture_or_none(request: pytest.FixtureRequest, name: str) -> Any:
    """The value of an optional fixture, or None when the driver's tests give none."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None
