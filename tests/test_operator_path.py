"""The README's section for operators who install with pip, run as written (issue 16).

Its two shell blocks are the commands this test runs: `operator-install` (a fresh
virtualenv, `pip install` of the checkout with PostgreSQL and a driver, `vertice db
upgrade`, `vertice init`) with bash, and `operator-serve` (gunicorn with
`vertice_api.gunicorn_conf`, `vertice reconcile`) as two long-running processes, whose
metrics the API's `/metrics` sums. Only
places are substituted: the virtualenv, `VERTICE_HOME` and the database (a new one
on the test PostgreSQL server) are the test's, and pip installs from a clean copy
of the checkout (`source_copy`: building in the checkout would leave `build/` there).

The systemd units of `docs/deploy/` are checked by `systemd-analyze verify`, with
their commands pointed at this environment's.
"""

from __future__ import annotations

import configparser
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vertice_drivers.ports import free_port
from vertice_testing.databases import create_postgres_database, drop_postgres_database
from vertice_testing.server import assert_no_traceback
from vertice_testing.waiting import until, until_answers
from vertice_testing.wheels import source_copy

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
UNITS = ROOT / "docs" / "deploy"
#: Where the README and the units install vertice, and keep its home.
PREFIX = "/opt/vertice"
HOME = "/var/lib/vertice"
README_DATABASE = "postgresql+psycopg://vertice@127.0.0.1/vertice"
#: The one counter every answered request adds to.
REQUESTS = "vertice_http_requests_total"
#: Counters only the reconciler adds to: its passes over a region, and its driver calls.
RECONCILER = ("vertice_reconcile_passes_total", "vertice_driver_calls_total")


def block(name: str) -> str:
    """The shell block of the README between `<!-- name:start -->` and `<!-- name:end -->`."""
    section = README.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->")[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"the README's {name} has no ```sh block"
    return match.group(1)


def exports(script: str) -> dict[str, str]:
    """The variables a script's `export NAME=VALUE` lines set."""
    found = {}
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            found.update(word.split("=", 1) for word in words[1:])
    return found


def executables(unit: configparser.ConfigParser) -> list[str]:
    """The program of a unit's `ExecStart` (and `ExecReload`)."""
    service = unit["Service"]
    return [shlex.split(service[key])[0] for key in ("ExecStart", "ExecReload") if key in service]


def unit_files() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


def read_unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_the_units_run_the_readme_commands_and_verify(tmp_path: Path) -> None:
    """Each unit parses; its commands are the README's (the reconciler named after the
    host); `systemd-analyze verify` finds nothing wrong once they point at this
    environment's commands (it checks that they exist)."""
    units = {path.name: read_unit(path) for path in unit_files()}
    assert set(units) == {"vertice-api.service", "vertice-reconciler.service"}
    gunicorn, reconcile = block("operator-serve").strip().splitlines()
    assert units["vertice-api.service"]["Service"]["ExecStart"] == gunicorn
    reconciler = units["vertice-reconciler.service"]["Service"]["ExecStart"]
    assert reconciler == reconcile.replace('"$(hostname)"', "%H")
    for unit in units.values():
        service = unit["Service"]
        assert service["User"] == "vertice"
        assert service["Restart"] == "on-failure"
        assert service["EnvironmentFile"] == "/etc/vertice/vertice.env"
        assert service["ProtectSystem"] == "strict"
        assert service["ReadWritePaths"] == HOME
    assert exports(block("operator-install"))["VERTICE_HOME"] == HOME
    bin_dir = str(Path(sys.executable).parent)
    for path in unit_files():
        (tmp_path / path.name).write_text(path.read_text().replace(f"{PREFIX}/bin", bin_dir))
    programs = [p for u in unit_files() for p in executables(read_unit(tmp_path / u.name))]
    assert [p for p in programs if not os.access(p, os.X_OK)] == []
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze here: the units were parsed, not verified")
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in unit_files())],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stderr.strip(), done.stdout + done.stderr


def test_the_configuration_module_is_what_vertice_serve_sets() -> None:
    """`vertice_api.gunicorn_conf` holds `vertice serve`'s gunicorn settings, not a copy."""
    from vertice_api import gunicorn_conf, serve
    from vertice_core.config import Config

    server = Config.from_env().server
    for name, value in serve.gunicorn_options(server.bind, server.workers, server).items():
        assert getattr(gunicorn_conf, name) == value, name
    assert callable(gunicorn_conf.on_starting) and callable(gunicorn_conf.on_exit)


