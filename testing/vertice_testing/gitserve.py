"""Real git repositories and git servers on 127.0.0.1, the peers of the source fetch's tests.

* `make_repository(path, files)` makes a commit of `files` in a repository at
  `path` (made when missing), with a fixed author and committer given in the
  environment (no user's git config applies), and returns its SHA.
* The servers serve the repositories under one root folder, each by its folder
  name, straight from the repository (a non-bare repository is served from its
  `.git`, as git's `enter_repo` finds it): no bare copy to keep in step.
  `GitHttpServer` is git's own `git http-backend` (the CGI program of git's
  smart HTTP protocol) behind a threaded HTTP server of the test process;
  `GitDaemon` is a `git daemon` child process (the `git://` protocol). Both
  listen on 127.0.0.1 only and are context managers: the block's end stops them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from vertice_drivers.ports import free_port
from vertice_testing.gitcgi import GitHttpServer

__all__ = ["GitDaemon", "GitHttpServer", "SilentServer", "git_env", "make_repository"]

#: The identity and date of every commit `make_repository` makes.
IDENTITY = {
    "GIT_AUTHOR_NAME": "Vertice Tests",
    "GIT_AUTHOR_EMAIL": "tests@vertice.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Vertice Tests",
    "GIT_COMMITTER_EMAIL": "tests@vertice.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git_env() -> dict[str, str]:
    """An environment in which git reads no system or user configuration."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": tempfile.gettempdir(),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        **IDENTITY,
    }


def git(*args: str, cwd: Path) -> str:
    """Run `git ARGS` in `cwd`; its output (fails the test on a non-zero exit)."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_repository(
    path: Path,
    files: Mapping[str, str | bytes],
    *,
    branch: str = "main",
    message: str = "a commit of the tests",
    symlinks: Mapping[str, str] | None = None,
) -> str:
    """Commit `files` (and `symlinks`: path -> target) on `branch` of the repository at
    `path` (made when missing; the branch made from the current commit when missing);
    the commit's SHA. Whatever else is in the working tree is committed too."""
    if not (path / ".git").exists():
        path.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", f"--initial-branch={branch}", cwd=path)
    elif git("branch", "--list", branch, cwd=path).strip():
        git("checkout", "--quiet", branch, cwd=path)
    else:
        git("checkout", "--quiet", "-b", branch, cwd=path)
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    for name, pointed in (symlinks or {}).items():
        link = path / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(pointed)
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "--allow-empty", "--message", message, cwd=path)
    return git("rev-parse", "HEAD", cwd=path).strip()


class GitDaemon:
    """`git daemon` serving every repository under `root` on 127.0.0.1 (git://)."""

    #: Seconds to wait for the daemon to accept connections, and to exit.
    timeout = 15.0

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url_of(self, name: str) -> str:
        """The git:// URL of the repository `root/name`."""
        return f"git://127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        """Run the daemon and wait until it accepts connections."""
        self._process = subprocess.Popen(
            [
                *("git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={self.port}"),
                *(f"--base-path={self.root}", "--export-all", "--informative-errors"),
                str(self.root),
            ],
            env=git_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"git daemon exited with {self._process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"git daemon did not listen on port {self.port} in {self.timeout}s")

    def stop(self) -> None:
        """Terminate the daemon and what it forked, kill them if they do not exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(self.timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung peer)."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self._socket.settimeout(0.1)
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url_of(self, name: str, scheme: str = "http") -> str:
        """A URL of `name` on this server."""
        return f"{scheme}://127.0.0.1:{self.port}/{name}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self._held.append(connection)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._socket.close()
        for connection in self._held:
            connection.close()
