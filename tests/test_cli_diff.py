"""`vertice apply --dry-run`, `vertice diff -f` and `apply --replace`, through a real
`vertice serve` (issue 16): what would change is computed by the server and nothing is
stored; a field that cannot change in place is an error, or with `--replace` a
replacement whose plan is shown first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from vertice_api.client import Client
from vertice_testing.cli import FAST_RECONCILER, lines, write
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-diff"), FAST_RECONCILER) as live:
        yield live


def declaration(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "plan_uri": PLAN, "region": "local", "flavor": "small", **extra}


def stored(server: LiveServer, name: str) -> dict[str, Any]:
    with Client(server.url, server.token) as api:
        (item,) = [i for i in api.items("/v3/assembly_factory") if i["name"] == name]
        document: dict[str, Any] = api.get(item["uri"])
    return document


def assemblies(server: LiveServer) -> list[str]:
    with Client(server.url, server.token) as api:
        return sorted(i["name"] for i in api.items("/v3/assembly_factory"))


def test_a_dry_run_of_a_new_assembly_plans_its_creates_and_stores_nothing(cli, server, tmp_path):
    path = tmp_path / "new.yaml"
    write(path, [declaration("df-new", replicas=2)], "yaml")
    result = cli("apply", "-f", str(path), "--dry-run")
    assert lines(result.stdout) == [
        "df-new created (dry run)",
        "  would create instance 0 (local): it has no instance in the cloud",
        "  would create instance 1 (local): it has no instance in the cloud",
    ]
    assert "df-new" not in assemblies(server)
    shown = cli("diff", "-f", str(path), code=1)
    assert lines(shown.stdout)[0] == "df-new created"


def test_diff_shows_fields_and_the_plan_and_its_exit_says_whether_anything_differs(
    cli, server, tmp_path
):
    path = tmp_path / "web.yaml"
    write(path, [declaration("df-web", replicas=1)], "yaml")
    cli("apply", "-f", str(path), "--wait", "--timeout", "60")
    assert cli("diff", "-f", str(path)).stdout == ""  # as declared: exit 0, nothing shown

    write(path, [declaration("df-web", replicas=3, desired_state="stopped")], "yaml")
    shown = cli("diff", "-f", str(path), code=1)
    assert lines(shown.stdout) == [
        "df-web configured (desired_state, replicas)",
        "  desired_state: running -> stopped",
        "  replicas: 1 -> 3",
        "  would stop instance 0 (local): its instance runs and the declaration says stopped",
        "  would create instance 1 (local): it has no instance in the cloud",
        "  would create instance 2 (local): it has no instance in the cloud",
    ]
    dry = cli("apply", "-f", str(path), "--dry-run")
    assert lines(dry.stdout)[0] == "df-web configured (desired_state, replicas) (dry run)"
    document = stored(server, "df-web")
    assert (document["replicas"], document["desired_state"]) == (1, "running")


def test_diff_of_other_kinds_compares_with_what_the_api_holds(cli, server, tmp_path):
    path = tmp_path / "flavor.yaml"
    flavor = {"kind": "flavor", "name": "df-tiny", "cpu": 1, "ram": 256, "disk": 5,
              "regions": ["local"]}  # fmt: skip
    write(path, [flavor], "yaml")
    assert lines(cli("diff", "-f", str(path), code=1).stdout) == ["flavor/df-tiny created"]
    cli("apply", "-f", str(path))
    cli("diff", "-f", str(path))
    write(path, [{**flavor, "ram": 512}], "yaml")
    assert lines(cli("diff", "-f", str(path), code=1).stdout) == [
        "flavor/df-tiny configured (ram)",
        "  ram: 256 -> 512",
    ]
    assert lines(cli("apply", "-f", str(path), "--dry-run").stdout) == [
        "flavor/df-tiny configured (ram) (dry run)"
    ]
    with Client(server.url, server.token) as api:
        assert api.get("/v3/flavors/df-tiny")["ram"] == 256


def test_a_document_diff_cannot_compare_exits_2_with_one_line(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    write(path, [declaration("df-bad", region="atlantis")], "yaml")
    result = cli("diff", "-f", str(path), code=2)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "atlantis" in result.stderr
    assert len(lines(result.stderr)) == 1


def test_a_fixed_field_is_an_error_or_with_replace_a_planned_replacement(cli, server, tmp_path):
    path = tmp_path / "fixed.yaml"
    write(path, [declaration("df-fixed")], "yaml")
    cli("apply", "-f", str(path), "--wait", "--timeout", "60")
    old = stored(server, "df-fixed")
    write(path, [declaration("df-fixed", flavor="medium")], "yaml")

    refused = cli("apply", "-f", str(path), code=1)
    assert "flavor of assembly df-fixed cannot change in place" in refused.stderr
    assert "--replace" in refused.stderr
    diff = cli("diff", "-f", str(path), "--replace", code=1)
    assert lines(diff.stdout) == [
        "df-fixed replaced (flavor)",
        "  flavor: small -> medium",
        "  would delete instance 0 (local): the assembly is replaced",
        "  then would declare df-fixed anew, with a new id",
    ]
    assert stored(server, "df-fixed")["id"] == old["id"]

    done = cli("apply", "-f", str(path), "--replace", "--wait", "--timeout", "60")
    out = lines(done.stdout)
    assert out[:3] == [
        "df-fixed: replacing (flavor)",
        "  delete instance 0 (local): the assembly is replaced",
        "  then declare df-fixed anew, with a new id",
    ]
    new = stored(server, "df-fixed")
    assert new["id"] != old["id"]
    assert new["flavor"] == "medium"
    assert any(line.startswith(f"df-fixed replaced (flavor) ({new['id']})") for line in out)


def test_replace_refuses_an_assembly_with_a_route_in_front(cli, server, tmp_path):
    path = tmp_path / "routed.yaml"
    write(path, [declaration("df-routed")], "yaml")
    cli("apply", "-f", str(path))
    with Client(server.url, server.token) as api:
        api.post("/v3/routes", {"hostname": "df-routed.example.test", "assembly": "df-routed",
                                "port": 80})  # fmt: skip
    write(path, [declaration("df-routed", flavor="medium")], "yaml")
    refused = cli("apply", "-f", str(path), "--replace", code=1)
    assert "route df-routed.example.test" in refused.stderr
    assert stored(server, "df-routed")["flavor"] == "small"
    assert json.loads(cli("get", "assembly", "df-routed", "-o", "json").stdout)["flavor"] == "small"


def test_an_adopting_assembly_applied_again_is_unchanged(cli, server, tmp_path):
    """The assembly shows `adopt` as declared, so a file naming it compares equal."""
    from pathlib import Path

    from vertice_drivers.sim import cloud_at
    from vertice_drivers.simday2 import hand_made

    made = hand_made(cloud_at(Path(server.env["VERTICE_HOME"]) / "sim.db"))
    path = tmp_path / "legacy.yaml"
    write(path, [declaration("df-legacy", adopt={"cloud_id": made})], "yaml")
    cli("apply", "-f", str(path), "--wait", "--timeout", "60")
    document = stored(server, "df-legacy")
    assert document["adopt"] == {"cloud_id": made}
    assert document["status"]["instances"][0]["cloud_id"] == made
    assert cli("diff", "-f", str(path)).stdout == ""  # as declared
