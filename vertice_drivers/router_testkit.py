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
        @pytest.fixture
        def proxy_writes(self, my_proxy): ...      # () -> configuration writes so far, as
                                                   # the proxy counts them

The testkit brings the upstreams: small HTTP servers on 127.0.0.1 that answer
every GET with their own name, so a test sees which one served. Requests go
through the proxy under test, never to the upstreams directly.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pytest

from vertice_core.errors import TransientError
from vertice_core.router import HealthCheck, Router, RouteSpec, TlsMode
from vertice_drivers.router_upstreams import (
    HEALTH_PATH,
    Requester,
    Upstream,
    free_port,
    route_spec,
    serve_upstream,
    unique_host,
)

__all__ = ["RouterContract", "Upstream", "route_spec", "serve_upstream"]


class RouterContract:
    """The router contract as pytest tests. Subclass it and provide the six fixtures."""

    #: Seconds to wait until the proxy serves what was applied (and stops serving it).
    settle_timeout: float = 10.0
    settle_interval: float = 0.05
    #: The most writes one `apply_all` may send, however many routes it carries (Caddy:
    #: its CA, two TLS lists, `apps.http` or its two servers' route arrays, one each).
    batch_writes: int = 8

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
        spec = route_spec(unique_host("pure"), upstream)
        same = attrs.evolve(spec)
        assert router.fingerprint(spec) == router.fingerprint(same)
        assert router.fingerprint(spec) == router.fingerprint(spec)
        assert router.fingerprint(spec) != router.fingerprint(attrs.evolve(spec, path_prefix="/x"))
        assert router.observe() == {}  # no I/O that changed anything

    def test_apply_is_observed_with_the_fingerprint(
        self, router: Router, upstream: Upstream
    ) -> None:
        spec = route_spec(unique_host("apply"), upstream)
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}

    def test_apply_twice_is_idempotent(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(unique_host("twice"), upstream)
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
        spec = route_spec(unique_host("change"), upstream)
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
        spec = route_spec(unique_host("rr"), upstream, other_upstream, third_upstream)
        router.apply(spec)
        seen = {self.served_by(request_through, spec.hostname) for _ in range(9)}
        assert seen == {upstream.name, other_upstream.name, third_upstream.name}

    def test_an_unreachable_upstream_fails_no_request(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        # An instance that died between two passes: nothing listens at its address.
        dead = Upstream("dead", f"127.0.0.1:{free_port()}")
        spec = route_spec(unique_host("dead"), upstream, dead)
        router.apply(spec)
        self.eventually(lambda: self.served_by(request_through, spec.hostname), "served")
        served = [self.served_by(request_through, spec.hostname) for _ in range(10)]
        assert served == [upstream.name] * 10

    def test_an_upstream_failing_its_health_check_gets_no_requests(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        with serve_upstream("sick", healthy=False) as sick:
            check = HealthCheck(HEALTH_PATH, interval=0.2, timeout=1.0)
            spec = route_spec(unique_host("health"), upstream, sick, health_check=check)
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
        host = unique_host("prefix")
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
        host = unique_host("prefix-after")
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
        first = route_spec(unique_host("first"), upstream)
        second = route_spec(unique_host("second"), other_upstream)
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
        spec = route_spec(unique_host("empty"))
        router.apply(spec)
        assert router.observe() == {spec.id: router.fingerprint(spec)}
        status, _ = request_through(spec.hostname, "/", False)
        assert 500 <= status < 600, status

    def test_remove_stops_serving(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(unique_host("remove"), upstream)
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
        theirs = route_spec(unique_host("theirs"), other_upstream)
        foreign_router.apply(theirs)
        assert router.observe() == {}
        ours = route_spec(unique_host("ours"), upstream)
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
        spec = route_spec(unique_host("plain"), upstream, tls=TlsMode.OFF)
        router.apply(spec)
        assert self.served_by(request_through, spec.hostname, "/", False) == upstream.name

    def test_tls_internal_is_served_over_https(
        self, router: Router, upstream: Upstream, request_through: Requester
    ) -> None:
        spec = route_spec(unique_host("secure"), upstream, tls=TlsMode.INTERNAL)
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
        host = unique_host("prefixes")
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

    def test_apply_all_serves_every_route_with_a_constant_number_of_writes(
        self,
        router: Router,
        proxy_writes: Callable[[], int],
        request_through: Requester,
    ) -> None:
        """A pass's 20 routes in one `apply_all` (four hosts with four path prefixes
        each, four more hosts over TLS): all served, in at most `batch_writes` writes as
        the proxy counts them; then changing five and removing five, as few again."""
        prefixes = ["", "/a", "/a/b", "/c"]
        with contextlib.ExitStack() as stack:
            ups = [stack.enter_context(serve_upstream(f"batch{i}")) for i in range(4)]
            plain = [
                route_spec(host, ups[i], path_prefix=p)
                for host in (unique_host("batch") for _ in range(4))
                for i, p in enumerate(prefixes)
            ]
            secure = [route_spec(unique_host("batch-tls"), ups[i], tls=TlsMode.INTERNAL)
                      for i in range(4)]  # fmt: skip
            specs = plain + secure
            assert router.observe() == {}
            before = proxy_writes()
            assert router.apply_all(specs, []) == {}
            assert proxy_writes() - before <= self.batch_writes, "writes grew with the routes"
            assert router.observe() == {s.id: router.fingerprint(s) for s in specs}
            self._serves(request_through, plain, secure, ups)

            changed = [attrs.evolve(s, upstreams=(ups[3].address,)) for s in plain[0:16:4]]
            changed.append(attrs.evolve(secure[0], upstreams=(ups[3].address,)))
            gone = [s.id for s in (*plain[1:16:4], secure[1])]
            before = proxy_writes()
            assert router.apply_all(changed, gone) == {}
            assert proxy_writes() - before <= self.batch_writes, "writes grew with the routes"
            kept = {s.id: s for s in specs if s.id not in gone} | {s.id: s for s in changed}
            assert router.observe() == {i: router.fingerprint(s) for i, s in kept.items()}
            names = {u.address: u.name for u in ups}
            for spec in plain[1:16:4]:  # "/a/x" now goes to the host's catch-all route
                served = self.served_by(request_through, spec.hostname, "/a/x")
                assert served not in ("", names[spec.upstreams[0]]), spec
            still = [s for s in kept.values() if s.tls is TlsMode.OFF]
            self._serves(request_through, still, [], ups)

    def _serves(
        self,
        request_through: Requester,
        plain: list[RouteSpec],
        secure: list[RouteSpec],
        ups: list[Upstream],
    ) -> None:
        """Each route is served by its own upstream at its own path prefix."""
        names = {u.address: u.name for u in ups}
        for spec in plain:
            path = f"{spec.path_prefix}/x"
            want = names[spec.upstreams[0]]
            assert self.served_by(request_through, spec.hostname, path) == want, spec
        for spec in secure:
            want = names[spec.upstreams[0]]

            def served(host: str = spec.hostname, name: str = want) -> bool:
                return self.served_by(request_through, host, "/", True) == name

            self.eventually(served, f"https://{spec.hostname}/ served by {want}")
