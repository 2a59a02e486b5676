"""The docker SDK at the edge: clients for one engine, and its errors turned into vertice's.

`Engine` builds `docker.DockerClient`s from a region's settings and TLS
credentials. The API version is negotiated once, on first use (so a driver
for an engine that is down can be built, and fails its calls transiently);
each thread gets its own client because a `requests.Session` is not
guaranteed thread-safe. Clients ignore the environment (`REQUESTS_CA_BUNDLE`,
proxies): the region's settings alone say how to reach the engine. TLS
material is PEM text in the credentials; the SDK wants files, so it is
written to a private folder (0700, files 0600) that `close()` removes.

`translated(verb)` is the one place SDK exceptions become `DriverError`s:

| what the SDK raises                          | what vertice sees                     |
|----------------------------------------------|---------------------------------------|
| APIError 401, 403; a TLS handshake refused   | AuthFailed (unavailable)              |
| ImageNotFound                                | TerminalError, reason ImageNotFound   |
| NotFound (404)                               | TerminalError, reason NotFound        |
| APIError 409                                 | TransientError, reason Conflict       |
| APIError 429                                 | Throttled                             |
| APIError 5xx                                 | TransientError                        |
| other APIError 4xx                           | TerminalError (the engine's message)  |
| connection refused, socket missing, timeout  | TransientError, reason EngineDown     |
| a bad TLS or URL setting                     | UnavailableError                      |

Callers that give 404 or 409 a meaning of their own (delete, create) catch
`docker.errors.NotFound` / `APIError` inside the block first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import docker.tls
import requests.exceptions

from vertice_core.errors import (
    AuthFailed,
    DriverError,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_docker import DockerCredentials, DockerSettings

#: The oldest API version the SDK speaks: only used to ask the engine for its own.
MINIMUM_API_VERSION = "1.24"
#: HTTP statuses of the engine's API that mean the credentials are refused.
AUTH_STATUSES = (401, 403)
#: Errors a failed version negotiation may wrap, classified as themselves.
_WRAPPED = (docker.errors.APIError, requests.exceptions.RequestException, OSError)


class Engine:
    """Docker clients for one engine (one per thread), built from a region's configuration.

    A thread's client lives as long as the thread: the reconciler's call pool ends
    threads that had nothing to do for a while (`vertice_core.runtime.elastic`), and
    the client of one that ended is closed then (its connections with it). `close()`
    closes those of the threads still alive.
    """

    def __init__(self, settings: DockerSettings, credentials: DockerCredentials) -> None:
        self.settings = settings
        self.credentials = credentials
        self._local = threading.local()
        self._clients: weakref.WeakSet[docker.DockerClient] = weakref.WeakSet()
        self._version: str | None = None
        self._lock = threading.Lock()
        self._tls_dir: Path | None = None
        self._cleanup: weakref.finalize[..., Engine] | None = None

    @property
    def uses_tls(self) -> bool:
        """Whether the engine is reached over TLS."""
        return self.settings.base_url.startswith("tcp://") and (
            self.settings.tls or self.credentials.any
        )

    def client(self) -> docker.DockerClient:
        """This thread's client (the first call of all negotiates the API version)."""
        found: docker.DockerClient | None = getattr(self._local, "client", None)
        if found is not None:
            return found
        with self._lock:
            version = self._version
        if version is None:
            version = self._negotiate()
        client = self._build(version)
        # Held by this thread's local storage only: when the thread ends, the client goes
        # and its connections are closed (the finalizer holds its API client, not it).
        weakref.finalize(client, client.api.close)
        with self._lock:
            self._clients.add(client)
        self._local.client = client
        return client

    def _build(self, version: str) -> docker.DockerClient:
        """A client speaking API `version` (no call to the engine yet)."""
        client = docker.DockerClient(
            base_url=self.settings.base_url,
            version=version,
            timeout=self.settings.timeout,
            tls=self._tls_config(),
            max_pool_size=4,
        )
        # requests lets REQUESTS_CA_BUNDLE override the region's CA (docker-py #2433), and
        # proxies from the environment have no business between vertice and its engine.
        client.api.trust_env = False
        return client

    def _negotiate(self) -> str:
        """The newest API version the engine speaks (`GET /version`, unversioned)."""
        probe = self._build(MINIMUM_API_VERSION)
        try:
            version = str(probe.api.version(api_version=False)["ApiVersion"])
        except KeyError:
            raise UnavailableError(
                f"docker: {self.settings.base_url} does not answer like a Docker Engine",
                reason="RegionMisconfigured",
            ) from None
        except docker.errors.APIError as exc:
            if exc.status_code != 400:
                raise
            # e.g. plain HTTP to a TLS port: the region's settings are wrong, not the spec.
            raise UnavailableError(
                f"docker: {self.settings.base_url} refused the connection: {exc.explanation}",
                reason="RegionMisconfigured",
            ) from None
        finally:
            probe.close()
        with self._lock:
            self._version = version
        return version

    def _tls_config(self) -> docker.tls.TLSConfig | bool:
        if not self.uses_tls:
            return False
        files = self._tls_files()
        client_cert = (str(files["cert"]), str(files["key"])) if "cert" in files else None
        ca_cert = str(files["ca"]) if "ca" in files else None
        return docker.tls.TLSConfig(
            client_cert=client_cert, ca_cert=ca_cert, verify=self.settings.tls_verify
        )

    def _tls_files(self) -> dict[str, Path]:
        """The credentials' PEM texts as private files (written once per driver)."""
        names = {
            "ca": ("ca.pem", self.credentials.ca_cert),
            "cert": ("cert.pem", self.credentials.client_cert),
            "key": ("key.pem", self.credentials.client_key),
        }
        with self._lock:
            if self._tls_dir is None:
                self._tls_dir = Path(tempfile.mkdtemp(prefix="vertice-docker-tls-"))
                self._cleanup = weakref.finalize(
                    self, shutil.rmtree, self._tls_dir, ignore_errors=True
                )
                for filename, text in names.values():
                    if text:
                        path = self._tls_dir / filename
                        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                        with os.fdopen(fd, "w") as handle:
                            handle.write(text)
            folder = self._tls_dir
        return {key: folder / filename for key, (filename, text) in names.items() if text}

    def close(self) -> None:
        """Close every client and remove the TLS files."""
        with self._lock:
            clients, self._clients = list(self._clients), weakref.WeakSet()
            self._local = threading.local()
            cleanup, self._cleanup, self._tls_dir = self._cleanup, None, None
        for client in clients:
            with contextlib.suppress(Exception):  # closing is best effort
                client.close()
        if cleanup is not None:
            cleanup()


