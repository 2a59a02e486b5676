"""A real OpenSSH server on 127.0.0.1 serving git repositories, the peer of the deploy-key tests.

`SshGitServer(root, authorized_key)` runs Debian's `sshd` (package
`openssh-server`) in the foreground as a child process of the test, with a
configuration, host key, `authorized_keys` and pid file of its own in a
temporary folder: nothing under /etc/ssh is read or written, and a machine's
own sshd (if any) is left alone. It listens on 127.0.0.1 only, on a free port,
takes only public keys, and only for the current user (the tests run as root:
`PermitRootLogin prohibit-password`); the one key it accepts may only run
`git-shell` (`restrict`, a forced command), so a client's deploy key gets git's
upload-pack and receive-pack, as on a forge, and nothing else. The server's git
reads no system or user configuration (`SetEnv`), and speaks protocol v2 when
the client asks (`AcceptEnv GIT_PROTOCOL`). Repositories are those under
`root`, each named by its absolute path (`url_of(name)`); a non-bare repository
is served from its `.git`, as git's `enter_repo` finds it.

Running as root, sshd insists on its privilege-separation folder (`/run/sshd`,
made by the service's unit on a booted system): it is made when missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from vertice_drivers.ports import free_port

__all__ = ["SshGitServer", "sshd_binary"]

#: Where Debian's sshd is (not on a non-root user's PATH) and its privilege-separation folder.
SSHD = "/usr/sbin/sshd"
PRIVSEP = Path("/run/sshd")


def sshd_binary() -> str | None:
    """The path of `sshd` (Debian's openssh-server), or None where it is not installed."""
    path = os.environ.get("PATH", os.defpath)
    return shutil.which("sshd", path=f"{path}:/usr/sbin:/sbin") or (
        SSHD if os.access(SSHD, os.X_OK) else None
    )


def _greets(port: int) -> bool:
    """Whether an ssh server answers on 127.0.0.1:`port` (its version line, RFC 4253)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            return probe.recv(8) == b"SSH-2.0-"
    except OSError:
        return False


class SshGitServer:
    """`sshd` on 127.0.0.1 letting `authorized_key` fetch the repositories under `root`."""

    #: Seconds to wait for sshd to accept connections, and to exit.
    timeout = 15.0

    def __init__(self, root: Path, authorized_key: str) -> None:
        self.root = root.absolute()
        self.authorized_key = authorized_key.strip()
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.port = free_port()
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def url_of(self, name: str) -> str:
        """The ssh:// URL of the repository `root/name` (its absolute path), as the user."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}{self.root / name}"

    @property
    def stderr(self) -> str:
        """What sshd logged so far (`-e`: its log goes to stderr)."""
        if self._folder is None or not (self._folder / "sshd.log").exists():
            return ""
        return (self._folder / "sshd.log").read_text(errors="replace")

    def _configure(self, folder: Path) -> Path:
        """Write the host key, `authorized_keys` and sshd's configuration into `folder`."""
        host_key = folder / "host_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vertice-tests", "-f", host_key],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
        )
        authorized = folder / "authorized_keys"
        command = 'command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\""'
        authorized.write_text(f"restrict,{command} {self.authorized_key}\n")
        config = folder / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {self.port}",
                    f"HostKey {host_key}",
                    f"PidFile {folder / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized}",
                    f"AllowUsers {self.user}",
                    "AuthenticationMethods publickey",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    "UseDNS no",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    "AcceptEnv GIT_PROTOCOL",
                    f"SetEnv GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL={os.devnull}",
                    "",
                ]
            )
        )
        return config

    def start(self) -> None:
        """Run sshd and wait until it accepts connections; its log in the error if not."""
        binary = sshd_binary()
        if binary is None:
            raise RuntimeError("sshd is not installed (Debian's package openssh-server)")
        if os.geteuid() == 0:
            PRIVSEP.mkdir(mode=0o755, exist_ok=True)
        self._folder = Path(tempfile.mkdtemp(prefix="vertice-sshd-"))
        config = self._configure(self._folder)
        with (self._folder / "sshd.log").open("wb") as log:
            self._process = subprocess.Popen(
                [binary, "-D", "-e", "-f", str(config)],
                env={"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code, text = self._process.returncode, self.stderr
                self.stop()
                raise RuntimeError(f"sshd exited with {code} at start:\n{text}")
            if _greets(self.port):
                return
            time.sleep(0.05)
        text = self.stderr
        self.stop()
        raise RuntimeError(f"sshd did not listen on port {self.port} in {self.timeout}s:\n{text}")

    def stop(self) -> None:
        """Terminate sshd (and its process group), kill it if it does not exit; remove its
        folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(self.timeout)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

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
