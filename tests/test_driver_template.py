"""The driver author's template works as a third party would use it.

`docs/driver-template` is copied to a temporary folder (outside this
repository), installed into a fresh venv beside the core, found by
`vertice drivers`, and its driver contract tests pass there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vertice_testing.venvs import ROOT, Venv, core_wheel

pytestmark = pytest.mark.slow


def test_a_new_driver_from_the_template(tmp_path: Path) -> None:
    copy = tmp_path / "my-driver"
    shutil.copytree(ROOT / "docs" / "driver-template", copy)
    venv = Venv(tmp_path / "venv", core_wheel(tmp_path / "wheel"))
    venv.pip("install", f"{copy}[test]")
    drivers = venv.drivers()
    assert set(drivers) == {"sim", "example"}, drivers
    assert "ok" in drivers["example"]
    assert "start_stop" in drivers["example"]
    output = venv.run("pytest", "tests", "-q", "-p", "no:cacheprovider", cwd=copy)
    assert "passed" in output
    assert "failed" not in output
