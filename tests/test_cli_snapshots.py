"""`vertice snapshot create|list|restore|delete` against a real `vertice serve` (gunicorn and
its reconciler, the simulated `local` region): issue 14, day 2."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from vertice_api.client import ApiError, Client
from vertice_testing.cli import FAST_RECONCILER, lines
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-snapshots"), FAST_RECONCILER) as live:
        yield live


def running(api: Client, name: str) -> str:
    """Declare an assembly in `local`; its URI once it runs."""
    uri = str(api.declare({"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                           "region": "local", "flavor": "small"})["uri"])  # fmt: skip
    deadline = time.monotonic() + 30
    while (phase := api.get(uri)["status"]["phase"]) != "RUNNING":
        assert time.monotonic() < deadline, phase
        time.sleep(0.2)
    return uri


def gone(api: Client, uri: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            api.get(uri)
        except ApiError as exc:
            return exc.status == 404
        time.sleep(0.2)
    return False


def test_a_snapshot_made_listed_restored_and_deleted_from_the_command_line(api, cli):
    running(api, "cs-web")
    made = lines(cli("snapshot", "create", "cs-web", "first", "--wait").stdout)
    assert made[0] == "snapshot first of cs-web/0: PENDING"
    assert made[-1].startswith("snapshot first of cs-web/0: AVAILABLE (image sim-img-"), made

    listed = lines(cli("snapshot", "list").stdout)
    assert listed[0].split() == ["NAME", "ASSEMBLY", "INSTANCE", "REGION", "PHASE", "IMAGE",
                                 "AGE", "MESSAGE"]  # fmt: skip
    assert listed[1].split()[:5] == ["first", "cs-web", "0", "local", "AVAILABLE"]
    (document,) = json.loads(cli("snapshot", "list", "--assembly", "cs-web", "-o", "json").stdout)
    assert (document["name"], document["phase"]) == ("first", "AVAILABLE")

    restored = lines(cli("snapshot", "restore", "first", "cs-copy", "--wait").stdout)
    assert restored[0].startswith("cs-copy created (asm-") and "from snapshot first" in restored[0]
    assert "RUNNING" in restored[-1], restored
    (item,) = [a for a in api.items("/v3/assembly_factory") if a["name"] == "cs-copy"]
    copy = api.get(item["uri"])
    assert (copy["snapshot"], copy["region"], copy["flavor"]) == ("first", "local", "small")

    taken = cli("snapshot", "create", "cs-web", "first", code=1)
    assert lines(taken.output) == [
        "error: 409 Conflict: the project already has a snapshot named 'first'"
    ]
    missing = cli("snapshot", "delete", "nothing", code=1)
    assert lines(missing.output) == [
        "error: there is no snapshot named 'nothing' (vertice snapshot list)"
    ]
    no_assembly = cli("snapshot", "create", "no-such", "x", code=1)
    assert lines(no_assembly.output) == ["error: there is no assembly named 'no-such'"]

    in_use = cli("snapshot", "delete", "first", code=1)
    assert "still used by assemblies restored from it: cs-copy" in in_use.output
    cli("delete", "cs-copy")
    assert lines(cli("snapshot", "delete", "first").stdout) == ["snapshot first: deleting"]
    assert gone(api, document["uri"])
    assert cli("snapshot", "list").output.strip() == "no snapshots"


def test_delete_with_snapshots_deletes_the_assembly_and_what_was_made_of_it(api, cli):
    running(api, "cs-gone")
    made = lines(cli("snapshot", "create", "cs-gone", "last", "--wait").stdout)
    assert "AVAILABLE" in made[-1], made
    (document,) = json.loads(cli("snapshot", "list", "--assembly", "cs-gone", "-o", "json").stdout)
    mixed = cli("delete", "cs-gone", "--with-snapshots", "--orphan", code=1)
    assert lines(mixed.output) == [
        "error: --with-snapshots deletes the assemblies named, with their snapshots: not with "
        "--orphan, -f or another kind"
    ]
    out = lines(cli("delete", "cs-gone", "--with-snapshots", "--wait").stdout)
    assert out[0] == "cs-gone: delete requested, with its snapshots"
    assert out[-1] == "cs-gone: deleted"
    assert gone(api, document["uri"])
