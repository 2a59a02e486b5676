"""Retiring a cloud from the command line (issue 16), against a real `vertice serve`:
`delete NAMES --orphan` and `delete region NAMES [--cascade-orphan] [--yes]`."""

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


def test_delete_region_cascade_orphan_asks_then_retires_the_region(api, cli):
    api.post("/v3/regions", {"name": "retired", "cloud_type": "sim"})
    uri = declare(api, "old-app", region="retired")
    refused = cli("delete", "region", "retired", code=1)
    assert "?cascade=orphan" in refused.output and "old-app" in refused.output
    cli("delete", "region", "retired", "--cascade-orphan", code=1, stdin="n\n")
    assert not gone(api, "/v3/regions/retired") and not gone(api, uri)
    out = lines(cli("delete", "region", "retired", "--cascade-orphan", stdin="y\n").stdout)
    assert out[-2].startswith("old-app: orphaned")
    assert out[-1] == "region retired: deleted"
    assert gone(api, "/v3/regions/retired") and gone(api, uri)
    assert "retired" not in cli("regions").stdout
    api.post("/v3/regions", {"name": "spare", "cloud_type": "sim"})
    api.post("/v3/regions", {"name": "unused", "cloud_type": "sim"})
    # Every region is found first: a typo asks nothing and retires nothing.
    typo = cli("delete", "regions", "spare", "no-such", "--cascade-orphan", code=1)
    assert "no-such" in typo.output and "Delete region" not in typo.output
    assert not gone(api, "/v3/regions/spare")
    retired = cli("delete", "regions", "spare", "unused", "--cascade-orphan", "--yes")
    assert lines(retired.stdout) == ["region spare: deleted", "region unused: deleted"]


ONLY_REGIONS = (
    "error: --cascade-orphan deletes regions only: vertice delete region NAME --cascade-orphan"
)


def test_cascade_orphan_is_for_regions_and_orphan_for_assemblies(api, cli, tmp_path):
    uri = declare(api, "kept-1")
    manifest = tmp_path / "site.yaml"
    manifest.write_text("kind: flavor\nname: small\n")
    for args in (("kept-1",), ("assembly", "kept-1"), ("flavor", "small"), ("-f", str(manifest))):
        refused = cli("delete", *args, "--cascade-orphan", "--yes", code=1)
        assert lines(refused.output) == [ONLY_REGIONS], args
    refused = cli("delete", "region", "local", "--orphan", code=1)
    assert lines(refused.output) == [
        "error: --orphan deletes assemblies only, not regions: a region takes --cascade-orphan"
    ]
    refused = cli("delete", "flavor", "small", "--orphan", code=1)
    assert lines(refused.output) == ["error: --orphan deletes assemblies only, not flavors"]
    assert not any(gone(api, p) for p in (uri, "/v3/regions/local", "/v3/flavors/small"))
