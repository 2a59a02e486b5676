"""Assemblies behind a route through a real Caddy, and loads sent through it, shared by the
docker tests that roll instances out under load (routes, builds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx

from vertice_testing import wrk
from vertice_testing.caddy import Caddy
from vertice_testing.load import Load

HOST = "web.vertice.test"
#: How long an instance on its way out is drained at least: long enough for the requests in
#: flight to finish on a machine whose two cores also build images for other tests (it is
#: deleted only once the route controller recorded that Caddy dropped it, besides).
DRAIN = 3.0
WRK_CONNECTIONS, CLIENT_CONNECTIONS = 4, 2
#: The readiness probe of the assemblies that must fail no request while instances come and
#: go: without one, a new container gets requests as soon as it runs, before its server
#: listens. Caddy then tries such a request on another instance, but gives up (a 502) when it
#: loads a configuration during the wait between tries (`try_interval`), and a rollout loads
#: one at each step: measured, one request in about 8,000 failed so (docs/routes.md).
READY_PROBE = {"port": 8080, "path": "/", "interval": 1, "timeout": 1, "failure_threshold": 3}


def serving(alice: Any, uris: tuple[str, str], count: int) -> Callable[[], bool]:
    """Whether the assembly runs `count` instances, none draining, all as declared,
    and the route sends requests to exactly those."""

    uri, route_uri = uris

    def check() -> bool:
        assembly = alice.get(uri).json
        status = assembly["status"]
        instances = status["instances"]
        if len(instances) != count or any(i["draining"] for i in instances):
            return False
        if status["updated_replicas"] != count or assembly["status"]["phase"] != "RUNNING":
            return False
        route = alice.get(route_uri).json
        addresses = sorted(i["access"][0] for i in instances if i["state"] == "running")
        return bool(route["status"]["upstreams"] == addresses)

    return check


def whoami(caddy: Caddy) -> str:
    """The hostname of the container that answered a request sent through Caddy."""
    answer = httpx.get(f"http://127.0.0.1:{caddy.http_port}/cgi-bin/whoami",
                       headers={"Host": HOST}, timeout=5)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.text.strip()


@attrs.define
class Loads:
    """wrk and a retrying client, both sending requests through Caddy."""

    wrk: Any
    client: Load

    @classmethod
    def start(cls, caddy: Caddy) -> Loads:
        process = wrk.start(f"http://127.0.0.1:{caddy.http_port}/", 120,
                            connections=WRK_CONNECTIONS, headers=[f"Host: {HOST}"])  # fmt: skip
        client = Load(caddy.http_port, HOST, connections=CLIENT_CONNECTIONS)
        return cls(process, client.start())

    def stop(self) -> tuple[Any, Any]:
        client = self.client.stop()
        measured = wrk.finish(self.wrk, interrupt=True)
        print(f"wrk: {measured}; client: {client}")
        return measured, client


def assert_nothing_failed(measured: Any, client: Any) -> None:
    assert measured.requests > 100 and client.ok > 100, (measured, client)
    assert measured.non_2xx == 0, measured
    assert client.failures == {}, client


def assert_at_most_in_flight_failed(measured: Any, client: Any) -> None:
    """A killed container takes the requests it was answering with it (a response
    already under way cannot be sent again): at most one per connection may fail."""
    assert measured.requests > 100 and client.ok > 100, (measured, client)
    assert measured.non_2xx <= WRK_CONNECTIONS, measured
    assert client.failed <= CLIENT_CONNECTIONS, client
