"""A real `vertice serve` (gunicorn and the reconciler) on 127.0.0.1, for tests.

`running_server(home)` prepares a fresh installation exactly as a user does
(`vertice db upgrade`, `vertice init`, whose last line is the admin token),
starts `vertice serve` on a free port in its own process group, waits for
`/healthz`, and stops the whole group at the end. A traceback in the server's
log fails the test: a 500 or a crash is logged with one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs

from vertice_drivers.ports import free_port
from vertice_testing.waiting import until_answers


@attrs.frozen
class LiveServer:
    """A running `vertice serve`: its base URL, the admin token, its environment, its pid."""

    url: str
    token: str
    env: Mapping[str, str]
    log: Path
    pid: int = 0


def children(pid: int) -> list[int]:
    """The child processes of `pid` (from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("PPid:")), "")
        if ppid == str(pid):
            found.append(int(status.parent.name))
    return found


def command_line(pid: int) -> str:
    """A process's command line ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def vertice_command() -> Path:
    """The `vertice` console script of the running interpreter's environment."""
    return Path(sys.executable).with_name("vertice")


def vertice(*args: str, env: Mapping[str, str]) -> str:
    """Run `vertice ARGS` and return its output (fails the test on a non-zero exit)."""
    done = subprocess.run(
        [str(vertice_command()), *args], env=dict(env), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"vertice {' '.join(args)}: {done.stderr}"
    return done.stdout


@contextmanager
def running_server(
    home: Path,
    extra_env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    cwd: Path | None = None,
) -> Iterator[LiveServer]:
    """A fresh installation under `home`, served on a free port until the block ends
    (`args`: more options of `vertice serve`; `cwd`: the directory it is started in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
    env["VERTICE_HOME"] = str(home)
    env.update(extra_env or {})
    home.mkdir(parents=True, exist_ok=True)  # a SQLite database would have made it
    vertice("db", "upgrade", env=env)
    token = vertice("init", env=env).strip().splitlines()[-1]
    assert token.startswith("vt_"), token
    url = f"http://127.0.0.1:{free_port()}"
    log = home / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(vertice_command()), "serve", "--bind", url.removeprefix("http://"), *args],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        until_answers(f"{url}/healthz", process, log, "vertice serve")
        until_all_workers(process, _workers(args, env), log)
        yield LiveServer(url=url, token=token, env=env, log=log, pid=process.pid)
    finally:
        stop_group(process)
    assert_no_traceback(log.read_text(), "vertice serve")


def _workers(args: Sequence[str], env: Mapping[str, str]) -> int:
    """The API workers `vertice serve ARGS` runs: `--workers`, else `VERTICE_WORKERS`, else
    2 (a count set in a configuration file is not read here: pass `--workers` too)."""
    if "--workers" in args:
        return int(args[list(args).index("--workers") + 1])
    return int(env.get("VERTICE_WORKERS") or 2)


def api_masters(supervisor: int) -> list[int]:
    """The API's gunicorn master among the children of `vertice serve` (pid
    `supervisor`): `vertice serve --api-only`, once it became `python -m
    vertice_api.master`; an empty list before it has."""
    return [c for c in children(supervisor) if "vertice_api.master" in command_line(c)]


def until_all_workers(
    process: subprocess.Popen[bytes], workers: int, log: Path, timeout: float = 30
) -> None:
    """Wait until the API's gunicorn master under `vertice serve` has forked its `workers`.
    The first worker can answer before gunicorn forked the last (it pauses up to 0.1 s
    between two), and a test that lists the processes, or needs every worker, must not
    see half of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        masters = api_masters(process.pid)
        if masters and len(children(masters[0])) >= workers:
            return
        time.sleep(0.05)
    raise AssertionError(f"vertice serve did not run {workers} API workers in {timeout:.0f} s; "
                         f"its log:\n{log.read_text()[-3000:]}")  # fmt: skip


def assert_no_traceback(text: str, what: str, *, blocks: int = 3) -> None:
    """Fail when a process's output `text` holds a traceback (a 500 or a crash is
    logged with one), showing each (up to `blocks`) with the lines just before it,
    not the whole output: a long log's tail would hide them."""
    if "Traceback" not in text:
        return
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")][:blocks]
    excerpts = ["\n".join(lines[max(0, i - 5) : i + 40]) for i in starts]
    raise AssertionError(
        f"{what} logged {text.count('Traceback')} traceback(s):\n" + "\n[...]\n".join(excerpts)
    )


def stop_group(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM the process group `process` leads (started with `start_new_session`);
    SIGKILL it if it has not stopped within `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
