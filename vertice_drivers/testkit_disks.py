"""The driver contract's checks of `Capability.DISKS` (`vertice_core.driver_disks`).

A mixin of `vertice_drivers.testkit.DriverContract` (subclass that, not this). A
driver that claims disks must make one idempotently by name, attach it to an
instance, grow it, detach it and delete it, each seen in its `disks()` listing and,
where the driver's tests give an `instance_disks` fixture (the peer's own view:
which disk ids the cloud says an instance has), in the cloud itself, so that a
driver which only reports what it was asked fails. Deleting an instance must leave
its disk, detached. An unclaimed capability refuses (`test_unclaimed_day2_operations_are_refused`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vertice_core.driver import Capability, CloudDisk, DiskState, Driver, InstanceSpec
from vertice_core.errors import TerminalError
from vertice_drivers.testkit_day2 import ContractHelpers, fixture_or_none


class DisksContract:
    """The disk checks (mixed into `DriverContract`)."""

    @pytest.fixture
    def disk_cleanup(self, driver: Driver) -> Iterator[list[str]]:
        """Disk ids to detach and delete after the test, whatever happens."""
        made: list[str] = []
        yield made
        for disk_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                _forget(driver, disk_id)

    def listed_disk(
        self: ContractHelpers, driver: Driver, disk_id: str, accept: Callable[[CloudDisk], bool]
    ) -> CloudDisk:
        """List the disks until the disk `disk_id` is listed and `accept` holds for it."""
        found: list[CloudDisk] = []

        def seen() -> bool:
            found[:] = [d for d in driver.disks() if d.id == disk_id]
            return len(found) == 1 and accept(found[0])

        if not _until(seen, self.settle_timeout, self.settle_interval):
            pytest.fail(f"disk {disk_id} not as expected after {self.settle_timeout}s: {found}")
        return found[0]

    def test_a_disk_is_made_once_attached_grown_detached_and_deleted(
        self: Any,
        request: pytest.FixtureRequest,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
        disk_cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.DISKS)
        peer = fixture_or_none(request, "instance_disks")
        name = f"testkit-disk-{time.time_ns() % 10**12}"
        first = self.until_done(lambda: driver.create_disk(name, 1))
        disk_cleanup.append(first.id)
        second = driver.create_disk(name, 1)  # the same name: the same disk
        assert (second.id, first.name, first.size_gb) == (first.id, name, 1)
        ready = self.listed_disk(driver, first.id, lambda d: d.state is DiskState.AVAILABLE)
        assert (ready.name, ready.size_gb, ready.attached_to) == (name, 1, "")
        assert [d.id for d in driver.disks() if d.name == name] == [first.id]

        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        self.until_done(lambda: driver.attach_disk(first.id, created.cloud_id))
        attached = self.listed_disk(driver, first.id, lambda d: d.state is DiskState.IN_USE)
        assert attached.attached_to == created.cloud_id
        if peer is not None:
            assert first.id in peer(created.cloud_id)
        driver.attach_disk(first.id, created.cloud_id)  # attached there already: a success
        with pytest.raises(TerminalError):  # it cannot be deleted while attached
            driver.delete_disk(first.id)

        self.until_done(lambda: driver.resize_disk(first.id, 2))
        grown = self.listed_disk(driver, first.id, lambda d: d.size_gb == 2)
        assert grown.attached_to == created.cloud_id  # grown in place, still attached
        driver.resize_disk(first.id, 2)  # the size it has: a success
        with pytest.raises(TerminalError, match=r"(?i)shrink"):
            driver.resize_disk(first.id, 1)

        self.until_done(lambda: driver.detach_disk(first.id))
        free = self.listed_disk(driver, first.id, lambda d: d.state is DiskState.AVAILABLE)
        assert (free.attached_to, free.size_gb) == ("", 2)
        if peer is not None:
            assert first.id not in peer(created.cloud_id)
        driver.detach_disk(first.id)  # attached to nothing: a success

        self.until_done(lambda: driver.delete_disk(first.id))
        gone = _until(lambda: all(d.id != first.id for d in driver.disks()),
                      self.settle_timeout, self.settle_interval)  # fmt: skip
        assert gone, "the deleted disk is still listed"
        driver.delete_disk(first.id)  # gone already: a success

    def test_a_disk_outlives_the_instance_it_is_attached_to(
        self: Any,
        driver: Driver,
        make_spec: Callable[..., InstanceSpec],
        cleanup: list[str],
        disk_cleanup: list[str],
    ) -> None:
        self.capable(driver, Capability.DISKS)
        disk = self.until_done(lambda: driver.create_disk(f"testkit-keep-{time.time_ns()}", 1))
        disk_cleanup.append(disk.id)
        self.listed_disk(driver, disk.id, lambda d: d.state is DiskState.AVAILABLE)
        spec, created = self.create(driver, make_spec, cleanup)
        self.running(driver, spec.key)
        self.until_done(lambda: driver.attach_disk(disk.id, created.cloud_id))
        self.listed_disk(driver, disk.id, lambda d: d.attached_to == created.cloud_id)
        driver.delete(created.cloud_id)
        kept = self.listed_disk(driver, disk.id, lambda d: d.state is DiskState.AVAILABLE)
        assert kept.attached_to == ""
        with pytest.raises(TerminalError):  # the instance is gone: nothing to attach to
            self.until_done(lambda: driver.attach_disk(disk.id, created.cloud_id))


def _until(check: Callable[[], bool], timeout: float, interval: float) -> bool:
    """Whether `check` held within `timeout` seconds (asked every `interval`)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _forget(driver: Driver, disk_id: str) -> None:
    """Detach and delete a disk a test made (once it is detached)."""
    driver.detach_disk(disk_id)
    _until(lambda: all(d.id != disk_id or not d.attached_to for d in driver.disks()), 60.0, 0.5)
    driver.delete_disk(disk_id)
