"""Each plugin works alone: a fresh venv with the core and that one plugin.

For every distribution under `plugins/`, a new virtual environment gets the core
(`vertice-core[postgresql]`) and the test harness (`vertice-testing`), both built
from this checkout, and the plugin's wheel with its test extra, and nothing else of
the project. There, `vertice drivers` must list
the plugin without error (and no other plugin; a router plugin adds no driver), and
the plugin's contract tests (its `DriverContract` or `RouterContract` subclass,
against its peer) must pass.

The plugin must find the core by its own name: its installed metadata requires
`vertice-core` with a bound that the core's version meets and the next minor version
does not, and installing it next to the local core brings in no distribution named
`vertice` (that name on the package index belongs to an unrelated project).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from vertice_testing.venvs import Venv, checkout_wheels
from vertice_testing.wheels import assert_requires_the_core, build_wheel

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return checkout_wheels(ROOT, tmp_path_factory.mktemp("wheels"))


def _is_router(project: Path) -> bool:
    """Whether the project is a router plugin (an entry point in `vertice.routers`)."""
    declared = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    return "vertice.routers" in declared.get("entry-points", {})


def distribution_of(project: Path) -> str:
    """The canonical distribution name that a project folder's pyproject.toml declares."""
    declared = tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"]
    return canonicalize_name(declared)


@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_core_and_one_plugin_alone(plugin: Path, wheels: tuple[Path, Path], tmp_path: Path) -> None:
    venv = Venv(tmp_path / "venv", *wheels)
    name = distribution_of(plugin)
    venv.pip("install", f"{name}[test] @ {build_wheel(plugin, tmp_path / 'plugin').as_uri()}")
    installed = venv.distributions()
    assert "vertice" not in installed, "the package index's unrelated `vertice` came in"
    core_version, _ = installed["vertice-core"]
    _, requires = installed[name]
    assert_requires_the_core(requires, core_version)
    drivers = venv.drivers()
    if _is_router(plugin):  # a router plugin adds no driver
        assert set(drivers) == {"sim"}, drivers
    else:
        assert set(drivers) == {"sim", plugin.name}, drivers
        assert "ERROR" not in drivers[plugin.name], drivers
    venv.run("pytest", plugin / "tests", "-q", "-p", "no:cacheprovider", "-k", "Contract", cwd=ROOT)
