"""The build commands against a real `vertice serve` building a local git repository on the
sim region: apply a source-built assembly, list and describe its builds, follow a log,
build again, cancel, and the one-line errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from vertice_testing.cli import VerticeCli
from vertice_testing.gitserve import make_repository
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

FAST = {"VERTICE_RECONCILE_POLL": "0.2", "VERTICE_RECONCILE_IDLE_WAIT": "0.05",
        "VERTICE_BUILD_ALLOW_LOCAL": "1"}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-builds"), FAST) as live:
        yield live


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> VerticeCli:
    return VerticeCli(server.url, server.token, tmp_path / "config")


def wait_for(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def test_build_commands(cli, server, tmp_path):
    repository = tmp_path / "app"
    commit = make_repository(repository, {"index.html": "one\n"})
    declaration = {"name": "built-1", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                   "region": "local", "flavor": "small",
                   "source": {"url": f"file://{repository}", "token": "never-shown"}}  # fmt: skip
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(declaration))
    assert cli("apply", "-f", str(path)).stdout.startswith("built-1 created (asm-")

    def released():
        listing = cli("builds", "built-1").stdout
        return "succeeded" in listing and listing

    listing = wait_for(released)
    assert commit[:12] in listing and "sim/" in listing
    build_id = listing.split()[-1]
    assert build_id.startswith("bld-")
    assert cli("get", "builds").stdout == listing
    described = cli("describe", "build", build_id).stdout
    assert f"file://{repository} (default branch)" in described and "succeeded" in described
    log = cli("logs", "build", build_id).stdout
    assert f"fetched {commit}" in log and "never-shown" not in log

    def described_release():
        text = cli("describe", "assembly", "built-1").stdout
        return "revision 1:" in text and text

    assembly = wait_for(described_release)
    assert "Source:" in assembly and f"commit {commit[:12]}" in assembly

    second = make_repository(repository, {"index.html": "two\n"})
    followed = cli("build", "built-1", "--follow").stdout
    assert "revision 2 of built-1 queued" in followed and f"fetched {second}" in followed
    assert followed.rstrip().endswith("built sim/" + followed.rsplit("built sim/", 1)[-1].strip())

    rolled = cli("rollback", "built-1", "--to", "1").stdout
    assert rolled.startswith("built-1: rolling back to revision 1 (sim/") and commit[:12] in rolled
    deployed = cli("deploy", "built-1", "--ref", "main", "--follow").stdout
    assert "revision 3 of built-1 queued" in deployed
    assert "no successful build" in cli("rollback", "built-1", "--to", "9", code=1).stderr

    made = cli("webhook", "built-1").stdout
    assert f"URL:           {server.url}/v3/hooks/whk-" in made and "Secret:" in made
    shown = cli("webhook", "built-1", "--show").stdout
    assert "Secret" not in shown and "Deliveries:    0" in shown
    assert cli("webhook", "built-1", "--delete").stdout == "built-1: webhook removed\n"

    make_repository(repository, {"SIMBUILD": "sleep 60\n"})
    queued = cli("build", "built-1").stdout
    slow = queued.split()[1].rstrip(":")
    assert cli("cancel", "build", slow).stdout.startswith(f"build {slow}: ")
    wait_for(lambda: "cancelled" in cli("describe", "build", slow).stdout)
    failed = cli("cancel", "build", slow, code=1)
    assert failed.stderr.startswith("error: ") and "already cancelled" in failed.stderr


def test_build_errors_are_one_line(cli):
    plain = cli("build", "no-such-assembly", code=1)
    assert len(plain.stderr.strip().splitlines()) == 1
    assert "no assembly 'no-such-assembly'" in plain.stderr
    wrong = cli("logs", "build", "asm-123", code=1)
    assert "is not a build id" in wrong.stderr
