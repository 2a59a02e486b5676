"""The README's commands are true: the two commands open it, and its walk-through runs.

The walk-through block (between `walkthrough:start` and `walkthrough:end`) is run
with bash, as written, against a real `vertice serve` (gunicorn and the
reconciler) on a free port of 127.0.0.1; only the base URL is substituted.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def walkthrough() -> str:
    """The shell block of the walk-through."""
    section = README.split("<!-- walkthrough:start -->", 1)[1].split("<!-- walkthrough:end -->")[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the walk-through has no ```sh block"
    return match.group(1)


def test_make_run_serves_on_the_port_the_readme_says_it_takes():
    """`make run PORT=9000`, as the README says (make's dry run: what it would execute)."""
    assert "make run PORT=9000" in README
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    planned = subprocess.run(["make", "--no-print-directory", "-n", "run", "PORT=9123"],
                             cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
    assert planned.splitlines()[-1].endswith("vertice serve --bind 127.0.0.1:9123"), planned


def test_the_readme_begins_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block
    commands = [line.split()[0:2] for line in first_block.group(1).splitlines() if line.strip()]
    assert ["make", "run"] in commands
    assert ["make", "test"] in commands
    assert README.index("make run") < README.index("## A first deployment")


@pytest.mark.slow
def test_the_walkthrough_runs_against_a_real_server(live_server):
    script = walkthrough().replace("http://127.0.0.1:8080", live_server.url)
    done = subprocess.run(
        ["bash", "-eu", "-c", script],
        env={**os.environ, "TOKEN": live_server.token},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"^/v3/assembly/asm-[0-9a-f]{16}$", done.stdout, re.M), done.stdout
    assert '"phase":"RUNNING"' in done.stdout
    assert '"phase":"STOPPED"' in done.stdout or '"reason":"Stopped"' in done.stdout
