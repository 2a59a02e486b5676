"""A throwaway Docker Engine: Debian's `dockerd` on a private folder, shared by test sessions.

`shared_engine(folder, dockerd)` gives the engine answering on
`folder/docker.sock`, starting one when none answers: data, exec root, pid
file and socket all under `folder` (keep it short: a unix socket path holds
at most 108 bytes), listening on that socket and on a port of 127.0.0.1 that
requires TLS client certificates (`pki.make_pki`). Several test sessions at
once (pytest-xdist workers) share it through a lock file and a folder of
users; the last one leaving stops it if tests started it. An engine that was
running before is never stopped.

Networking is the engine's default bridge with its iptables rules; published
ports are reachable on 127.0.0.1 through the engine's userland proxy.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from docker_engine_peer.pki import make_pki
from vertice_driver_docker import DockerCredentials
from vertice_drivers.ports import free_port

#: A file in the folder saying the engine there was started by tests (and may be stopped).
STARTED_BY_TESTS = "started-by-tests"


@dataclass(frozen=True)
class LocalEngine:
    """Where an engine under test answers."""

    #: `unix:///.../docker.sock`
    base_url: str
    #: `tcp://127.0.0.1:PORT` requiring client certificates ('' if the engine has none).
    tls_url: str = ""
    #: The folder of the TLS material (`ca.pem`, `cert.pem`, `key.pem`, `rogue-*.pem`).
    pki: Path | None = None

    def credentials(self, client: str = "") -> DockerCredentials:
        """TLS credentials with client certificate `client` ('' = trusted, 'rogue-' = not)."""
        if self.pki is None:
            raise RuntimeError("this engine has no TLS port")
        return DockerCredentials(
            ca_cert=(self.pki / "ca.pem").read_text(),
            client_cert=(self.pki / f"{client}cert.pem").read_text(),
            client_key=(self.pki / f"{client}key.pem").read_text(),
        )


def ping(socket_path: Path, timeout: float = 1.0) -> bool:
    """Whether an engine answers `GET /_ping` on a unix socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(socket_path))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = conn.recv(256).split(b"\r\n", 1)[0]
    except OSError:
        return False
    return status_line.startswith(b"HTTP/1.") and b" 200 " in status_line


def start_engine(dockerd: str, folder: Path, timeout: float = 60.0) -> int:
    """Start `dockerd` on `folder` (unix socket + TLS port) detached; its pid once it answers.

    It is started through `sh -c '... &'` so that it is nobody's child: whichever
    session stops it later waits for it through its pid alone.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pki = make_pki(folder / "tls")
    port = free_port()
    sock = folder / "docker.sock"
    command = [
        dockerd,
        *("--data-root", str(folder / "data"), "--exec-root", str(folder / "exec")),
        *("--pidfile", str(folder / "dockerd.pid"), "--log-level", "warn"),
        *("-H", f"unix://{sock}", "-H", f"tcp://127.0.0.1:{port}"),
        *("--tlsverify", "--tlscacert", str(pki / "ca.pem")),
        *("--tlscert", str(pki / "server-cert.pem"), "--tlskey", str(pki / "server-key.pem")),
    ]
    log = folder / "dockerd.log"
    started = subprocess.run(
        ["/bin/sh", "-c", f"{shlex.join(command)} >{shlex.quote(str(log))} 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    pid = int(started.stdout.strip())
    deadline = time.monotonic() + timeout
    while not ping(sock):
        if not _alive(pid) or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"dockerd did not start:\n{tail}")
        time.sleep(0.1)
    (pki / "port").write_text(str(port))
    return pid


def existing_engine(folder: Path) -> LocalEngine | None:
    """The engine answering on `folder`'s socket (with its TLS port if it has one), or None."""
    sock = folder / "docker.sock"
    if not ping(sock):
        return None
    tls = folder / "tls"
    port = tls / "port"
    if port.exists() and (tls / "rogue-key.pem").exists():
        return LocalEngine(f"unix://{sock}", f"tcp://127.0.0.1:{port.read_text()}", tls)
    return LocalEngine(f"unix://{sock}")


def stop_engine(folder: Path, engine: LocalEngine) -> None:
    """Remove the engine's containers, then stop it (SIGTERM; SIGKILL after 30 s)."""
    try:
        client = docker.DockerClient(base_url=engine.base_url, version="auto")
        try:
            for container in client.containers.list(all=True, sparse=True):
                container.remove(force=True)
        finally:
            client.close()
    except docker.errors.DockerException:
        pass  # the engine is stopped below in any case
    pid = int((folder / "dockerd.pid").read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, 30):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def shared_engine(folder: Path, dockerd: str | None) -> Iterator[LocalEngine]:
    """The engine on `folder`, started if none answers; stopped by its last user if started.

    Raises RuntimeError when no engine answers and `dockerd` is None or fails to start.
    """
    lock = folder.parent / f"{folder.name}.lock"
    users = folder / "users"
    with _locked(lock):
        engine = existing_engine(folder)
        if engine is None:
            if dockerd is None:
                raise RuntimeError("no engine answers and dockerd is not installed")
            start_engine(dockerd, folder)
            (folder / STARTED_BY_TESTS).write_text(str(os.getpid()))
            engine = existing_engine(folder)
            assert engine is not None
        users.mkdir(exist_ok=True)
        me = users / str(os.getpid())
        me.touch()
    try:
        yield engine
    finally:
        with _locked(lock):
            me.unlink(missing_ok=True)
            for user in users.iterdir():
                if not _alive(int(user.name)):
                    user.unlink(missing_ok=True)  # a session that died without leaving
            if not any(users.iterdir()) and (folder / STARTED_BY_TESTS).exists():
                stop_engine(folder, engine)
                (folder / STARTED_BY_TESTS).unlink()
