"""The `vertice` client commands against a live server, for tests.

`VerticeCli` runs a command in-process with click's `CliRunner` (real HTTP to
the server all the same), with `VERTICE_URL`, `VERTICE_TOKEN` and a private
`XDG_CONFIG_HOME`, checks the exit code, and fails on any traceback: the
commands must show errors as lines, never as a traceback. `write` puts
documents in a file for `apply -f`, `lines` splits an output, and
`FAST_RECONCILER` is the environment of a server whose reconciler converges
in a fraction of a second.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import attrs
import yaml
from click.testing import CliRunner, Result

from vertice_api.cli import main
from vertice_testing.server import vertice_command

#: A fast reconciler (extra environment of `running_server`).
FAST_RECONCILER = {"VERTICE_RECONCILE_POLL": "0.2", "VERTICE_RECONCILE_IDLE_WAIT": "0.05"}


def write(path: Path, document: Any, fmt: str = "json") -> str:
    """Write `document` as JSON, or a list of documents as a YAML stream; the path."""
    if fmt == "yaml":
        text = "---\n".join(yaml.safe_dump(d) for d in document)
    else:
        text = json.dumps(document)
    path.write_text(text)
    return str(path)


def lines(text: str) -> list[str]:
    """The lines of an output that are not blank."""
    return [line for line in text.splitlines() if line.strip()]


@attrs.frozen
class VerticeCli:
    """`vertice ...` as a user of one API (`url`, `token`) with their own config folder."""

    url: str | None
    token: str | None
    config_home: Path

    def env(self, **extra: str | None) -> dict[str, str | None]:
        """The command's environment: where the API is, and no stray VERTICE_ settings."""
        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VERTICE_")}
        env.update(
            VERTICE_URL=self.url, VERTICE_TOKEN=self.token, XDG_CONFIG_HOME=str(self.config_home)
        )
        env.update(extra)
        return env

    def __call__(
        self, *args: str, code: int = 0, stdin: str | None = None, **env: str | None
    ) -> Result:
        """Run `vertice ARGS` in-process; assert its exit code and that no traceback shows."""
        result = CliRunner().invoke(
            main,
            list(args),
            input=stdin,
            env=self.env(**env),
            catch_exceptions=False,
            prog_name="vertice",
        )
        shown = f"vertice {' '.join(args)} -> {result.exit_code}\n{result.output}"
        assert result.exit_code == code, shown
        assert "Traceback" not in result.output, shown
        return result

    def process_env(self, **extra: str | None) -> dict[str, str]:
        """The environment of `vertice` run as a separate process."""
        env = dict(os.environ)
        for name, value in self.env(**extra).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(self, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
        """Run the `vertice` console script as a process (its exit code is not checked)."""
        return subprocess.run(
            [str(vertice_command()), *args],
            env=self.process_env(**env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def popen(self, *args: str, **env: str | None) -> subprocess.Popen[str]:
        """Start the `vertice` console script (for `--follow`)."""
        return subprocess.Popen(
            [str(vertice_command()), *args],
            env=self.process_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def with_token(self, token: str | None, url: str | None = None) -> VerticeCli:
        """The same config folder, another token (and URL)."""
        return attrs.evolve(self, token=token, url=url or self.url)
