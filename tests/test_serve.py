"""`vertice serve`: the API and exactly one reconciler, kept alive, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from vertice_core.store import Store
from vertice_testing.server import (
    api_masters,
    children,
    command_line,
    running_server,
    vertice_command,
)

pytestmark = pytest.mark.slow


def reconcilers(pid: int) -> list[int]:
    return [c for c in children(pid) if "reconcile" in command_line(c)]


def wait(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not reached in time")


def test_a_dead_reconciler_is_restarted_and_carries_on(live_server):
    (first,) = wait(lambda: reconcilers(live_server.pid))
    os.kill(first, signal.SIGKILL)
    (second,) = wait(lambda: [p for p in reconcilers(live_server.pid) if p != first])
    assert second != first
    headers = {"Authorization": f"Bearer {live_server.token}"}
    declared = httpx.post(
        f"{live_server.url}/v3/assembly_factory",
        json={"name": "after-crash", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
              "region": "local", "flavor": "small"},
        headers=headers,
    )  # fmt: skip
    assert declared.status_code == 201
    uri = f"{live_server.url}{declared.headers['location']}?select_attr=status"
    wait(lambda: httpx.get(uri, headers=headers).json()["status"]["phase"] == "RUNNING")
    assert len(reconcilers(live_server.pid)) == 1


def test_sigterm_to_serve_stops_the_api_and_the_reconciler(tmp_path):
    with running_server(tmp_path / "home") as server:
        descendants = wait(lambda: children(server.pid))
        grandchildren = [g for c in descendants for g in children(c)]
        os.kill(server.pid, signal.SIGTERM)  # the supervisor alone, as systemd would
        wait(lambda: not os.path.exists(f"/proc/{server.pid}") or _zombie(server.pid), 40)
        for pid in descendants + grandchildren:
            assert not command_line(pid), f"{pid} still runs: {command_line(pid)}"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:\tZ") for line in status)
    except OSError:
        return True


@pytest.mark.parametrize("command", [["serve", "--bind", "127.0.0.1:1"], ["reconcile"]])
def test_a_schema_behind_the_code_stops_the_start_with_one_line_and_migrate_fixes_it(
    tmp_path, command
):
    """`vertice serve` (and `reconcile`) on a database a migration behind served 500s with a
    green health check, and the reconciler crash-looped with tracebacks (issue 16)."""
    from vertice_core.store import migrate, schema

    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
    env["VERTICE_HOME"] = str(tmp_path)
    behind = schema.revisions()[1]
    subprocess.run([str(vertice_command()), "db", "upgrade", "--revision", behind], env=env,
                   check=True, capture_output=True)  # fmt: skip
    refused = subprocess.run([str(vertice_command()), *command], env=env, capture_output=True,
                             text=True, timeout=60, check=False)  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"error: the database is at revision {behind} and this vertice needs "
        f"{migrate.head()}: run `vertice db upgrade` (or start with --migrate)"
    ], refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    if command[0] == "reconcile":  # serve's --migrate is the same code, and stays running
        with subprocess.Popen([str(vertice_command()), *command, "--migrate"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True) as started:  # fmt: skip
            store = Store(f"sqlite:///{tmp_path / 'vertice.db'}")
            try:
                wait(lambda: schema.schema_problem(store.engine) is None)
                assert started.poll() is None, "the reconciler stopped"
            finally:
                store.dispose()
                os.killpg(started.pid, signal.SIGTERM)
                started.wait(30)


def test_a_second_serve_of_the_same_home_refuses_to_start(live_server, tmp_path):
    """Two reconcilers under one lease identity each take the other's leases for their own:
    a second `vertice serve` of the same home ran one (issue 16)."""
    from vertice_api.serve import serve_identity
    from vertice_core.config import Config

    wait(lambda: reconcilers(live_server.pid))
    second = subprocess.run([str(vertice_command()), "serve", "--bind", "127.0.0.1:1"],
                            env=dict(live_server.env), capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert second.returncode == 1
    identity = serve_identity(Config.from_env(live_server.env))
    assert second.stderr.splitlines() == [
        f"error: another `vertice serve` runs for {live_server.env['VERTICE_HOME']} (its "
        f"reconciler holds identity {identity!r}): stop it first"
    ], second.stderr
    direct = subprocess.run([str(vertice_command()), "reconcile", "--identity", identity],
                            env=dict(live_server.env), capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert direct.returncode == 1
    assert direct.stderr.splitlines()[-1].startswith(
        f"error: a reconciler with identity {identity!r} already runs on this machine (pid "
    ), direct.stderr


def test_a_database_out_of_reach_is_said_so_not_called_one_without_a_schema(tmp_path):
    """A URL whose `options` PostgreSQL refuses made `vertice reconcile` say "the database
    has no schema yet: run `vertice db upgrade`" (issue 19): any error was no schema."""
    from vertice_testing.databases import POSTGRES_SERVER

    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
    env["VERTICE_HOME"] = str(tmp_path)
    env["VERTICE_DATABASE_URL"] = POSTGRES_SERVER + "?options=-c%20no_such_setting%3D1"
    done = subprocess.run([str(vertice_command()), "reconcile"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode != 0
    assert "no schema" not in done.stderr, done.stderr
    assert "no_such_setting" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_api_master_is_a_process_of_its_own_serving_with_the_flags_given(tmp_path):
    """`vertice serve --api-only` (the supervisor's API child) checks, then replaces itself
    with `python -m vertice_api.master`, so that the workers forked from it do not hold
    the command line's code (issue 18); the flags reach it through the environment."""
    with running_server(tmp_path / "home", args=["--workers", "3"]) as server:
        (master,) = wait(lambda: api_masters(server.pid))
        assert "vertice_api.cli" not in command_line(master)
        assert wait(lambda: len(children(master)) == 3)
        answer = httpx.get(f"{server.url}/v3/platform",
                           headers={"Authorization": f"Bearer {server.token}"})  # fmt: skip
        assert answer.status_code == 200, answer.text


def test_the_directory_vertice_serve_is_started_in_shadows_no_module(tmp_path):
    """`python -m` puts the working directory first on `sys.path`: the API master and the
    children of `vertice serve`, started that way, imported a `sqlalchemy.py` lying where
    the operator ran the command instead of the installed package (and failed to start,
    or ran its code). They run in safe-path mode (`-P`)."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("sqlalchemy", "falcon"):
        (work / f"{name}.py").write_text(
            f"raise SystemExit('the {name}.py of the working directory was imported')\n"
        )
    with running_server(tmp_path / "home", cwd=work) as server:
        answer = httpx.get(f"{server.url}/v3/platform",
                           headers={"Authorization": f"Bearer {server.token}"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        (master,) = wait(lambda: api_masters(server.pid))
        assert " -P " in command_line(master)
    assert "working directory was imported" not in server.log.read_text()
