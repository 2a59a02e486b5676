"""Git's smart HTTP protocol on 127.0.0.1: `git http-backend` behind a threaded HTTP server.

`GitHttpServer(root)` serves every repository under `root` by its folder name
(`url_of(name)`), running git's own CGI program, `git http-backend` (in `git
--exec-path`), once per request with the CGI environment (RFC 3875) a web
server gives it: the request's body streams to the program, its answer (after
its CGI headers and `Status:`) streams back. With `token=`, a request must
carry `Authorization: Basic` whose password is that token (else 401 with
`WWW-Authenticate`), as a forge checks a deploy token. With `protocol_v2=False`
the client's `Git-Protocol` header is not passed on, so git answers in protocol
v0, where a server refuses to send a commit no branch or tag points at: the
fallback of a fetch by SHA is tested against that. `requests` counts requests.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Self
from urllib.parse import unquote

__all__ = ["GitHttpServer"]

CHUNK = 65536
#: What the CGI program's environment starts from: no system or user git configuration.
BASE_ENV = {
    "PATH": os.environ.get("PATH", os.defpath),
    "HOME": tempfile.gettempdir(),
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def http_backend() -> str:
    """The path of `git http-backend` (in git's exec path)."""
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, token: str, protocol_v2: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.token = token
        self.protocol_v2 = protocol_v2
        self.backend = http_backend()
        self.lock = threading.Lock()
        self.paths: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `GitHttpServer.paths`, not a log."""

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        if self.server.token and not self._authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._run_cgi()

    do_POST = do_GET

    def _authorized(self) -> bool:
        kind, _, value = (self.headers.get("Authorization") or "").partition(" ")
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return kind.lower() == "basic" and decoded.partition(":")[2] == self.server.token

    def _cgi_env(self) -> dict[str, str]:
        path, _, query = self.path.partition("?")
        env = dict(BASE_ENV)
        env.update(
            GIT_PROJECT_ROOT=str(self.server.root),
            GIT_HTTP_EXPORT_ALL="1",
            GATEWAY_INTERFACE="CGI/1.1",
            SERVER_PROTOCOL=self.request_version,
            REQUEST_METHOD=self.command,
            PATH_INFO=unquote(path),
            QUERY_STRING=query,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            REMOTE_ADDR=self.client_address[0],
        )
        if self.headers.get("Content-Length"):
            env["CONTENT_LENGTH"] = self.headers["Content-Length"]
        for name in ("Content-Encoding", "Accept-Encoding", "Git-Protocol"):
            if self.headers.get(name):
                env["HTTP_" + name.upper().replace("-", "_")] = self.headers[name]
        if not self.server.protocol_v2:
            env.pop("HTTP_GIT_PROTOCOL", None)
        return env

    def _run_cgi(self) -> None:
        process = subprocess.Popen(
            [self.server.backend],
            env=self._cgi_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        feeder = threading.Thread(target=self._feed, args=(process.stdin,), daemon=True)
        feeder.start()
        status, reason, headers = 200, "OK", []
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            if name.lower() == "status":
                code, _, reason = value.strip().partition(" ")
                status = int(code)
            else:
                headers.append((name, value.strip()))
        self.send_response(status, reason or None)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        shutil.copyfileobj(process.stdout, self.wfile, CHUNK)
        process.wait()
        feeder.join(10)

    def _feed(self, stdin: IO[bytes]) -> None:
        """Stream the request's body (sized or chunked) to the CGI program."""
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    stdin.write(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
            else:
                left = int(self.headers.get("Content-Length") or 0)
                while left > 0:
                    data = self.rfile.read(min(CHUNK, left))
                    if not data:
                        break
                    stdin.write(data)
                    left -= len(data)
        except (BrokenPipeError, ValueError):
            pass
        finally:
            stdin.close()


class GitHttpServer:
    """`git http-backend` serving the repositories under `root` on 127.0.0.1 (see above)."""

    def __init__(self, root: Path, *, token: str = "", protocol_v2: bool = True) -> None:
        self._server = _Server(root, token, protocol_v2)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def paths(self) -> list[str]:
        """The path (and query) of every request received, oldest first."""
        with self._server.lock:
            return list(self._server.paths)

    @property
    def requests(self) -> int:
        """How many requests the server received."""
        return len(self.paths)

    def url_of(self, name: str) -> str:
        """The http:// URL of the repository `root/name`."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
