"""`vertice disks [list|create|attach|detach|resize|delete]` and `delete --with-disks` against a
real `vertice serve` (gunicorn and its reconciler, the simulated `local` region): issue 14."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from vertice_api.client import Client
from vertice_testing.cli import FAST_RECONCILER, lines
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-disks"), FAST_RECONCILER) as live:
        yield live


def running(api: Client, name: str) -> dict:
    """Declare an assembly in `local`; its document once it runs."""
    uri = str(api.declare({"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                           "region": "local", "flavor": "small"})["uri"])  # fmt: skip
    deadline = time.monotonic() + 30
    while (document := api.get(uri))["status"]["phase"] != "RUNNING":
        assert time.monotonic() < deadline, document["status"]
        time.sleep(0.2)
    return dict(document)


def test_a_disk_created_attached_grown_moved_detached_and_deleted(api, cli):
    web = running(api, "cd-web")
    made = lines(cli("disks", "create", "data", "--region", "local", "--size", "1",
                     "--attach", "cd-web", "--wait").stdout)  # fmt: skip
    assert made[0] == "disk data (1 GiB): PENDING"
    assert made[-1] == "disk data (1 GiB): ATTACHED to cd-web/0 as /dev/vdb", made
    listed = lines(cli("disks").stdout)
    assert listed[0].split() == ["NAME", "REGION", "SIZE", "ATTACH", "PHASE", "DEVICE", "AGE",
                                 "MESSAGE"]  # fmt: skip
    assert listed[1].split()[:6] == ["data", "local", "1G", "cd-web/0", "ATTACHED", "/dev/vdb"]
    (document,) = json.loads(cli("disks", "list", "--assembly", "cd-web", "-o", "json").stdout)
    assert document["observed"]["attached_to"] == web["status"]["instances"][0]["cloud_id"]

    grown = lines(cli("disks", "resize", "data", "4", "--wait").stdout)
    assert grown[-1].startswith("disk data (4 GiB): ATTACHED"), grown
    shrink = cli("disks", "resize", "data", "2", code=1)
    assert lines(shrink.output) == [
        "error: 422 Invalid input: $.size_gb: disk 'data' has 4 GiB: a disk can grow "
        "but never shrink"
    ]

    other = running(api, "cd-other")
    moved = lines(cli("disks", "attach", "data", "cd-other", "--wait").stdout)
    assert moved[-1] == "disk data (4 GiB): ATTACHED to cd-other/0 as /dev/vdb", moved
    assert api.get(document["uri"])["observed"]["attached_to"] == (
        other["status"]["instances"][0]["cloud_id"])  # fmt: skip
    freed = lines(cli("disks", "detach", "data", "--wait").stdout)
    assert freed[-1] == "disk data (4 GiB): AVAILABLE", freed

    missing = cli("disks", "delete", "nothing", code=1)
    assert lines(missing.output) == ["error: there is no disk named 'nothing' (vertice disks)"]
    deleted = lines(cli("disks", "delete", "data", "--wait").stdout)
    assert (deleted[0], deleted[-1]) == ("disk data: deleting", "disk data: deleted")
    assert cli("disks").output.strip() == "no disks"


def test_delete_with_disks_deletes_the_assembly_and_its_disks(api, cli):
    running(api, "cd-gone")
    cli("disks", "create", "scratch", "--region", "local", "--size", "1", "--attach", "cd-gone",
        "--wait")  # fmt: skip
    (document,) = json.loads(cli("disks", "list", "-o", "json").stdout)
    out = lines(cli("delete", "cd-gone", "--with-disks", "--wait").stdout)
    assert out[0] == "cd-gone: delete requested, with its disks"
    assert out[-1] == "cd-gone: deleted"
    deadline = time.monotonic() + 30
    while any(d["id"] == document["id"] for d in api.items("/v3/disks")):
        assert time.monotonic() < deadline, "the disk was not deleted"
        time.sleep(0.2)
