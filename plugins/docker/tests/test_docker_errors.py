"""Error mapping on a real engine: refused credentials, quota, not found, throttling, engine down.

Refusals an engine does not produce on its own (401/403 from an authorization
proxy, 429 from a rate limiter, 503) come from `FaultyProxy`: a small HTTP
server speaking the Docker API on 127.0.0.1 that forwards every request to
the real engine's unix socket, or answers it with the error it is told to,
or is down.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import pytest

from docker_engine_peer.engine import free_port
from vertice_core.driver import SizeSpec
from vertice_core.errors import AuthFailed, Throttled, TransientError
from vertice_testing.waiting import until

HOP_HEADERS = {"connection", "transfer-encoding", "content-length", "keep-alive"}


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str) -> None:
        super().__init__("localhost", timeout=60)
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *_args) -> None:  # quiet
        pass

    def _any(self) -> None:
        proxy = self.server.proxy
        assert "chunked" not in self.headers.get("Transfer-Encoding", "")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = proxy.fault
        path = self.path.split("?")[0]
        if path.endswith(proxy.spared):
            fault = None
        if path.endswith("/events"):  # a stream: this proxy reads whole answers
            status, payload = 501, json.dumps({"message": "not proxied"}).encode()
            headers = {"Content-Type": "application/json"}
        elif fault is not None:
            proxy.faulted.append((time.monotonic(), path))
            status, payload = fault[0], json.dumps({"message": fault[1]}).encode()
            headers = {"Content-Type": "application/json"}
        else:
            engine = _UnixConnection(proxy.socket_path)
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            engine.request(self.command, self.path, body or None, forwarded)
            answer = engine.getresponse()
            status, payload = answer.status, answer.read()
            headers = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_HEADERS}
            engine.close()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultyProxy


class FaultyProxy:
    """The Docker API on `tcp://127.0.0.1:<port>`: the real engine, an injected error, or down."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.port = free_port()
        #: `(status, message)` every request is answered with; None: forward to the engine.
        self.fault: tuple[int, str] | None = None
        #: When each faulted request arrived (monotonic seconds), and its path.
        self.faulted: list[tuple[float, str]] = []
        #: Paths (their ends) forwarded to the engine even while `fault` is set.
        self.spared: tuple[str, ...] = ()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def up(self) -> None:
        if self._server is not None:
            return
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.proxy = self
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def proxy(docker_engine):
    assert docker_engine.base_url.startswith("unix://")
    faulty = FaultyProxy(docker_engine.base_url.removeprefix("unix://"))
    faulty.up()
    yield faulty
    faulty.down()


# -- the driver sees vertice's errors --


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (401, AuthFailed, "AuthFailed"),
        (403, AuthFailed, "AuthFailed"),
        (429, Throttled, "Throttled"),
        (500, TransientError, "CloudUnavailable"),
        (503, TransientError, "CloudUnavailable"),
    ],
)
def test_refusals_of_the_api_are_classified(make_driver, proxy, status, kind, reason):
    fresh = make_driver(base_url=proxy.url)
    proxy.fault = (status, f"refused with {status}")
    with pytest.raises(kind) as first:
        list(fresh.observe())  # refused while negotiating the API version
    assert first.value.reason == reason
    proxy.fault = None
    assert list(fresh.observe()) == []
    proxy.fault = (status, f"refused with {status}")
    calls = (
        lambda: list(fresh.observe()),
        lambda: fresh.stop("c0ffee"),
        fresh.images,
        lambda: fresh.resize("c0ffee", SizeSpec("small", 1, 256, 0)),
    )
    for call in calls:
        with pytest.raises(kind) as later:  # refused on an ordinary call
            call()
        assert later.value.reason == reason
        assert f"refused with {status}" in later.value.message


def test_an_engine_that_is_down_is_transient(make_driver, proxy):
    driver = make_driver(base_url=proxy.url)
    proxy.down()
    with pytest.raises(TransientError) as failure:
        list(driver.observe())
    assert failure.value.reason == "EngineDown"
    assert "unreachable" in failure.value.message
    proxy.up()
    assert list(driver.observe()) == []


# -- the assembly shows why, and the loop goes on --


def status_of(api, uri):
    return api.get(uri).json["status"]


