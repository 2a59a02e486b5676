"""A proxy's error reaches the route's status summarised (issue 17): its project reads why
the route is not served, never the admin API's URL, an address or a response body."""

from __future__ import annotations

import attrs
import pytest

from vertice_core.errors import TerminalError, TransientError
from vertice_core.router import Router, RouterConfig, RouteSpec, spec_digest
from vertice_core.routing.controller import RouterTarget


@attrs.frozen
class Settings:
    admin: str


class FailingRouter(Router):
    """A proxy that does not answer (`refuse` False) or refuses every route, in the words
    of an HTTP client that quotes the URL of its admin API and the body."""

    def __init__(self, failure, *, refuse: bool) -> None:
        settings = Settings(admin=failure.endpoint)
        super().__init__(RouterConfig("default", "failing", "installation", settings))
        self.message, self.refuse = failure.message, refuse

    def observe(self) -> dict[str, str]:
        if not self.refuse:
            raise TransientError(self.message)
        return {}

    def fingerprint(self, spec: RouteSpec) -> str:
        return spec_digest(spec)

    def apply(self, spec: RouteSpec) -> None:
        raise TerminalError(self.message, reason="RouteRefused")

    def remove(self, route_id: str) -> None:
        pass


@pytest.mark.parametrize("refuse", [False, True])
def test_a_route_status_shows_no_endpoint_address_or_body(
    alice, make_reconciler, cloud_failure, refuse
):
    router = FailingRouter(cloud_failure, refuse=refuse)
    reconciler = make_reconciler(router=RouterTarget("default", router))
    assert alice.declare("web-1").status_code == 201
    created = alice.post("/v3/routes", {"hostname": "a.example.test", "assembly": "web-1",
                                        "port": 80})  # fmt: skip
    assert created.status_code == 201, created.json
    reconciler.run_route_pass()

    route = alice.get(created.json["uri"]).json
    assert cloud_failure.leaks(str(route)) == []
    assert "502 Bad Gateway" in route["status"]["message"]
    assert route["status"]["phase"] == ("FAILED" if refuse else "PENDING")
