"""Driver discovery: entry points, lazy loading, broken plugins reported and isolated."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from vertice_api.cli import main
from vertice_core.errors import UnavailableError
from vertice_core.registry import DriverNotInstalled, DriverRegistry
from vertice_core.store.repositories import AssemblyRepository, RegionRepository
from vertice_testing.distributions import install_distribution

#: A driver's light module: its DriverInfo, whose SDK is not installed.
NEEDS_SDK = textwrap.dedent(
    """
    from vertice_core.driver import Capability, DriverInfo
    DRIVER = DriverInfo(
        cloud_type="needsdk",
        factory="fake_needsdk_impl:Driver",
        capabilities=frozenset({Capability.REBOOT}),
        requires=("an_sdk_that_is_not_installed",),
    )
    """
)


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """A distribution on sys.path with a broken driver and one whose SDK is missing."""
    install_distribution(
        tmp_path,
        "fake-vertice-plugins",
        "0.1",
        {"vertice.drivers": {"broken": "fake_broken:DRIVER", "needsdk": "fake_needsdk:DRIVER"}},
        {
            "fake_broken.py": "raise ImportError('this plugin is broken')\n",
            "fake_needsdk.py": NEEDS_SDK,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_installed_drivers_are_read_from_metadata_and_failures_reported(fake_plugins):
    registry = DriverRegistry()
    assert {"sim", "broken", "needsdk"} <= set(registry.installed())
    reports = {r.cloud_type: r for r in registry.report()}
    assert reports["sim"].error is None
    assert "start_stop" in reports["sim"].capabilities
    assert "this plugin is broken" in reports["broken"].error
    assert reports["needsdk"].error == "missing: an_sdk_that_is_not_installed"
    assert reports["needsdk"].capabilities == ["reboot"]
    with pytest.raises(UnavailableError, match="not installed"):
        registry.driver_class("needsdk")
    with pytest.raises(UnavailableError, match="failed to load"):
        registry.info("broken")
    with pytest.raises(UnavailableError, match="installed: "):
        registry.info("nonexistent")


def test_the_cli_lists_drivers_with_their_errors(fake_plugins):
    result = CliRunner().invoke(main, ["drivers"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "ok" in lines["sim"]
    assert "ERROR" in lines["broken"]
    assert "an_sdk_that_is_not_installed" in lines["needsdk"]


def test_the_api_lists_drivers_for_admins_only(fake_plugins, admin, alice):
    listing = admin.get("/v3/drivers")
    assert listing.status_code == 200
    names = {d["name"]: d for d in listing.json["items"]}
    assert names["sim"]["error"] is None
    assert names["broken"]["error"]
    assert alice.get("/v3/drivers").status_code == 403


def test_a_region_needs_an_installed_driver(fake_plugins, admin):
    bad = admin.post("/v3/regions", {"name": "nowhere", "cloud_type": "nonexistent"})
    assert bad.status_code == 422
    (problem,) = bad.json["problems"]
    assert problem["path"] == "$.cloud_type"
    assert "sim" in problem["message"]


def test_a_broken_driver_does_not_stop_the_others(
    fake_plugins, ctx, alice, make_reconciler, converge
):
    with ctx.store.write() as session:
        RegionRepository(session).add(name="elsewhere", cloud_type="needsdk", settings={})
    good = alice.declare("good").headers["location"]
    stuck = alice.declare("stuck", region="elsewhere").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.get(good).json["status"]["phase"] == "RUNNING")
    converge(reconciler, lambda: alice.get(stuck).json["status"]["reason"] != "")
    status = alice.get(stuck).json["status"]
    assert status["phase"] == "PENDING"
    assert "an_sdk_that_is_not_installed" in status["message"]
    with ctx.store.read() as session:
        assert AssemblyRepository(session).one(stuck.rsplit("/", 1)[1], None).attempts >= 1


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_driver_installed_after_the_start_is_found_once_the_name_may_be_looked_for_again(
    tmp_path, monkeypatch
):
    """A cloud type the registry does not know makes it read the entry points again, at
    most once per name every `rescan_interval` seconds (issue 16)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    clock = Clock()
    registry = DriverRegistry(rescan_interval=10, clock=clock)
    registry.info("sim")  # a driver loaded before: stevedore then kept the old list for good
    with pytest.raises(DriverNotInstalled):
        registry.info("latecomer")
    install_distribution(
        tmp_path,
        "late-driver",
        "1.0",
        {"vertice.drivers": {"latecomer": "late_driver:DRIVER"}},
        {"late_driver.py": NEEDS_SDK.replace('"needsdk"', '"latecomer"')},
    )
    clock.now = 9.0
    with pytest.raises(DriverNotInstalled):  # looked for 9 s ago: not read again yet
        registry.info("latecomer")
    assert "latecomer" not in registry.installed()  # nor is the list, read at the start
    clock.now = 10.0
    assert registry.info("latecomer").cloud_type == "latecomer"
    assert registry.installed()["latecomer"].distribution == "late-driver"


def test_a_driver_installed_after_the_start_that_cannot_be_imported_asks_for_a_restart(
    tmp_path, monkeypatch
):
    """An entry point of a distribution that was not there at the start, whose module
    this process cannot import (a path only a new .pth adds, an upgraded package), needs
    a restart: it is not broken (issue 16)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = DriverRegistry(rescan_interval=0)
    install_distribution(
        tmp_path, "pth-driver", "2.0", {"vertice.drivers": {"viapth": "not_on_the_path:DRIVER"}}
    )
    with pytest.raises(UnavailableError) as refused:
        registry.info("viapth")
    assert str(refused.value) == (
        "the 'viapth' driver (pth-driver 2.0) was installed after this process started: "
        "restart vertice to load it"
    )
    (report,) = [r for r in registry.report() if r.cloud_type == "viapth"]
    assert report.error == str(refused.value)
