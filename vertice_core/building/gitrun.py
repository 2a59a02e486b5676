"""Running the `git` binary for a fetch: a private environment, a deadline, a size bound.

`Git` runs one git command after another in one folder, each in its own process
group (killed whole when the deadline passes), with an environment built from
nothing: `PATH`, a private `HOME`, the fetch's configuration as `GIT_CONFIG_*`
variables (never `-c` on the command line, where `ps` shows it), and an ssh
command that reads no user or system ssh configuration, uses no agent and no
key but the source's deploy key. What git prints goes to the build's log
scrubbed of the source's secrets and of control characters, bounded.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from vertice_core.builder import BuildLog
from vertice_core.building.policy import display_url
from vertice_core.redact import loggable

__all__ = ["Done", "Git", "GitFailed"]

#: Seconds between two looks at a running git (the deadline, the size of what it fetched).
POLL = 0.1
#: Lines and characters per line of one command's stderr written to the build's log.
MAX_LINES = 50
MAX_LINE = 400
#: Bytes of stderr git may write before it is stopped (a server may send messages forever).
MAX_STDERR = 4 * 2**20
#: How the lines that say what went wrong start (git's, ssh's).
ERROR_STARTS = ("fatal:", "error:", "ssh:", "Permission denied", "Host key verification")
#: ssh names the account it tried first: `git@host: Permission denied (publickey).`
SSH_ACCOUNT = re.compile(r"^[^\s@]+@[^\s:]+: ")


class GitFailed(Exception):
    """A git command could not run to its end; `reason` as `SourceError`'s."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@attrs.frozen
class Done:
    """A git command's exit code and output (stderr scrubbed)."""

    code: int
    out: str
    err: str

    @property
    def last_error(self) -> str:
        """What went wrong in git's words: its first and last error lines (ssh's own
        first), else its last line ('' if none)."""
        lines = [line.strip()[:MAX_LINE] for line in self.err.splitlines() if line.strip()]
        errors = [
            line for line in lines if SSH_ACCOUNT.sub("", line, count=1).startswith(ERROR_STARTS)
        ]
        if not errors:
            return lines[-1] if lines else ""
        return "; ".join(dict.fromkeys([errors[0], errors[-1]]))


class Git:
    """Git commands in `cwd`, with the fetch's environment (see the module's docstring)."""

    def __init__(
        self,
        *,
        cwd: Path,
        private: Path,
        deadline: float,
        config: Mapping[str, str],
        allow_local: bool,
        deploy_key: str = "",
        secrets: Sequence[str] = (),
        raw_url: str = "",
    ) -> None:
        self.cwd = cwd
        self.private = private
        self.deadline = deadline
        self.secrets = sorted((s for s in secrets if s), key=len, reverse=True)
        self.raw_url = raw_url
        for folder in ("home", "template"):
            (private / folder).mkdir(mode=0o700, exist_ok=True)
        path = os.environ.get("PATH") or os.defpath
        binary = shutil.which("git", path=path)
        if binary is None:
            raise GitFailed("git is not installed on the control plane", "SourceUnreachable")
        self.binary = binary
        self.env = {
            "PATH": path,
            "HOME": str(private / "home"),
            "XDG_CONFIG_HOME": str(private / "home"),
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ALLOW_PROTOCOL": "https:ssh:git" + (":file:http" if allow_local else ""),
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_SSH_VARIANT": "ssh",
            "GIT_SSH_COMMAND": self._ssh_command(deploy_key),
            "GIT_CONFIG_COUNT": str(len(config)),
        }
        for index, (key, value) in enumerate(config.items()):
            self.env[f"GIT_CONFIG_KEY_{index}"] = key
            self.env[f"GIT_CONFIG_VALUE_{index}"] = value

    def _ssh_command(self, deploy_key: str) -> str:
        """The ssh git runs: no config, no agent, only the deploy key, hosts learnt privately."""
        command = ["ssh", "-F", os.devnull, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
        command += ["-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=accept-new"]
        command += ["-o", f"UserKnownHostsFile={self.private / 'known_hosts'}"]
        if deploy_key:
            key = self.private / "deploy_key"
            text = deploy_key.replace("\r\n", "\n").strip() + "\n"
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(text)
            command += ["-i", str(key)]
        else:
            command += ["-o", "IdentityFile=none"]
        return shlex.join(command)

    def scrub(self, text: str) -> str:
        """`text` without the source's secrets, URL credentials or control characters."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        if self.raw_url:
            text = text.replace(self.raw_url, display_url(self.raw_url))
        return loggable(text)

    def run(
        self, args: Sequence[str], log: BuildLog, *, watch: int = 0, check: bool = False
    ) -> Done:
        """Run `git ARGS` until it exits or the deadline passes; with `watch`, stop it once
        the repository holds more than `watch` bytes. `check`: a failure raises GitFailed."""
        out_path, err_path = self.private / "out", self.private / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(  # noqa: S603 -- an argument list, git's absolute path
                [self.binary, *args],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                code = self._wait(process, args[0], err_path, watch)
            finally:
                if process.poll() is None:
                    _kill(process)
        done = Done(
            code=code,
            out=out_path.read_text(errors="replace"),
            err=self.scrub(err_path.read_text(errors="replace")),
        )
        lines = [line.rstrip() for line in done.err.replace("\r", "\n").splitlines()]
        for line in [line for line in lines if line][-MAX_LINES:]:
            log.write(f"  {line[:MAX_LINE]}\n")
        if check and code != 0:
            last = done.last_error or f"exited with {code}"
            raise GitFailed(f"git {args[0]} failed: {last}", "SourceUnreachable")
        return done

    def _wait(self, process: subprocess.Popen[bytes], name: str, err_path: Path, watch: int) -> int:
        while True:
            left = self.deadline - time.time()
            if left <= 0:
                _kill(process)
                raise GitFailed(f"git {name} did not end by the deadline", "SourceTimedOut")
            try:
                code = process.wait(timeout=min(POLL, left))
            except subprocess.TimeoutExpired:
                pass
            else:
                self._check_size(process, watch)
                return code
            self._check_size(process, watch)
            if err_path.stat().st_size > MAX_STDERR:
                _kill(process)
                raise GitFailed("git wrote too much to stderr", "SourceUnreachable")

    def _check_size(self, process: subprocess.Popen[bytes], watch: int) -> None:
        """With `watch`, stop git once the repository holds more than `watch` bytes."""
        if watch and _size(self.cwd / ".git") > watch:
            _kill(process)
            raise GitFailed(f"the repository is larger than {watch} bytes", "SourceTooLarge")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and every process of its group (ssh, git-remote-https...)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _size(folder: Path) -> int:
    """The bytes of the files under `folder` (0 where they vanish while counted)."""
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                continue
    return total
