"""The peer of the Caddy router's tests: one real Caddy per session, emptied for each test.

`caddy_proxy` (session) runs Debian's `caddy` with only its admin API on a
free 127.0.0.1 port (`vertice_testing.caddy.Caddy`); `caddy` (per test)
loads the empty configuration again, or restarts the process if a test
stopped it. `make_router` builds Caddy routers on it, served on the peer's
reserved HTTP and HTTPS ports of 127.0.0.1.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vertice_core.router import RouterConfig
from vertice_drivers.ports import free_port
from vertice_router_caddy import ROUTER, CaddySettings
from vertice_testing.caddy import Caddy, caddy_binary
from vertice_testing.peers import for_the_session, fresh_for_a_test


@pytest.fixture(scope="session")
def caddy_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Caddy]:
    """Caddy for the session (skipped without the binary; failed in CI)."""
    if caddy_binary() is None:
        message = "caddy is not installed (`make test` installs Debian's caddy)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield from for_the_session(Caddy(tmp_path_factory.mktemp("caddy")))


@pytest.fixture
def caddy(caddy_proxy: Caddy) -> Iterator[Caddy]:
    """The session's Caddy with an empty configuration."""
    yield from fresh_for_a_test(caddy_proxy)


pytest_plugins = ["vertice_testing.plugin"]

_installations = itertools.count(1)


@pytest.fixture
def make_router(caddy: Caddy) -> Iterator[Callable[..., Any]]:
    """`make_router(installation="", **settings)`: a Caddy router on the test's Caddy."""
    made: list[Any] = []

    def make(installation: str = "", **settings: Any) -> Any:
        values: dict[str, Any] = {
            "admin": caddy.admin_url,
            "http_port": caddy.http_port,
            "https_port": caddy.https_port,
            "listen_host": "127.0.0.1",
            **settings,
        }
        config = RouterConfig(
            name="default",
            router_type="caddy",
            installation_id=installation or f"vti-ct{os.getpid()}x{next(_installations)}",
            settings=CaddySettings(**values),
        )
        router = ROUTER.load()(config)
        made.append(router)
        return router

    yield make
    for router in made:
        router.close()


@pytest.fixture
def nowhere() -> str:
    """An admin URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"
