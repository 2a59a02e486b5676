"""`vertice apply -f` of every kind and `delete -f`, through a real `vertice serve`.

A directory holding a region, a flavor, a plan, an SSH key and an assembly
using them is applied in one go, kinds first whatever the files' order
(`region/... created`), then again (all `unchanged`); a changed flavor file is
`configured`; `delete -f` removes it all, assemblies first, and again prints
`not found` lines. Credentials come from `${VAR}` and `{fromFile: PATH}` and
are never printed; an unset variable is an error naming it. Changing an
assembly's flavor by `apply` is an error (exit 1) that changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vertice_testing.cli import FAST_RECONCILER, lines, write
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k@h"
PLAN = json.loads(
    (Path(__file__).parents[1] / "vertice_core/plans/1_virtualmachine_ubuntu.json").read_text()
)
USER = "one-operator"
PASSWORD = "s3cret-from-a-file"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-manifests"), FAST_RECONCILER) as live:
        yield live


def put(path: Path, *documents: dict[str, Any]) -> Path:
    """Write documents as a YAML stream."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, list(documents), "yaml")
    return path


def app(**extra: Any) -> dict[str, Any]:
    return {"name": "mf-app", "plan_uri": "/v3/plan/mf-plan", "region": "mf-east",
            "flavor": "mf-tiny", **extra}  # fmt: skip


def flavor(ram: int) -> dict[str, Any]:
    return {"kind": "flavor", "name": "mf-tiny", "cpu": 1, "ram": ram, "disk": 5,
            "regions": ["mf-east"]}  # fmt: skip


def setup(folder: Path) -> Path:
    """A directory whose first file launches into what the others set up."""
    put(folder / "00-app.yaml", app(description="first"))
    put(folder / "10-catalog.yaml",
        {"kind": "region", "name": "mf-east", "cloud_type": "sim", "description": "east"},
        flavor(512))  # fmt: skip
    write(folder / "20-plan.json", {**PLAN, "kind": "plan", "name": "mf-plan"})
    (folder / "30-key.yml").write_text(yaml.safe_dump({"kind": "sshkey", "name": "mf-key",
                                                       "public_key": KEY}))  # fmt: skip
    (folder / "notes.txt").write_text("not a manifest")
    return folder


def test_a_directory_is_applied_kinds_first_then_unchanged_then_deleted(cli, tmp_path):
    folder = str(setup(tmp_path / "site"))
    first = lines(cli("apply", "-f", folder).stdout)
    assert first[:4] == ["region/mf-east created", "flavor/mf-tiny created",
                         "plan/mf-plan created", "sshkey/mf-key created"]  # fmt: skip
    assert first[4].startswith("mf-app created (asm-") and len(first) == 5
    assert lines(cli("apply", "-f", folder).stdout) == [
        "region/mf-east unchanged", "flavor/mf-tiny unchanged", "plan/mf-plan unchanged",
        "sshkey/mf-key unchanged", "mf-app unchanged",
    ]  # fmt: skip

    put(tmp_path / "site/10-catalog.yaml",
        {"kind": "region", "name": "mf-east", "cloud_type": "sim", "description": "east"},
        flavor(1024))  # fmt: skip
    changed = lines(cli("apply", "-f", folder).stdout)
    assert "flavor/mf-tiny configured (ram)" in changed
    assert json.loads(cli("get", "flavor", "mf-tiny", "-o", "json").stdout)["ram"] == 1024

    gone = cli("delete", "-f", folder).stdout
    assert lines(gone)[0] == "mf-app delete requested"
    assert lines(gone)[-4:] == ["sshkey/mf-key deleted", "plan/mf-plan deleted",
                                "flavor/mf-tiny deleted", "region/mf-east deleted"]  # fmt: skip
    assert "region/mf-east" not in cli("get", "regions", "-o", "name").stdout
    assert lines(cli("delete", "-f", folder).stdout) == [
        "mf-app not found", "sshkey/mf-key not found", "plan/mf-plan not found",
        "flavor/mf-tiny not found", "region/mf-east not found",
    ]  # fmt: skip


def test_changing_an_assemblys_flavor_is_an_error_that_changes_nothing(cli, tmp_path):
    folder = setup(tmp_path / "fixed")
    cli("apply", "-f", str(folder))
    path = put(folder / "00-app.yaml", app(flavor="small", description="second"))
    refused = cli("apply", "-f", str(path), code=1)
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: mf-app ({path}, document 1): flavor of assembly mf-app cannot change in place "
        "(apply --replace deletes the assembly and declares it anew); nothing of it was "
        "changed; `vertice resize mf-app small` resizes its instances in place where the "
        "region's driver can\n"
    )
    stored = json.loads(cli("get", "assembly", "mf-app", "-o", "json").stdout)
    assert (stored["flavor"], stored["description"]) == ("mf-tiny", "first")
    cli("delete", "-f", str(folder))


def test_credentials_come_from_the_environment_and_files_and_are_never_shown(cli, tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/password").write_text(PASSWORD + "\n\n")
    region = {"kind": "region", "name": "mf-one", "cloud_type": "opennebula",
              "endpoint": "https://one.example.test:2633/RPC2",
              "credentials": {"user": "${MF_ONE_USER}",
                              "password": {"fromFile": "secrets/password"}}}  # fmt: skip
    path = str(put(tmp_path / "one.yaml", region))
    created = cli("apply", "-f", path, MF_ONE_USER=USER)
    assert created.output == "region/mf-one created\n"
    stored = json.loads(cli("get", "region", "mf-one", "-o", "json").stdout)
    assert stored["credentials_set"] == ["password", "user"]
    # credentials cannot be read back to compare: a file that gives them sends them again
    again = cli("apply", "-f", path, MF_ONE_USER=USER)
    assert again.output == "region/mf-one configured (credentials)\n"
    helped = cli("apply", "--help").output
    assert "${VAR}" in helped and "fromFile" in helped
    for shown in (created.output, again.output, helped, json.dumps(stored)):
        assert USER not in shown and PASSWORD not in shown

    unset = cli("apply", "-f", path, code=1, MF_ONE_USER=None)
    assert unset.stderr == (
        f"error: region/mf-one ({path}, document 1): the environment variable MF_ONE_USER "
        "is not set\n"
    )
    assert lines(cli("delete", "-f", path).stdout) == ["region/mf-one deleted"]


def test_an_unknown_kind_fails_alone(cli, tmp_path):
    path = put(tmp_path / "mixed.yaml", {"kind": "gizmo", "name": "g"},
               {"kind": "project", "name": "mf-project"})  # fmt: skip
    result = cli("apply", "-f", str(path), code=1)
    assert result.stdout == "project/mf-project created\n"
    assert result.stderr.splitlines() == [
        f"error: gizmo ({path}, document 1): kind 'gizmo' is not one of project, region, "
        "flavor, plan, sshkey, assembly, route, scaler",
        "error: 1 of 2 declarations failed",
    ]
    cli("delete", "project", "mf-project")
