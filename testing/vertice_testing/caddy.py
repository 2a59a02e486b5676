"""A real Caddy (`caddy run`) on 127.0.0.1, the peer of router plugins' tests.

`Caddy(home)` reserves three free ports: the admin API's, and the HTTP and
HTTPS ports the router under test is told to serve on. `start()` runs Caddy
with a minimal configuration (only the admin endpoint), with `HOME` and the
`XDG_*` folders under `home` (Caddy autosaves its configuration and keeps its
CA there), and waits until the admin API answers. Calling `start()` on a
running peer restarts it empty: a proxy that lost its configuration, which a
router must simply fill again. `request()` sends a request through the proxy
with a given Host (and SNI, trusting the proxy's own CA for HTTPS).
`admin_requests()` lists the admin API requests Caddy logged (its `admin.api`
logger logs each one it receives), so tests and benchmarks count what a
router asked of the proxy from the proxy's side (`config_reads`,
`config_writes`).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from vertice_drivers.ports import free_port

__all__ = ["Caddy", "caddy_binary"]


def caddy_binary() -> str | None:
    """The `caddy` executable on PATH (Debian's package), or None."""
    return shutil.which("caddy")


class Caddy:
    """One Caddy process whose admin API and served ports are on 127.0.0.1."""

    #: Seconds `start` waits for the admin API and `stop` waits for the process.
    timeout = 15.0

    def __init__(self, home: Path, binary: str | None = None) -> None:
        self.home = home
        self.binary = binary or caddy_binary() or "caddy"
        self.admin_port = free_port()
        self.http_port = free_port()
        self.https_port = free_port()
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment Caddy runs in: its home and XDG folders under `home`."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
        }

    @property
    def root_ca(self) -> Path:
        """The root certificate of Caddy's internal CA (made at the first `tls internal`)."""
        return self.home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    @property
    def log(self) -> Path:
        """Caddy's output (both streams)."""
        return self.home / "caddy.log"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def empty_config(self) -> dict[str, object]:
        """The configuration Caddy starts with: only the admin endpoint."""
        return {"admin": {"listen": f"127.0.0.1:{self.admin_port}"}}

    def start(self) -> None:
        """Run Caddy with the empty configuration (stopping it first if it runs)."""
        self.stop()
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "caddy.json"
        config.write_text(json.dumps(self.empty_config()))
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "run", "--config", str(config)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_for_admin()

    def _wait_for_admin(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"caddy exited at start; see {self.log}")
            try:
                if httpx.get(f"{self.admin_url}/config/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"caddy's admin API did not answer in {self.timeout}s; see {self.log}")

    def stop(self) -> None:
        """Terminate Caddy, wait for it, kill it if it does not exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(self.timeout)

    def reset(self) -> None:
        """Load the empty configuration through the admin API (no restart)."""
        answer = httpx.post(f"{self.admin_url}/load", json=self.empty_config(), timeout=10)
        answer.raise_for_status()

    def clear(self) -> None:
        """Nothing to do after a test: the next `reset` empties the proxy."""

    def admin_requests(self) -> list[tuple[str, str]]:
        """(method, uri) of every admin API request Caddy logged, oldest first (every run
        of this peer: the log is appended to)."""
        found: list[tuple[str, str]] = []
        if not self.log.exists():
            return found
        with self.log.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if '"admin.api"' not in line or '"received request"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                found.append((str(entry.get("method")), str(entry.get("uri"))))
        return found

    def config_reads(self) -> int:
        """How many times the whole configuration was read (`GET /config/`) so far."""
        return self.admin_requests().count(("GET", "/config/"))

    def config_writes(self) -> int:
        """How many admin API writes (any method but GET) Caddy received so far: each
        one makes Caddy load its whole configuration again."""
        return sum(1 for method, _ in self.admin_requests() if method != "GET")

    def config(self) -> object:
        """Caddy's whole live configuration (`GET /config/`)."""
        answer = httpx.get(f"{self.admin_url}/config/", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def request(self, host: str, path: str = "/", tls: bool = False) -> tuple[int, str]:
        """Send GET `path` with Host `host` through the proxy; return (status, body).

        With `tls`, the request goes to the HTTPS port with `host` as SNI and the
        certificate must verify against Caddy's internal root CA.
        """
        port = self.https_port if tls else self.http_port
        scheme = "https" if tls else "http"
        verify: bool | ssl.SSLContext = False
        if tls:
            verify = ssl.create_default_context(cafile=str(self.root_ca))
        with httpx.Client(verify=verify, timeout=10) as client:
            answer = client.get(
                f"{scheme}://127.0.0.1:{port}{path}",
                headers={"Host": host},
                extensions={"sni_hostname": host} if tls else {},
            )
        return answer.status_code, answer.text
