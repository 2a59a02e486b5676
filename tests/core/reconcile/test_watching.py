"""Drift repaired in seconds (issue 18): the regions whose driver claims `watch` are
watched, and a change the cloud tells of pokes the region, whose next pass repairs it
long before the periodic resync.

The sim claims no `watch`; here a registry serves it as a driver that does
(`WatchingSim`: it polls its own file, as a cloud's event stream would tell).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import pytest

from vertice_core.driver import Capability, Driver, DriverInfo, RegionConfig
from vertice_core.errors import TransientError
from vertice_core.reconcile.watching import RegionWatchers
from vertice_core.registry import DriverRegistry
from vertice_core.store.tables import RegionRow
from vertice_drivers.sim import DRIVER as SIM
from vertice_drivers.sim import SimDriver, SimSettings
from vertice_drivers.testkit import DriverContract, default_spec, unique_key
from vertice_drivers.testkit_watch import WatchContract
from vertice_testing.plugin import FAST

WATCHING = attrs.evolve(SIM, capabilities=SIM.capabilities | {Capability.WATCH})


class WatchingSim(SimDriver):
    """The sim, watching: `changed()` whenever what its listing shows moved."""

    info = WATCHING

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        def seen() -> set[tuple[str, str]]:
            return {(i.cloud_id, i.state.value) for i in self.observe()}

        before = seen()
        while not stop.wait(0.02):
            now = seen()
            if now != before:
                changed()
            before = now


class WatchingRegistry(DriverRegistry):
    """The installed drivers, with `sim` served by `WatchingSim`."""

    def info(self, cloud_type: str) -> DriverInfo:
        return WATCHING if cloud_type == "sim" else super().info(cloud_type)

    def driver_class(self, cloud_type: str) -> type[Driver]:
        return WatchingSim if cloud_type == "sim" else super().driver_class(cloud_type)


# -- the watchers alone --


class Registry:
    """Serves `watching` (claims WATCH) and `plain` (does not)."""

    def info(self, cloud_type: str) -> DriverInfo:
        if cloud_type == "missing":
            raise RuntimeError("not installed")
        capabilities = {Capability.WATCH} if cloud_type == "watching" else set()
        return DriverInfo(cloud_type, "nowhere:Nothing", frozenset(capabilities))


class FakeDriver:
    """A driver whose `watch` reports to the test, and fails while told to."""

    def __init__(self, region: RegionRow) -> None:
        self.region = region.name
        self.watching = threading.Event()
        self.failures = 0
        self.changed: Callable[[], None] = lambda: None

    def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientError("the stream dropped", reason="EngineDown")
        self.changed = changed
        self.watching.set()
        stop.wait()
        self.watching.clear()


def row(name: str, cloud_type: str = "watching", version: int = 1) -> RegionRow:
    return RegionRow(name=name, cloud_type=cloud_type, updated_at=datetime(2026, 1, version))


def watchers(drivers: dict[str, FakeDriver], pokes: list[str], **kw: Any) -> RegionWatchers:
    def driver_of(region: RegionRow) -> Any:
        return drivers.setdefault(region.name, FakeDriver(region))

    return RegionWatchers(Registry(), driver_of, pokes.append, **kw)  # type: ignore[arg-type]


def wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_only_regions_whose_driver_claims_watch_are_watched_and_their_changes_poke():
    drivers: dict[str, FakeDriver] = {}
    pokes: list[str] = []
    watched = watchers(drivers, pokes)
    try:
        watched.sync([row("a"), row("p", "plain"), row("m", "missing")])
        assert watched.regions == ["a"]
        wait(drivers["a"].watching.is_set)
        assert set(drivers) == {"a"}
        drivers["a"].changed()
        drivers["a"].changed()
        assert pokes == ["a", "a"]
    finally:
        watched.close()
    assert not drivers["a"].watching.is_set()


def test_regions_that_go_are_no_longer_watched_and_a_changed_region_is_watched_anew():
    drivers: dict[str, FakeDriver] = {}
    watched = watchers(drivers, [])
    try:
        watched.sync([row("a"), row("b")])
        wait(lambda: all(d.watching.is_set() for d in drivers.values()) and len(drivers) == 2)
        first = watched._watchers["b"]
        watched.sync([row("b")])
        assert watched.regions == ["b"]
        wait(lambda: not drivers["a"].watching.is_set())
        assert watched._watchers["b"] is first  # the same row: the same watcher
        watched.sync([row("b", version=2)])  # the region changed: a new driver, watched
        assert watched._watchers["b"] is not first
        wait(lambda: not first.thread.is_alive())
    finally:
        watched.close()
    assert watched.regions == []
    watched.sync([row("c")])  # closed: nothing starts
    assert watched.regions == []


def test_a_failing_watch_is_logged_in_one_line_and_watched_again_after_a_backoff(caplog):
    drivers = {"a": FakeDriver(row("a"))}
    drivers["a"].failures = 2
    pokes: list[str] = []
    watched = watchers(drivers, pokes, backoff_base=0.05, backoff_cap=0.1)
    try:
        with caplog.at_level(logging.WARNING, logger="vertice.reconcile.watch"):
            watched.sync([row("a")])
            wait(drivers["a"].watching.is_set)
    finally:
        watched.close()
    failures = [r for r in caplog.records if r.name == "vertice.reconcile.watch"]
    assert len(failures) == 2
    assert all(r.exc_info is None for r in failures)  # no traceback for a DriverError
    assert "the stream dropped (EngineDown)" in failures[0].getMessage()
    assert pokes == ["a", "a"]  # each watch again: what happened meanwhile is looked at


def test_a_watch_that_raises_a_bug_never_reaches_the_caller(caplog):
    class Broken(FakeDriver):
        def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
            raise KeyError("a bug")

    drivers: dict[str, FakeDriver] = {"a": Broken(row("a"))}
    watched = watchers(drivers, [], backoff_base=0.05, backoff_cap=0.05)
    try:
        with caplog.at_level(logging.ERROR, logger="vertice.reconcile.watch"):
            watched.sync([row("a")])
            wait(lambda: len(caplog.records) >= 2)
    finally:
        watched.close()
    assert watched._watchers == {}


# -- a reconciler watching the sim --


@pytest.fixture
def watching() -> bool:
    """Whether the sim is served as a driver that watches (a test may say False)."""
    return True


@pytest.fixture
def ctx(ctx, watching):
    return attrs.evolve(ctx, registry=WatchingRegistry()) if watching else ctx


def test_an_instance_removed_behind_its_back_is_replaced_long_before_the_resync(
    admin, make_reconciler, sim_cloud
):
    reconciler = make_reconciler(attrs.evolve(FAST, resync=600.0))
    uri = admin.declare("watched").json["uri"]
    stop = threading.Event()
    loop = threading.Thread(target=reconciler.run_forever, args=(stop,))
    loop.start()
    try:
        wait(lambda: admin.status(uri)["phase"] == "RUNNING", 30)
        assert reconciler.watchers.regions == ["local"]
        (instance,) = admin.status(uri)["instances"]
        time.sleep(0.3)  # settled: nothing is due until the resync, 10 minutes away
        sim_cloud.terminate("default", instance["cloud_id"], time.time())
        removed = time.monotonic()

        def replaced() -> bool:
            status = admin.status(uri)
            found = status["instances"]
            return status["phase"] == "RUNNING" and [i["cloud_id"] for i in found] not in (
                [],
                [instance["cloud_id"]],
            )

        wait(replaced, 20)
        print(f"replaced {time.monotonic() - removed:.2f} s after the removal")

        (again,) = admin.status(uri)["instances"]
        sim_cloud.set_state("default", again["cloud_id"], "stopped")  # stopped behind its back
        wait(lambda: sim_cloud.get("default", again["cloud_id"], time.time())["state"]
             == "running", 20)  # fmt: skip
    finally:
        stop.set()
        loop.join(30)
    assert reconciler.watchers.regions == []  # stopped with the reconciler


@pytest.mark.parametrize("watching", [False])
def test_without_watch_the_removal_waits_for_the_resync(admin, make_reconciler, sim_cloud):
    reconciler = make_reconciler(attrs.evolve(FAST, resync=600.0))
    uri = admin.declare("unwatched").json["uri"]
    stop = threading.Event()
    loop = threading.Thread(target=reconciler.run_forever, args=(stop,))
    loop.start()
    try:
        wait(lambda: admin.status(uri)["phase"] == "RUNNING", 30)
        assert reconciler.watchers.regions == []
        (instance,) = admin.status(uri)["instances"]
        time.sleep(0.3)
        sim_cloud.terminate("default", instance["cloud_id"], time.time())
        time.sleep(2.0)
        assert [i["cloud_id"] for i in admin.status(uri)["instances"]] == [instance["cloud_id"]]
    finally:
        stop.set()
        loop.join(30)


# -- the testkit's check, on a driver that watches --


class TestWatchingSimContract(WatchContract):
    """The testkit's watch checks pass for a driver that honours its claim (and would fail
    one that claims it and never calls back: see the next test)."""

    settle_timeout = 10.0
    settle_interval = 0.02
    find = DriverContract.find
    settle = DriverContract.settle
    running = DriverContract.running
    create = DriverContract.create
    capable = DriverContract.capable
    make_spec = DriverContract.make_spec
    cleanup = DriverContract.cleanup

    @pytest.fixture
    def driver(self, tmp_path):
        return WatchingSim(sim_config(tmp_path, "vti-watching"))

    @pytest.fixture
    def foreign_driver(self, tmp_path):
        return WatchingSim(sim_config(tmp_path, "vti-someone-else"))


def test_the_testkit_fails_a_driver_that_claims_watch_and_never_calls_back(tmp_path, request):
    class Deaf(WatchingSim):
        def watch(self, changed: Callable[[], None], stop: threading.Event) -> None:
            stop.wait()

    contract = TestWatchingSimContract()
    contract.watch_timeout = 0.3
    driver = Deaf(sim_config(tmp_path, "vti-deaf"))
    spec = default_spec("vti-deaf", unique_key())
    made: list[str] = []
    with pytest.raises(AssertionError, match="changed was not called"):
        TestWatchingSimContract.test_watch_tells_when_an_instance_stops_or_goes(
            contract, request, driver, lambda key, **kw: spec, made
        )
    driver.delete(made[0])


def sim_config(home: Any, installation: str) -> RegionConfig:
    return RegionConfig(
        name="local",
        cloud_type="sim",
        installation_id=installation,
        settings=SimSettings(boot_time=0.05),
        home=home,
    )
