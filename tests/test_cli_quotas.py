"""`vertice quotas [set|lift]` through a real `vertice serve` (issue 13): an administrator
sets a project's quota, its user reads used/limit, a launch over it is one error line
naming the limit, and lifting it lets the launch through."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from vertice_testing.cli import VerticeCli, lines, write
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-quotas")) as live:
        yield live


def test_an_administrator_sets_a_quota_a_user_reads_it_and_meets_it(cli, api, server, tmp_path):
    made = api.post("/v3/users", {"name": "erin"})
    erin = VerticeCli(server.url, made["token"], tmp_path / "erin")
    (project,) = [p["name"] for p in json.loads(erin("projects", "-o", "json").stdout)]

    shown = lines(cli("quotas", "set", project, "--instances", "2", "--ram", "4096").stdout)
    assert shown[0].split() == ["PROJECT", "REGION", "INSTANCES", "VCPUS", "RAM", "MIB",
                                "DISK", "GIB", "ROUTES"]  # fmt: skip
    assert shown[1].split() == [project, "(all)", "0/2", "0/-", "0/4096", "0/-", "0/-"]
    refused = erin.run("quotas", "set", project, "--instances", "9")
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")

    path = tmp_path / "web.json"
    write(path, {"name": "qw", "plan_uri": PLAN, "region": "local", "flavor": "small",
                 "replicas": 3})  # fmt: skip
    over = erin.run("apply", "-f", str(path))
    assert over.returncode == 1
    assert lines(over.stderr) == [
        f"error: qw ({path}, document 1): 403 Forbidden: the assembly was not admitted: quota "
        f"exceeded: project {project!r} may declare 2 of instances; 0 are declared already "
        "and this asks for 3 more"
    ]
    write(path, {"name": "qw", "plan_uri": PLAN, "region": "local", "flavor": "small",
                 "replicas": 2})  # fmt: skip
    erin("apply", "-f", str(path))
    assert lines(erin("quotas").stdout)[1].split()[2:4] == ["2/2", "2/-"]

    assert lines(cli("quotas", "lift", project).stdout) == [f"quota of project {project} lifted"]
    assert lines(erin("quotas").stdout)[1].split()[2] == "2/-"
    assert erin.run("quotas", "lift", project).returncode == 1
