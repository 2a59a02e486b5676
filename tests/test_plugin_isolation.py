"""Each driver plugin works alone: a fresh venv with the core and that one plugin.

For every distribution under `plugins/`, a new virtual environment gets the core
(`vertice[postgresql]`, built from this checkout) and the plugin with its test
extra, and nothing else of the project. There, `vertice drivers` must list the
plugin without error (and no other plugin), and the plugin's driver contract
tests (its `DriverContract` subclass, against its peer) must pass.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path = ROOT, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def core_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the core built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, ROOT)
    (wheel,) = out.glob("vertice-*.whl")
    return wheel


@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_core_and_one_plugin_alone(plugin: Path, core_wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    run(pip, "install", "--quiet", f"vertice[postgresql] @ {core_wheel.as_uri()}", "pytest")
    run(pip, "install", "--quiet", f"{plugin}[test]")
    listing = run(venv / "bin" / "vertice", "drivers")
    lines = {line.split()[0]: line for line in listing.splitlines() if line.strip()}
    cloud_type = plugin.name
    assert set(lines) == {"sim", cloud_type}, listing
    assert "ERROR" not in lines[cloud_type], listing
    run(
        venv / "bin" / "pytest",
        plugin / "tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "Contract",
        timeout=900,
    )
