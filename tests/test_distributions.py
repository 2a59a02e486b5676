"""What the core's and the harness's wheels hold: the core ships no test harness.

The core's wheel (`vertice-core`) holds the core's packages and registers no
pytest plugin, so no pytest run in a user's environment loads vertice's
fixtures. The harness is its own distribution (`vertice-testing`, built from
`testing/`): it holds `vertice_testing` alone, registers no `pytest11` entry
point either (a suite opts in from its conftest.py), and requires the core it
was made with.

Every distribution of the repository carries the project's licence text
(Apache-2.0, as each pyproject declares) in its folder, so its wheel does too.
"""

from __future__ import annotations

import configparser
import zipfile
from pathlib import Path

import pytest

from vertice_testing.venvs import checkout_wheels
from vertice_testing.wheels import assert_requires_the_core, wheel_files, wheel_requires

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = {"vertice_core", "vertice_api", "vertice_drivers", "vertice_notify"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return checkout_wheels(ROOT, tmp_path_factory.mktemp("wheels"))


def packages(wheel: Path) -> set[str]:
    """The top-level names a wheel installs (its dist-info aside)."""
    return {f.split("/")[0] for f in wheel_files(wheel) if ".dist-info/" not in f}


def entry_point_groups(wheel: Path) -> set[str]:
    """The entry-point groups a wheel registers."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    return set(parser.sections())


def version_of(wheel: Path) -> str:
    """The version in a wheel's file name."""
    return wheel.name.split("-")[1]


def test_the_core_wheel_holds_the_core_and_no_test_harness(wheels: tuple[Path, Path]) -> None:
    core, _ = wheels
    assert packages(core) == CORE_PACKAGES
    assert entry_point_groups(core) == {
        "console_scripts",
        "vertice.drivers",
        "vertice.builders",
        "vertice.plugins",
    }  # the sim region's driver and builder


def test_the_harness_is_its_own_opt_in_distribution(wheels: tuple[Path, Path]) -> None:
    core, harness = wheels
    assert packages(harness) == {"vertice_testing"}
    with zipfile.ZipFile(harness) as archive:
        assert not [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert_requires_the_core(wheel_requires(harness), version_of(core))


def test_every_distribution_carries_the_licence(wheels: tuple[Path, Path]) -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    projects = [ROOT, ROOT / "testing", *(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))]
    assert [p for p in projects if (p / "LICENSE").read_text() != licence] == []
    for wheel in wheels:
        assert [f for f in wheel_files(wheel) if f.endswith(".dist-info/licenses/LICENSE")], wheel
