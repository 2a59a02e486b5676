"""The driver author's template works as a third party would use it.

`docs/driver-template` is copied to a temporary folder (outside this
repository), installed into a fresh venv beside the core and the test harness
(`vertice-core` and `vertice-testing`, built from this checkout), found by
`vertice drivers`, and its tests pass there: the driver contract, and the
packaging checks of the harness, which its conftest.py loads.

The harness is opt-in: in that same environment, a test suite whose conftest
does not ask for it runs without vertice's fixtures.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from vertice_testing.venvs import Venv, checkout_wheels

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

#: A suite of another project in the same environment: vertice's fixtures are not there.
UNRELATED = """
def test_vertice_fixtures_are_not_loaded(request):
    assert not request.config.pluginmanager.has_plugin("vertice_testing.plugin")
    with pytest.raises(pytest.FixtureLookupError):
        request.getfixturevalue("db_url")
"""


def test_a_new_driver_from_the_template(tmp_path: Path) -> None:
    copy = tmp_path / "my-driver"
    shutil.copytree(ROOT / "docs" / "driver-template", copy)
    # With a pip of its own: the harness's packaging check builds the plugin's wheel
    # with the environment's pip, as in a plugin author's environment.
    venv = Venv(tmp_path / "venv", *checkout_wheels(ROOT, tmp_path / "wheels"), with_pip=True)
    venv.pip("install", f"{copy}[test]")
    drivers = venv.drivers()
    assert set(drivers) == {"sim", "example"}, drivers
    assert "ok" in drivers["example"]
    assert "start_stop" in drivers["example"]
    output = venv.run("pytest", "tests", "-v", "-p", "no:cacheprovider", cwd=copy)
    assert " FAILED" not in output and " ERROR" not in output, output
    packaging = [line for line in output.splitlines() if "TestExamplePlugin::" in line]
    assert len(packaging) >= 5, output  # the harness's checks ran, through its conftest.py
    assert all(" PASSED" in line for line in packaging), packaging
    assert "TestExampleContract::" in output

    other = tmp_path / "other-project"
    other.mkdir()
    (other / "test_other.py").write_text("import pytest\n" + textwrap.dedent(UNRELATED))
    output = venv.run("pytest", "-q", "-p", "no:cacheprovider", cwd=other)
    assert "1 passed" in output, output
