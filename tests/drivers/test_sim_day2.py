"""The sim's day-2 verbs beyond the contract, and the contract's day-2 checks failing a
driver that claims a capability but does not honour it (or honours one it does not claim).

The checks are run here as the contract runs them, on sim drivers broken on purpose.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from vertice_core.driver import (
    Capability,
    CloudImage,
    Driver,
    ImageState,
    RegionConfig,
    SizeSpec,
)
from vertice_core.errors import TerminalError, TransientError
from vertice_core.model.status import InstanceState
from vertice_drivers.sim import DRIVER, SimDriver, SimSettings
from vertice_drivers.testkit import DriverContract, default_spec, unique_key

MEDIUM = SizeSpec("medium", 2, 4096, 40)


def sim_driver(home: Path, installation: str = "vti-testkit", **settings) -> SimDriver:
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="local",
            cloud_type="sim",
            installation_id=installation,
            settings=SimSettings(**settings),
            home=home,
        )
    )


def launched(driver: SimDriver, **changes) -> str:
    return driver.create(default_spec("vti-testkit", unique_key("d2"), **changes)).cloud_id


def state_and_size(driver: SimDriver, cloud_id: str) -> tuple[InstanceState, str]:
    (found,) = [i for i in driver.observe() if i.cloud_id == cloud_id]
    return found.state, found.size


def test_a_running_instance_boots_again_at_its_new_size(tmp_path):
    driver = sim_driver(tmp_path)
    cloud_id = launched(driver)
    assert state_and_size(driver, cloud_id) == (InstanceState.RUNNING, "small")
    slow = sim_driver(tmp_path, boot_time=60.0)
    slow.resize(cloud_id, MEDIUM)
    assert state_and_size(driver, cloud_id) == (InstanceState.PENDING, "medium")
    slow.resize(cloud_id, MEDIUM)  # the size it has: no second restart
    driver.stop(cloud_id)
    driver.resize(cloud_id, SizeSpec("small", 1, 1024, 10))
    assert state_and_size(driver, cloud_id) == (InstanceState.STOPPED, "small")


def test_a_snapshot_is_pending_then_launches_and_is_refused_once_gone(tmp_path):
    driver = sim_driver(tmp_path, boot_time=60.0)
    image = driver.snapshot(launched(sim_driver(tmp_path)), "nightly")
    assert (image.name, image.state) == ("nightly", ImageState.PENDING)
    with pytest.raises(TransientError) as not_yet:
        launched(driver, image_id=image.id)
    assert not_yet.value.reason == "ImageNotReady"
    driver.delete_snapshot(image.id)
    with pytest.raises(TerminalError) as gone:
        launched(driver, image_id=image.id)
    assert gone.value.reason == "ImageNotFound"


def test_a_create_retried_after_its_image_went_returns_its_instance(tmp_path):
    driver = sim_driver(tmp_path)
    image = driver.snapshot(launched(driver), "nightly")
    spec = default_spec("vti-testkit", unique_key("d2"), image_id=image.id)
    made = driver.create(spec)
    driver.delete_snapshot(image.id)
    assert driver.create(spec).cloud_id == made.cloud_id  # the key's instance, no refusal


def test_snapshots_are_the_installations_own(tmp_path):
    ours, theirs = sim_driver(tmp_path), sim_driver(tmp_path, installation="vti-someone-else")
    cloud_id = launched(ours)
    image = ours.snapshot(cloud_id, "nightly")
    assert theirs.snapshots() == []
    with pytest.raises(TerminalError) as caught:
        theirs.delete_snapshot(image.id)
    assert caught.value.reason == "NotOurs"
    assert theirs.snapshot(cloud_id, "nightly").id != image.id  # names are per installation
    with pytest.raises(TerminalError):
        ours.snapshot("sim-000000000000", "other")  # no such instance


# -- the contract's checks fail drivers that do not honour their claims --


class IgnoresResize(SimDriver):
    def resize(self, cloud_id: str, size: SizeSpec) -> None:
        pass


class ForgetsSnapshots(SimDriver):
    def snapshot(self, cloud_id: str, name: str) -> CloudImage:
        return CloudImage(f"sim-img-{name}", name, state=ImageState.AVAILABLE)


class IgnoresImageId(SimDriver):
    def create(self, spec):
        return super().create(attrs.evolve(spec, image_id=""))


class IgnoresHardPower(SimDriver):
    def hard_reboot(self, cloud_id: str) -> None:
        pass

    def hard_stop(self, cloud_id: str) -> None:
        pass


class SuspendsAsStop(SimDriver):
    """Its `suspend` powers the instance off; its `start` boots it."""

    def suspend(self, cloud_id: str) -> None:
        self.stop(cloud_id)


class SuspendsWithoutMark(SuspendsAsStop):
    """As `SuspendsAsStop`, checked without the `suspend_mark` fixture: the boot shows."""


class AdoptsWithoutTagging(SimDriver):
    """Says it adopted: returns the instance as if tagged, tags nothing."""

    def adopt(self, cloud_id, tags):
        (found,) = [i for i in self.unmanaged() if i.cloud_id == cloud_id]
        return attrs.evolve(found, key=tags["vertice-key"])


class AdoptsAnyones(SimDriver):
    """Adopts an instance another installation manages, taking it over."""

    def adopt(self, cloud_id, tags):
        item = self._existing(cloud_id)
        if item is not None and item["installation"] not in ("", tags["vertice-installation"]):
            return attrs.evolve(self._instance(item), key=tags["vertice-key"])
        return super().adopt(cloud_id, tags)


DAY2 = {Capability.RESIZE, Capability.SNAPSHOT, Capability.HARD_REBOOT, Capability.HARD_STOP,
        Capability.SUSPEND, Capability.ADOPT}  # fmt: skip


class ClaimsNoDay2(SimDriver):
    """Claims no day-2 capability, and keeps the interface's refusals."""

    info = attrs.evolve(DRIVER, capabilities=DRIVER.capabilities - DAY2)
    resize = Driver.resize
    snapshot = Driver.snapshot
    snapshots = Driver.snapshots
    delete_snapshot = Driver.delete_snapshot
    hard_reboot = Driver.hard_reboot
    hard_stop = Driver.hard_stop
    suspend = Driver.suspend
    unmanaged = Driver.unmanaged
    adopt = Driver.adopt


