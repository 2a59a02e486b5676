"""The Caddy router passes the router contract (vertice_drivers.router_testkit) on a real Caddy."""

from __future__ import annotations

import pytest

from vertice_drivers.router_testkit import RouterContract


class TestCaddyContract(RouterContract):
    @pytest.fixture
    def router(self, make_router):
        return make_router(installation="vti-a")

    @pytest.fixture
    def foreign_router(self, make_router):
        return make_router(installation="vti-b")

    @pytest.fixture
    def unreachable_router(self, make_router, nowhere):
        return make_router(installation="vti-a", admin=nowhere, timeout=1)

    @pytest.fixture
    def proxy_reads(self, caddy):
        return caddy.config_reads

    @pytest.fixture
    def proxy_writes(self, caddy):
        return caddy.config_writes

    @pytest.fixture
    def request_through(self, caddy):
        def send(hostname, path, tls):
            return caddy.request(hostname, path, tls=tls)

        return send
