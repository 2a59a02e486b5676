"""The contract suite every router passes: subclass `RouterContract` in your router's tests.

    from vertice_drivers.router_testkit import RouterContract

    class TestMyProxyContract(RouterContract):
        @pytest.fixture
        def router(self, my_proxy): ...            # installation A, on an empty proxy
        @pytest.fixture
        def foreign_router(self, my_proxy): ...    # the same proxy, installation B
        @pytest.fixture
        def unreachable_router(self): ...          # an admin endpoint nobody listens on
        @pytest.fixture
        def request_through(self, my_proxy): ...   # (hostname, path, tls) -> (status, body)
        @pytest.fixture
        def proxy_reads(self, my_proxy): ...       # () -> whole-config reads so far, as the
                                                   # proxy counts them (its admin log)

The testkit brings the upstreams: small HTTP servers on 127.0.0.1 that answer
every GET with their own name, so a test sees which one served. Requests go
through the proxy under test, never to the upstreams directly.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pytest

from vertice_core.errors import TransientError
from vertice_core.router import HealthCheck, Router, RouteSpec, TlsMode

__all__ = ["RouterContract", "Upstream", "route_spec", "serve_upstream"]

#: What the `request_through` fixture is: (hostname, path, tls) -> (status, body).
Requester = Callable[[str, str, bool], tuple[int, str]]

_counter = itertools.count(1)
#: The path upstreams answer 503 on when they are unhealthy.
HEALTH_PATH = "/healthz"


@attrs.frozen
class Upstream:
    """A running upstream: its name (the body it answers) and its `host:port`."""

    name: str
    address: str


class _NamedHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's name (and the path, after a newline); an
    unhealthy server answers its health check path `/healthz` with a 503."""

    def do_GET(self) -> None:
        name: str = self.server.name  # type: ignore[attr-defined]
        healthy: bool = self.server.healthy  # type: ignore[attr-defined]
        body = f"{name}\n{self.path}".encode()
        self.send_response(200 if healthy or self.path != HEALTH_PATH else 503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read bodies, not logs."""


@contextlib.contextmanager
def serve_upstream(name: str, healthy: bool = True) -> Iterator[Upstream]:
    """Serve `name` on a free 127.0.0.1 port in a thread, until the block ends
    (`healthy=False`: `/healthz` answers 503, every other path 200)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NamedHandler)
    server.name = name  # type: ignore[attr-defined]
    server.healthy = healthy  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"upstream-{name}", daemon=True)
    thread.start()
    try:
        yield Upstream(name, f"127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _free_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def route_spec(hostname: str, *upstreams: Upstream, **changes: Any) -> RouteSpec:
    """A spec with a fresh route id for `hostname` to `upstreams` (plain HTTP by default)."""
    changes.setdefault("tls", TlsMode.OFF)
    changes.setdefault("path_prefix", "")
    return RouteSpec(
        id=f"rte-tk{next(_counter)}",
        hostname=hostname,
        upstreams=tuple(sorted(u.address for u in upstreams)),
        **changes,
    )


def _host(label: str) -> str:
    """A hostname no other test of this process uses."""
    return f"{label}-{next(_counter)}.vertice.test"


class RouterContract:
    """The router contract as pytest tests. Subclass it and provide the five fixtures."""

    #: Seconds to wait until the proxy serves what was applied (and stops serving it).
    settle_timeout: float = 10.0
    settle_interval: float = 0.05

    # -- fixtures the testkit brings --

    @pytest.fixture
    def upstream(self) -> Iterator[Upstream]:
        with serve_upstream("upstream-one") as up:
            yield up

    @pytest.fixture
    def other_upstream(self) -> Iterator[Upstream]:
        with serve_upstream("upstream-two") as up:
            yield up

    @pytest.fixture
    def third_upstream(self) -> Iterator[Upstream]:
        with serve_upstream("upstream-three") as up:
            yield up

    # -- helpers --

    def served_by(
        self, request_through: Requester, host: str, path: str = "/", tls: bool = False
    ) -> str:
        """The name of the upstream that answers `host` + `path` ('' if none did)."""
        status, body = request_through(host, path, tls)
        return body.split("\n", 1)[0] if status == 200 else ""

    def eventually(self, check: Callable[[], Any], what: str) -> Any:
        """Call `check` until it returns a true value; fail after the settle timeout."""
        deadline = time.monotonic() + self.settle_timeout
        last: Any = None
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                last = check()
                if last:
                    return last
            time.sleep(self.settle_interval)
        pytest.fail(f"{what}: not so after {self.settle_timeout}s (last: {last!r})")

    # -- the contract --

    def test_an_empty_proxy_has_no_routes(self, router: Router) -> None:
        assert router.observe() == {}

    def test_fingerprint_is_pure(self, router: Router, upstream: Upstream) -> None:
        spec = route_spec(_host("pure"), upstream)
        same = attrs.evolve(spec)
        assert router.fingerprint(spec) == router.fingerprint(same)
        assert router.fingerprint(spec) == router.fingerprint(spec)
        assert router.fingerprint(spec) != router.fingerprint(attrs.evolve(spec, path_prefix="/x"))
        assert router.observe() == {}  # no I/O that changed anything

    def test_apply_is_observed_with_the_fingerprint(
        self, router: Router, upstream: Upstream
    ) -> None:
        spec = route_spec(_host("apply"), upstream)
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}

    def test_apply_twice_is_idempotent(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(_host("twice"), upstream)
        router.apply(spec)
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}
        assert self.served_by(request_through, spec.hostname) == upstream.name

    def test_a_changed_spec_changes_the_fingerprint(
        self,
        router: Router,
        upstream: Upstream,
        other_upstream: Upstream,
        request_through: Requester,
    ) -> None:
        spec = route_spec(_host("change"), upstream)
        router.apply(spec)
        changed = attrs.evolve(spec, upstreams=(other_upstream.address,))
        assert router.fingerprint(changed) != router.fingerprint(spec)
        router.apply(changed)
        assert router.observe() == {spec.id: router.fingerprint(changed)}
        assert self.served_by(request_through, spec.hostname) == other_upstream.name

    def test_round_robin_reaches_every_upstream(
        self,
        router: Router,
        upstream: Upstream,
        other_upstream: Upstream,
        third_upstream: Upstream,
        request_through: Requester,
    ) -> None:
        spec = route_spec(_host("rr"), upstream, other_upstream, third_upstream)
        router.apply(spec)
        seen = {self.served_by(request_through, spec.hostname) for _ in range(9)}
        assert seen == {upstream.name, other_upstream.name, third_upstream.name}

    def test_an_unreachable_upstream_fails_no_request(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        # An instance that died between two passes: nothing listens at its address.
        dead = Upstream("dead", f"127.0.0.1:{_free_port()}")
        spec = route_spec(_host("dead"), upstream, dead)
        router.apply(spec)
        self.eventually(lambda: self.served_by(request_through, spec.hostname), "served")
        served = [self.served_by(request_through, spec.hostname) for _ in range(10)]
        assert served == [upstream.name] * 10

    def test_an_upstream_failing_its_health_check_gets_no_requests(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        with serve_upstream("sick", healthy=False) as sick:
            check = HealthCheck(HEALTH_PATH, interval=0.2, timeout=1.0)
            spec = route_spec(_host("health"), upstream, sick, health_check=check)
            router.apply(spec)
            assert router.observe()[spec.id] == router.fingerprint(spec)

            def only_the_healthy_one() -> bool:
                served = {self.served_by(request_through, spec.hostname) for _ in range(6)}
                return served == {upstream.name}

            self.eventually(only_the_healthy_one, "requests go to the healthy upstream only")

    def test_path_prefix_routes_only_that_prefix(
        self,
        router: Router,
        upstream: Upstream,
        other_upstream: Upstream,
        request_through: Requester,
    ) -> None:
        host = _host("prefix")
        api = route_spec(host, other_upstream, path_prefix="/api")
        router.apply(api)
        assert self.served_by(request_through, host, "/api") == other_upstream.name
        assert self.served_by(request_through, host, "/api/v1/x") == other_upstream.name
        assert self.served_by(request_through, host, "/apix") == ""
        assert self.served_by(request_through, host, "/") == ""
        # A catch-all route for the same host does not shadow the prefix, applied after it...
        router.apply(route_spec(host, upstream))
        assert self.served_by(request_through, host, "/api/v1") == other_upstream.name
        assert self.served_by(request_through, host, "/other") == upstream.name
        # ... or before it.
        host = _host("prefix-after")
        router.apply(route_spec(host, upstream))
        router.apply(route_spec(host, other_upstream, path_prefix="/api"))
        assert self.served_by(request_through, host, "/api/v1") == other_upstream.name
        assert self.served_by(request_through, host, "/other") == upstream.name

    def test_two_hostnames_are_both_served(
        self,
        router: Router,
        upstream: Upstream,
        other_upstream: Upstream,
        request_through: Requester,
    ) -> None:
        first = route_spec(_host("first"), upstream)
        second = route_spec(_host("second"), other_upstream)
        router.apply(first)
        router.apply(second)
        assert router.observe() == {
            first.id: router.fingerprint(first),
            second.id: router.fingerprint(second),
        }
        assert self.served_by(request_through, first.hostname) == upstream.name
        assert self.served_by(request_through, second.hostname) == other_upstream.name

    def test_no_upstreams_is_a_server_error(
        self, router: Router, request_through: Requester
    ) -> None:
        spec = route_spec(_host("empty"))
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}
        status, _ = request_through(spec.hostname, "/", False)
        assert 500 <= status < 600, status

    def test_remove_stops_serving(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(_host("remove"), upstream)
        router.apply(spec)
        assert self.served_by(request_through, spec.hostname) == upstream.name
        router.remove(spec.id)
        assert router.observe() == {}
        assert self.served_by(request_through, spec.hostname) != upstream.name

    def test_removing_a_missing_route_succeeds(self, router: Router) -> None:
        router.remove("rte-never-applied")
        assert router.observe() == {}

    def test_installations_do_not_see_or_touch_each_other(
        self,
        router: Router,
        foreign_router: Router,
        upstream: Upstream,
        other_upstream: Upstream,
        request_through: Requester,
    ) -> None:
        assert router.config.installation_id != foreign_router.config.installation_id
        theirs = route_spec(_host("theirs"), other_upstream)
        foreign_router.apply(theirs)
        assert router.observe() == {}
        ours = route_spec(_host("ours"), upstream)
        router.apply(ours)
        router.remove(theirs.id)  # not ours: nothing happens
        assert foreign_router.observe() == {theirs.id: foreign_router.fingerprint(theirs)}
        assert router.observe() == {ours.id: router.fingerprint(ours)}
        foreign_router.remove(ours.id)
        foreign_router.apply(attrs.evolve(theirs, upstreams=(upstream.address,)))
        assert router.observe() == {ours.id: router.fingerprint(ours)}
        assert self.served_by(request_through, ours.hostname) == upstream.name
        router.remove(ours.id)
        assert self.served_by(request_through, theirs.hostname) == upstream.name

    def test_an_unreachable_proxy_is_transient(self, unreachable_router: Router) -> None:
        with pytest.raises(TransientError):
            unreachable_router.observe()

    def test_tls_off_is_served_over_http(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(_host("plain"), upstream, tls=TlsMode.OFF)
        router.apply(spec)
        assert self.served_by(request_through, spec.hostname, "/", False) == upstream.name

    def test_tls_internal_is_served_over_https(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(_host("secure"), upstream, tls=TlsMode.INTERNAL)
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}
        # The proxy's CA may take a moment to issue the first certificate.
        self.eventually(
            lambda: self.served_by(request_through, spec.hostname, "/", True) == upstream.name,
            f"https://{spec.hostname}/ served by {upstream.name}",
        )

    def test_a_pass_reads_the_proxy_once_and_concurrent_applies_keep_the_order(
        self, router: Router, proxy_reads: Callable[[], int], request_through: Requester
    ) -> None:
        """`observe()` then several `apply` calls at once (as the controller's pool sends
        them), all into one host's routes: one read of the proxy's configuration, and
        every path reaches its own upstream (longer prefixes tried first)."""
        host = _host("prefixes")
        prefixes = ["", "/a", "/a/b", "/c", "/a/b/c", "/d/e"]
        with contextlib.ExitStack() as stack:
            upstreams = [stack.enter_context(serve_upstream(f"at{p or '-'}")) for p in prefixes]
            pairs = zip(upstreams, prefixes, strict=True)
            specs = [route_spec(host, u, path_prefix=p) for u, p in pairs]
            before = proxy_reads()
            assert router.observe() == {}
            with ThreadPoolExecutor(len(specs)) as pool:
                list(pool.map(router.apply, specs))
            assert proxy_reads() - before == 1, "one read of the configuration per pass"
            assert router.observe() == {s.id: router.fingerprint(s) for s in specs}
            for prefix, upstream in zip(prefixes, upstreams, strict=True):
                path = f"{prefix}/x"
                assert self.served_by(request_through, host, path) == upstream.name, path
