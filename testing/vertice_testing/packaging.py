"""The checks every driver plugin passes as installed, shared by the plugins' test suites.

A plugin's `test_<cloud>_plugin.py` subclasses `PluginPackaging`, names its
cloud, distribution, classes and SDK modules, and provides two fixtures: a
valid region body and the secret strings in it. The tests then check that

- the entry point is found and its module loads without importing the SDK
  (drivers are imported lazily: `vertice --help` and the API must stay light);
- `vertice drivers` lists the plugin as usable, with a capability it declares;
- the driver class loads through the registry;
- a region's credentials are accepted, sealed, and never shown by the API;
- the wheel a user's `pip install` gets holds the driver's package and
  nothing else (no test peer, fake or test module), and requires
  `vertice-core` with a compatible-version bound, never `vertice`.

Checks particular to a cloud (its settings' validation) stay in the plugin's
own module, beside the subclass.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from vertice_core.registry import DriverRegistry
from vertice_testing.wheels import (
    assert_requires_the_core,
    build_wheel,
    peers_and_tests_in,
    wheel_files,
    wheel_requires,
)


class PluginPackaging:
    """Subclass as `TestXxxPlugin` and set the class attributes below."""

    #: The region `cloud_type` the plugin's entry point is named after.
    cloud_type: ClassVar[str]
    #: The distribution's name, as `vertice drivers` shows it.
    distribution: ClassVar[str]
    driver_class: ClassVar[str]
    settings_class: ClassVar[str]
    #: Module names (and their submodules) that loading the entry point must not import.
    sdk_modules: ClassVar[tuple[str, ...]]
    #: One capability `vertice drivers` must list for the driver.
    capability: ClassVar[str] = "start_stop"
    #: The plugin's project folder (its pyproject.toml); by default the parent of the
    #: folder of the test module (`<project>/tests/test_<cloud>_plugin.py`).
    project: ClassVar[Path | None] = None

    @pytest.fixture
    def region_body(self) -> dict[str, Any]:
        """A valid `POST /v3/regions` body for this cloud."""
        raise NotImplementedError

    @pytest.fixture
    def secrets(self) -> list[str]:
        """The strings of `region_body` the API must never show."""
        raise NotImplementedError

    def test_the_entry_point_is_found_without_importing_the_sdk(self) -> None:
        code = (
            "import sys\n"
            "from vertice_core.registry import DriverRegistry\n"
            f"info = DriverRegistry().info({self.cloud_type!r})\n"
            f"assert info.settings.__name__ == {self.settings_class!r}, info\n"
            f"sdk = {self.sdk_modules!r}\n"
            "loaded = [m for m in sys.modules for p in sdk if m == p or m.startswith(p + '.')]\n"
            "assert not loaded, loaded\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_vertice_drivers_lists_it_as_usable(self, tmp_path: Any) -> None:
        listing = subprocess.run(
            [sys.executable, "-m", "vertice_api.cli", "drivers"],
            env={"VERTICE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (line,) = [row for row in listing.splitlines() if row.startswith(self.cloud_type + " ")]
        assert self.distribution in line
        assert " ok " in line
        assert self.capability in line

    def test_the_driver_class_loads_through_the_registry(self) -> None:
        cls = DriverRegistry().driver_class(self.cloud_type)
        assert cls.__name__ == self.driver_class
        assert cls.info.cloud_type == self.cloud_type

    def test_credentials_are_sealed_and_never_returned(
        self, admin: Any, region_body: dict[str, Any], secrets: list[str]
    ) -> None:
        assert secrets, "name the secret strings of the region body"
        created = admin.post("/v3/regions", region_body)
        assert created.status_code == 201, created.json
        for shown in (created.text, admin.get(f"/v3/regions/{region_body['name']}").text):
            leaked = [secret for secret in secrets if secret in shown]
            assert not leaked, leaked

    def test_its_wheel_holds_the_driver_alone_and_requires_the_core(
        self, request: pytest.FixtureRequest, tmp_path: Path
    ) -> None:
        project = self.project or request.path.resolve().parents[1]
        assert (project / "pyproject.toml").is_file(), f"set `project`: {project} has none"
        (entry,) = importlib.metadata.entry_points(group="vertice.drivers", name=self.cloud_type)
        package = entry.module.split(".")[0]
        wheel = build_wheel(project, tmp_path)
        files = wheel_files(wheel)
        assert {f.split("/")[0] for f in files if ".dist-info/" not in f} == {package}, files
        found = peers_and_tests_in(files)
        assert not found, f"test support in the wheel: {found}"
        assert_requires_the_core(wheel_requires(wheel), importlib.metadata.version("vertice-core"))
