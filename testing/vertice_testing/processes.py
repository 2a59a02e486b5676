"""Reconcilers as real processes, for the tests that kill one (crash safety) or run two,
and Python code run in a fresh interpreter.

`reconciler_env` is the environment of a fast reconciler on a test's installation
(`VERTICE_RECONCILE_<KNOB>` overrides from keyword arguments), and
`start_reconciler` starts `vertice reconcile` with an identity, its output to a log
file (or dropped). `fresh_python` runs code where nothing a test imported before is
loaded (what a module imports, what it does to process-wide state).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import IO, Any

#: A reconciler that looks again within a second and retries at once.
FAST = {
    "resync": "1", "poll": "0.1", "idle_wait": "0.05", "grace": "2", "backoff_cap": "1",
    "lease_ttl": "30",
}  # fmt: skip


def reconciler_env(ctx: Any, **knobs: object) -> dict[str, str]:
    """The environment of a reconciler of the test's installation `ctx` (an `AppContext`)."""
    env = {
        **os.environ,
        "VERTICE_HOME": str(ctx.config.home),
        "VERTICE_DATABASE_URL": ctx.config.database_url,
        "VERTICE_SECRET_KEY": ctx.config.secret_key,
    }
    for knob, value in {**FAST, **knobs}.items():
        env[f"VERTICE_RECONCILE_{knob.upper()}"] = str(value)
    return env


def start_reconciler(
    env: dict[str, str], identity: str, log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """`vertice reconcile --identity IDENTITY`, its output to `log` (None: dropped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vertice_api.cli", "reconcile", "--identity", identity],
        env=env,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )


def fresh_python(code: str, home: Path, timeout: float = 120) -> str:
    """Run `code` (dedented) in a fresh interpreter in `home`, with `VERTICE_HOME` set to
    it and no other vertice setting; what it printed. Fails the test if it failed."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=home,
        capture_output=True,
        text=True,
        check=False,
        env={"VERTICE_HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