class ResizesUnclaimed(ClaimsNoDay2):
    resize = SimDriver.resize


class Contract(DriverContract):
    settle_timeout = 1.0
    settle_interval = 0.01


class Fixtures:
    """What a check asks of pytest's `request`: the optional fixtures, given here."""

    def __init__(self, request: pytest.FixtureRequest, **given) -> None:
        self.request, self.given = request, given

    def getfixturevalue(self, name):
        if name not in self.given:  # pytest's own lookup: none here, as it says it
            return self.request.getfixturevalue(name)
        return self.given[name]


@pytest.fixture
def check(tmp_path, request):
    """`check(cls, name)`: run the contract's check `name` on a sim driver of class `cls`."""

    def run(cls: type[SimDriver], name: str) -> None:
        driver = cls(sim_driver(tmp_path).region)
        image = lambda instance: driver.cloud.get("default", instance.cloud_id, 0)["image"]  # noqa: E731
        marks = {} if cls is SuspendsWithoutMark else {"suspend_mark": suspended(driver)}
        given = {
            "driver": driver,
            "make_spec": lambda key, **changes: default_spec("vti-testkit", key, **changes),
            "cleanup": [],
            "other_size": MEDIUM,
            "snapshot_cleanup": [],
            "request": Fixtures(
                request,
                launched_image=image,
                boot_mark=lambda i: driver.cloud.get("default", i.cloud_id, 0)["boot_at"],
                foreign_driver=cls(sim_driver(tmp_path, installation="vti-someone-else").region),
                make_unmanaged=driver.hand_made,
                **marks,
            ),
        }
        method = getattr(Contract(), name)
        wanted = method.__code__.co_varnames[1 : method.__code__.co_argcount]
        method(**{k: v for k, v in given.items() if k in wanted})

    return run


def test_the_resize_check_fails_a_driver_that_ignores_resize(check):
    check(SimDriver, "test_resize_keeps_the_instance_and_its_state")
    with pytest.raises(pytest.fail.Exception):
        check(IgnoresResize, "test_resize_keeps_the_instance_and_its_state")


def test_the_snapshot_check_fails_a_driver_that_does_not_honour_it(check):
    check(SimDriver, "test_snapshot_is_idempotent_by_name_and_launchable")
    with pytest.raises(pytest.fail.Exception, match="snapshots not settled"):
        check(ForgetsSnapshots, "test_snapshot_is_idempotent_by_name_and_launchable")
    with pytest.raises(AssertionError):
        check(IgnoresImageId, "test_snapshot_is_idempotent_by_name_and_launchable")


def test_the_hard_power_checks_fail_a_driver_that_ignores_them(check):
    check(SimDriver, "test_hard_reboot_boots_the_same_instance_again")
    check(SimDriver, "test_hard_stop_stops_the_same_instance")
    with pytest.raises(pytest.fail.Exception):
        check(IgnoresHardPower, "test_hard_reboot_boots_the_same_instance_again")
    with pytest.raises(pytest.fail.Exception):
        check(IgnoresHardPower, "test_hard_stop_stops_the_same_instance")


def test_the_suspend_check_fails_a_driver_that_stops_instead(check):
    check(SimDriver, "test_suspend_keeps_the_instance_and_start_resumes_it")
    with pytest.raises(AssertionError):  # not held suspended
        check(SuspendsAsStop, "test_suspend_keeps_the_instance_and_start_resumes_it")
    with pytest.raises(AssertionError):  # booted again by the start
        check(SuspendsWithoutMark, "test_suspend_keeps_the_instance_and_start_resumes_it")


def suspended(driver: SimDriver):
    """Whether the sim holds the instance suspended (the contract's `suspend_mark`)."""
    return lambda i: driver.cloud.get("default", i.cloud_id, 0)["state"] == "suspended"


def test_the_adopt_check_fails_a_driver_that_does_not_honour_it(check):
    check(SimDriver, "test_adopt_makes_an_unmanaged_instance_ours_without_a_restart")
    with pytest.raises(ValueError, match="not enough values"):  # observe does not list it
        check(AdoptsWithoutTagging, "test_adopt_makes_an_unmanaged_instance_ours_without_a_restart")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        check(AdoptsAnyones, "test_adopt_makes_an_unmanaged_instance_ours_without_a_restart")


def test_the_refusal_check_fails_a_driver_that_resizes_without_claiming_it(check):
    check(ClaimsNoDay2, "test_unclaimed_day2_operations_are_refused")
    with pytest.raises(AssertionError, match="resize"):  # its own error, not the refusal
        check(ResizesUnclaimed, "test_unclaimed_day2_operations_are_refused")
