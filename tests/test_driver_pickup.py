"""A driver installed while `vertice serve` runs is used without a restart (issue 16).

The driver template (`docs/driver-template`) is installed, as `pip install --target`
would, into a folder on the server's `PYTHONPATH` after the server has started: a
region of its cloud type is then accepted by the API, and the reconciler runs an
assembly in it.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import httpx
import pytest

from vertice_testing.distributions import install_distribution
from vertice_testing.server import running_server
from vertice_testing.waiting import until

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docs" / "driver-template"

pytestmark = pytest.mark.slow


def install_template(folder: Path) -> None:
    """Install the driver template into `folder`: its package, then its metadata (name,
    version and entry points as its pyproject.toml declares them)."""
    project = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["project"]
    shutil.copytree(TEMPLATE / "vertice_driver_example", folder / "vertice_driver_example")
    install_distribution(folder, project["name"], project["version"], project["entry-points"])


def test_a_driver_installed_while_the_server_runs_is_used_without_a_restart(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    with running_server(tmp_path / "home", {"PYTHONPATH": str(target)}) as server:
        client = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}
        )
        before = client.get("/v3/drivers").json()["items"]  # loads every driver there is
        assert "example" not in {d["name"] for d in before}
        install_template(target)
        region = {"name": "late", "cloud_type": "example", "credentials": {"api_key": "k"}}
        created = client.post("/v3/regions", json=region)
        assert created.status_code == 201, created.text
        declared = client.post(
            "/v3/assembly_factory",
            json={"name": "on-late", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                  "region": "late", "flavor": "small"},
        )  # fmt: skip
        assert declared.status_code == 201, declared.text
        uri = f"{declared.headers['location']}?select_attr=status"
        status = until(
            lambda: (s := client.get(uri).json()["status"])["phase"] == "RUNNING" and s,
            "the assembly in the new driver's region runs",
        )
        assert status["phase"] == "RUNNING"
