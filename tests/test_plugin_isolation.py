"""Each driver plugin works alone: a fresh venv with the core and that one plugin.

For every distribution under `plugins/`, a new virtual environment gets the core
(`vertice[postgresql]`, built from this checkout) and the plugin with its test
extra, and nothing else of the project. There, `vertice drivers` must list the
plugin without error (and no other plugin), and the plugin's driver contract
tests (its `DriverContract` subclass, against its peer) must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vertice_testing.venvs import ROOT, Venv, core_wheel

PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return core_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_core_and_one_plugin_alone(plugin: Path, wheel: Path, tmp_path: Path) -> None:
    venv = Venv(tmp_path / "venv", wheel)
    venv.pip("install", f"{plugin}[test]")
    drivers = venv.drivers()
    assert set(drivers) == {"sim", plugin.name}, drivers
    assert "ERROR" not in drivers[plugin.name], drivers
    venv.run("pytest", plugin / "tests", "-q", "-p", "no:cacheprovider", "-k", "Contract")