@pytest.fixture
def database() -> Iterator[str]:
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def clean_environment() -> dict[str, str]:
    """This process's environment without vertice's settings or a virtualenv's."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PROMETHEUS_MULTIPROC_DIR")
    return {
        k: v for k, v in os.environ.items() if not k.startswith("VERTICE_") and k not in dropped
    }


def counted(url: str, name: str = REQUESTS) -> float:
    """The sum of the counter `name` over every series of `/metrics`."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{"))  # fmt: skip


@pytest.mark.slow
def test_the_operator_section_runs_as_written(tmp_path: Path, database: str) -> None:
    venv, home = tmp_path / "venv", tmp_path / "home"

    def local(text: str) -> str:
        return (
            text.replace("python3 -m venv", f"{sys.executable} -m venv")
            .replace(PREFIX, str(venv))
            .replace(HOME, str(home))
            .replace(README_DATABASE, database)
        )

    install = local(block("operator-install"))
    assert README_DATABASE not in install and PREFIX not in install
    source = source_copy(ROOT, tmp_path / "checkout")
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-eu", "-c", install], cwd=source, env=clean_environment(),
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"the install block took {took:.0f}s")
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("vt_"), done.stdout

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**clean_environment(), **exports(install)}
    env.update(VERTICE_BIND=f"127.0.0.1:{port}", VERTICE_WORKERS="2")
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for n, line in enumerate(local(block("operator-serve")).strip().splitlines()):
            logs.append(tmp_path / f"serve-{n}.log")
            processes.append(start(line, env, logs[-1]))
        until_answers(f"{url}/healthz", processes[0], logs[0], "gunicorn")
        check_the_api(url, token)
        check_the_reconcilers_metrics(url)
        check_the_shared_failure_count(url)
        assert all(p.poll() is None for p in processes), [p.read_text() for p in logs]
    finally:
        for process in processes:
            stop(process)
    for log in logs:
        assert_no_traceback(log.read_text(), str(log))
    assert "Booting worker" in logs[0].read_text()
    check_the_metrics_folder_is_left_empty(home)


def check_the_api(url: str, token: str) -> None:
    """An assembly declared through the API runs (the reconciler apart made it); every
    `/metrics` counts every request so far, whichever of the two workers answers."""
    headers = {"Authorization": f"Bearer {token}"}
    declared = httpx.post(
        f"{url}/v3/assembly_factory",
        json={"name": "operator", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
              "region": "local", "flavor": "small"},
        headers=headers, timeout=10,
    )  # fmt: skip
    assert declared.status_code == 201, declared.text
    uri = f"{url}{declared.headers['location']}?select_attr=status"

    def phase() -> bool:
        return httpx.get(uri, headers=headers, timeout=10).json()["status"]["phase"] == "RUNNING"

    until(phase, "the assembly running", timeout=90)
    counts = [counted(url) for _ in range(20)]
    # Each fetch counts the ones before it (a request is counted once answered).
    assert all(b >= a + 1 for a, b in itertools.pairwise(counts)), counts
    assert counts[-1] - counts[0] >= 19, counts


def check_the_reconcilers_metrics(url: str) -> None:
    """The reconciler started apart writes its metrics where the API's workers sum theirs:
    `/metrics` counts its passes and driver calls, whichever worker answers (it had the
    workers' alone)."""
    for name in RECONCILER:
        assert all(counted(url, name) > 0 for _ in range(6)), name


def check_the_metrics_folder_is_left_empty(home: Path) -> None:
    """Once the API and the reconciler have stopped, no metrics file is left in RAM: the
    API removed its workers' as it stopped, the reconciler then its own."""
    from vertice_core import metrics_folder
    from vertice_core.config import Config

    folder = metrics_folder.folder_for(Config.from_env({"VERTICE_HOME": str(home)}))
    left = sorted(path.name for path in folder.iterdir())
    shutil.rmtree(folder)  # the folder stays for the next start: not the test's
    assert left == []


def check_the_shared_failure_count(url: str) -> None:
    """Failed authentications count once for both workers (the table the master made):
    past `LIMIT` of them, every guess is refused, whichever worker reads it. (Last: the
    test's address is refused from then on.)"""
    from vertice_api.ratelimit import LIMIT

    guesses = [
        httpx.get(f"{url}/v3/regions", headers={"Authorization": f"Bearer vt_guess{n:040d}"})
        for n in range(LIMIT + 6)
    ]
    assert [g.status_code for g in guesses[:LIMIT]] == [401] * LIMIT
    assert [g.status_code for g in guesses[LIMIT:]] == [429] * 6


def start(line: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Run a shell line of the README in a process group of its own, logging to `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(
            ["bash", "-c", f"exec {line}"], env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's group, SIGKILL if it is still there after 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()
