"""Retiring a cloud from the command line (issue 16), against a real `vertice serve`:
`delete NAMES --orphan` and `regions delete NAME [--cascade-orphan] [--yes]`."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from vertice_api.client import ApiError, Client
from vertice_testing.cli import FAST_RECONCILER, lines
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-orphan"), FAST_RECONCILER) as live:
        yield live


def declare(api: Client, name: str, region: str = "local") -> str:
    made = api.declare({"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                        "region": region, "flavor": "small"})  # fmt: skip
    return str(made["uri"])


def running_instance(api: Client, uri: str) -> str:
    """The cloud id of the assembly's one instance, once it runs."""
    deadline = time.monotonic() + 30
    while (status := api.get(uri)["status"])["phase"] != "RUNNING":
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    (instance,) = status["instances"]
    return str(instance["cloud_id"])


def gone(api: Client, path: str) -> bool:
    try:
        api.get(path)
    except ApiError as exc:
        return exc.status == 404
    return False


def test_delete_orphan_prints_what_each_assembly_abandoned(api, cli):
    uri = declare(api, "legacy-1")
    cloud_id = running_instance(api, uri)
    declare(api, "legacy-2", region="local")
    out = lines(cli("delete", "legacy-1", "legacy-2", "--orphan", "--wait").stdout)
    assert out[0] == (
        f"legacy-1: orphaned; abandoned local/{cloud_id} (no longer managed nor billed)"
    )
    assert out[1].startswith("legacy-2: orphaned")
    assert gone(api, uri)
    events = api.get(f"{uri}/events")["items"]
    assert events[-1]["reason"] == "Orphaned" and cloud_id in events[-1]["message"]


def test_regions_delete_asks_then_retires_the_region(api, cli):
    api.post("/v3/regions", {"name": "retired", "cloud_type": "sim"})
    uri = declare(api, "old-app", region="retired")
    refused = cli("regions", "delete", "retired", code=1)
    assert "?cascade=orphan" in refused.output and "old-app" in refused.output
    cli("regions", "delete", "retired", "--cascade-orphan", code=1, stdin="n\n")
    assert not gone(api, "/v3/regions/retired")
    out = lines(cli("regions", "delete", "retired", "--cascade-orphan", stdin="y\n").stdout)
    assert out[-2].startswith("old-app: orphaned")
    assert out[-1] == "region retired deleted"
    assert gone(api, "/v3/regions/retired") and gone(api, uri)
    assert "retired" not in cli("regions").stdout
    api.post("/v3/regions", {"name": "spare", "cloud_type": "sim"})
    assert lines(cli("regions", "delete", "spare", "--cascade-orphan", "--yes").stdout) == [
        "region spare deleted"
    ]