def phases(api, uris):
    return sorted(status_of(api, uri)["phase"] for uri in uris)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_quota_and_a_missing_image_fail_with_their_reason(
    alice, docker_region, declare, make_reconciler, converge
):
    docker_region(max_containers=1)
    docker_region("nowhere", images={"busybox-web": "localhost/not-here:1"})
    quota = [declare(f"web{i}") for i in range(2)]
    missing = declare("lost", region="nowhere")
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases(alice, [*quota, missing]) == ["FAILED"] * 2 + ["RUNNING"])
    reasons = {status_of(alice, uri)["reason"] for uri in quota} - {"Running"}
    assert reasons == {"QuotaExceeded"}
    lost = status_of(alice, missing)
    assert lost["reason"] == "ImageNotFound"
    assert "localhost/not-here:1" in lost["message"]
    for _ in range(3):  # terminal: nothing more is tried until the spec changes
        reconciler.run_pass()
    assert phases(alice, [*quota, missing]) == ["FAILED"] * 2 + ["RUNNING"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rejected_tls_credentials_show_and_new_ones_are_taken(
    admin, alice, docker_region, declare, make_reconciler, converge, tls_engine
):
    def pem(client: str) -> dict[str, str]:
        return attrs.asdict(tls_engine.credentials(client))

    region = docker_region("secure", credentials=pem("rogue-"), base_url=tls_engine.tls_url)
    uri = declare("web", region="secure")
    reconciler = make_reconciler()
    converge(reconciler, lambda: status_of(alice, uri)["reason"] == "AuthFailed")
    status = status_of(alice, uri)
    assert "TLS handshake failed" in status["message"]
    synced = {c["type"]: c for c in status["conditions"]}["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "AuthFailed")

    body = {k: region[k] for k in ("name", "cloud_type", "provider_region", "settings")}
    replaced = admin.put("/v3/regions/secure", {**body, "credentials": pem("")})
    assert replaced.status_code == 200, replaced.json
    assert Path(tls_engine.pki / "cert.pem").read_text() not in replaced.text
    converge(reconciler, lambda: status_of(alice, uri)["phase"] == "RUNNING")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("fault", "reason", "words"),
    [
        ("down", "EngineDown", "unreachable"),
        ((429, "rate limit reached"), "Throttled", "slow down"),
        ((503, "engine overloaded"), "CloudUnavailable", "engine overloaded"),
    ],
)
def test_transient_faults_back_off_and_the_loop_survives(
    alice, docker_region, declare, make_reconciler, fast_settings, proxy, fault, reason, words
):
    docker_region()  # a healthy region beside the faulty one
    docker_region("flaky", base_url=proxy.url)
    if fault == "down":
        proxy.down()
    else:
        proxy.fault = fault
        proxy.spared = ("/version",)
    flaky = declare("web", region="flaky")
    settings = attrs.evolve(fast_settings, backoff_base=0.2, backoff_cap=1.6)
    reconciler = make_reconciler(settings)
    stop = threading.Event()
    loop = threading.Thread(target=reconciler.run_forever, args=(stop,))
    loop.start()
    try:
        healthy = declare("calm")  # declared while the other region fails

        def retried() -> bool:
            status = status_of(alice, flaky)
            if fault == "down":
                return status["reason"] == reason
            return len(proxy.faulted) >= 5

        until(retried, f"{reason} retried", timeout=30)
        until(lambda: status_of(alice, healthy)["phase"] == "RUNNING", "calm running", timeout=30)
        status = status_of(alice, flaky)
        assert status["reason"] == reason, status
        assert words in status["message"] and "retrying in" in status["message"]
        if fault != "down":
            # Only the region's listing is refused (the version is spared, so the
            # watch's client is made, and its event stream is not proxied): each
            # refused call is one pass. The k-th retry comes no sooner than the
            # backoff's least, base * 2**k / 2 (at most cap / 2); a busy machine only
            # makes gaps longer. A fixed retry (every resync, 0.5 s) fails this.
            listings = [path.endswith("/containers/json") for _, path in proxy.faulted]
            assert all(listings), proxy.faulted
            calls = [at for at, _ in proxy.faulted[:5]]
            gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
            least = [min(settings.backoff_cap, settings.backoff_base * 2**k) / 2 for k in range(4)]
            assert all(gap >= bound * 0.95 for gap, bound in zip(gaps, least, strict=True)), (
                gaps,
                least,
            )

        proxy.fault = None
        proxy.up()
        deadline = time.monotonic() + 20
        while status_of(alice, flaky)["phase"] != "RUNNING":
            assert time.monotonic() < deadline, status_of(alice, flaky)
            time.sleep(0.1)
        assert loop.is_alive()
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()
