"""The scaler commands against a real `vertice serve`: apply -f, list, describe, delete.

The server has no Prometheus configured, so the scaler holds and `describe`
says why; the scaling itself is `tests/test_scaler_prometheus.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vertice_api.client import Client
from vertice_testing.cli import VerticeCli
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

FAST = {"VERTICE_RECONCILE_POLL": "0.2", "VERTICE_RECONCILE_IDLE_WAIT": "0.05"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-scalers"), FAST) as live:
        yield live


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> VerticeCli:
    return VerticeCli(server.url, server.token, tmp_path / "config")


def write(path: Path, documents: list[dict[str, Any]]) -> str:
    path.write_text("---\n".join(yaml.safe_dump(d) for d in documents))
    return str(path)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_scalers_apply_list_describe_and_delete(cli, server, tmp_path):
    assembly = {"name": "scaled-1", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                "region": "local", "flavor": "small"}  # fmt: skip
    scaler = {"kind": "scaler", "assembly": "scaled-1", "min": 1, "max": 4,
              "query": 'sum(rate(caddy_http_requests_total[1m]))', "target": 50,
              "target_type": "total"}  # fmt: skip
    path = write(tmp_path / "app.yaml", [assembly, scaler])
    first = lines(cli("apply", "-f", path).stdout)
    assert first[0].startswith("scaled-1 created (asm-")
    assert first[1].startswith("scaler of scaled-1 created (scl-")
    assert lines(cli("apply", "-f", path).stdout)[1] == "scaler of scaled-1 unchanged"
    changed = write(tmp_path / "changed.yaml", [{**scaler, "max": 6, "cooldown": 10}])
    assert lines(cli("apply", "-f", changed).stdout) == [
        "scaler of scaled-1 changed (cooldown, max)"
    ]

    listed = lines(cli("scalers").stdout)
    assert listed[0].split() == ["ASSEMBLY", "MIN", "MAX", "TARGET", "VALUE", "REPLICAS",
                                 "ACTIVE", "ID"]  # fmt: skip
    row = listed[1].split()
    assert row[:5] == ["scaled-1", "1", "6", "50", "total"]
    assert lines(cli("get", "scalers").stdout)[0] == listed[0]
    as_json = json.loads(cli("scalers", "-o", "json").stdout)
    assert [(s["assembly"], s["max"], s["cooldown"]) for s in as_json] == [("scaled-1", 6, 10)]

    deadline = time.monotonic() + 60
    while "no Prometheus is configured" not in (described := cli("describe", "scaler",
                                                                  "scaled-1").stdout):  # fmt: skip
        assert time.monotonic() < deadline, described
        time.sleep(0.3)
    assert "Query:" in described and "caddy_http_requests_total" in described
    assert "Target:" in described and "50 (total)" in described
    assert "NoPrometheus" in described

    refused = cli.run("apply", "-f", write(tmp_path / "bad.yaml", [{**scaler, "min": 9}]))
    assert refused.returncode != 0 and "max" in refused.stderr

    assert lines(cli("delete", "scaler", "scaled-1").stdout) == ["scaler of scaled-1: deleted"]
    missing = cli.run("describe", "scaler", "scaled-1")
    assert missing.returncode != 0
    assert missing.stderr.strip() == "error: no scaler 'scaled-1' (vertice scalers lists yours)"
    with Client(server.url, server.token) as api:
        assert api.get("/v3/scalers")["items"] == []
