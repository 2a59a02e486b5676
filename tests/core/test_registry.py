"""Driver discovery: entry points, lazy loading, broken plugins reported and isolated."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner
from stevedore import ExtensionManager

from vertice_api.cli import main
from vertice_core.errors import UnavailableError
from vertice_core.registry import DriverRegistry
from vertice_core.store.repositories import AssemblyRepository, RegionRepository


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """A distribution on sys.path with a broken driver and one whose SDK is missing."""
    dist = tmp_path / "fake_vertice_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-vertice-plugins\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(
        "[vertice.drivers]\nbroken = fake_broken:DRIVER\nneedsdk = fake_needsdk:DRIVER\n"
    )
    (tmp_path / "fake_broken.py").write_text("raise ImportError('this plugin is broken')\n")
    (tmp_path / "fake_needsdk.py").write_text(
        textwrap.dedent(
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
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    # stevedore caches each namespace's entry points for the life of the process.
    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
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