@contextlib.contextmanager
def translated(verb: str, target: str = "") -> Iterator[None]:
    """Run a block of SDK calls; raise what it raises as a vertice `DriverError`."""
    try:
        yield
    except DriverError:
        raise
    except Exception as exc:
        raise translate(exc, verb, target) from exc


def translate(exc: BaseException, verb: str, target: str = "") -> DriverError:
    """The `DriverError` that stands for an exception of the docker SDK (or its transport)."""
    return _classify(exc, f"docker: {verb}" + (f" {target}" if target else ""))


def _classify(exc: BaseException, what: str) -> DriverError:
    if isinstance(exc, docker.errors.APIError):
        return _api_error(exc, what)
    if isinstance(exc, requests.exceptions.SSLError):
        return AuthFailed(f"{what}: the engine's TLS handshake failed ({_first_line(exc)})")
    if isinstance(exc, requests.exceptions.RequestException | OSError):
        return TransientError(
            f"{what}: the engine is unreachable ({_first_line(exc)})", reason="EngineDown"
        )
    if isinstance(exc, docker.errors.TLSParameterError):
        return UnavailableError(f"{what}: bad TLS settings ({exc})", reason="RegionMisconfigured")
    if isinstance(exc, docker.errors.DockerException):
        # A failed version negotiation wraps the transport's or the API's error: use that.
        cause = exc.__cause__
        if isinstance(cause, _WRAPPED):
            return _classify(cause, what)
        return UnavailableError(f"{what}: {_first_line(exc)}", reason="RegionMisconfigured")
    return TransientError(f"{what}: {type(exc).__name__}: {exc}", reason="DriverBug")


def _api_error(exc: docker.errors.APIError, what: str) -> DriverError:
    status = exc.status_code or 0
    message = f"{what}: {exc.explanation or exc}"
    if status in AUTH_STATUSES:
        refused = f"{status}: {exc.explanation}"
        return AuthFailed(f"{what}: the engine refused the credentials ({refused})")
    if isinstance(exc, docker.errors.ImageNotFound):
        return TerminalError(message, reason="ImageNotFound")
    if status == 404:
        return TerminalError(message, reason="NotFound")
    if status == 409:
        return TransientError(message, reason="Conflict")
    if status == 429:
        return Throttled(f"{what}: the engine asks to slow down ({exc.explanation})")
    if status >= 500 or status == 0:
        return TransientError(message)
    return TerminalError(message)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
