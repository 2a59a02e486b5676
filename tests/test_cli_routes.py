"""`vertice routes`, `get routes`, `describe route`, `delete route` and routes in `apply -f`,
through a real `vertice serve` (no router configured: routes stay PENDING and say so)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from vertice_testing.cli import FAST_RECONCILER, lines, write
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-routes"), FAST_RECONCILER) as live:
        yield live


def declaration(name: str) -> dict[str, str]:
    return {"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local",
            "flavor": "small"}  # fmt: skip


def test_routes_apply_list_describe_and_delete(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "r.json", declaration("routed-1")), "--wait")
    route = {"kind": "route", "hostname": "routed.example.test", "assembly": "routed-1",
             "port": 8080, "tls": "off"}  # fmt: skip
    path = write(tmp_path / "route.yaml", [route], "yaml")
    first = lines(cli("apply", "-f", path).stdout)
    assert len(first) == 1 and first[0].startswith("route routed.example.test created (rte-")
    assert lines(cli("apply", "-f", path).stdout) == ["route routed.example.test unchanged"]

    listed = lines(cli("routes").stdout)
    assert listed[0].split() == ["HOSTNAME", "PATH", "ASSEMBLY", "PORT", "TLS", "PHASE",
                                 "UPSTREAMS", "URL"]  # fmt: skip
    row = next(line.split() for line in listed[1:] if line.startswith("routed.example.test"))
    assert row[3:6] == ["8080", "off", "PENDING"]
    assert row[-1] == "http://routed.example.test/"
    assert lines(cli("get", "routes").stdout) == listed
    as_json = json.loads(cli("routes", "-o", "json").stdout)
    assert [r["hostname"] for r in as_json] == ["routed.example.test"]

    described = cli("describe", "route", "routed.example.test").stdout
    assert "Hostname:      routed.example.test" in described
    assert "no router is configured" in described
    assert "Upstreams:\n  (none)" in described

    changed = write(tmp_path / "changed.json", {**route, "port": 9090})
    refused = cli.run("apply", "-f", changed)
    assert refused.returncode != 0 and "taken" in refused.stderr

    assert lines(cli("delete", "route", "routed.example.test").stdout) == [
        "route routed.example.test: deleted"
    ]
    missing = cli.run("describe", "route", "routed.example.test")
    assert missing.returncode != 0
    assert (
        missing.stderr.strip()
        == "error: no route 'routed.example.test' (vertice routes lists yours)"
    )
    assert api.get("/v3/routes")["items"] == []
