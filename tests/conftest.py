"""The core's tests use vertice's test harness (vertice-testing, in `testing/`): opt-in here.

`make install` installs it editable beside the core; its fixtures (databases on
SQLite and PostgreSQL, the app and its users, reconcilers, a live server) are in
`vertice_testing.plugin`.

A module that runs a live server defines a `server` fixture (a `LiveServer`);
`api` (the project's client) and `cli` (the `vertice` commands) then talk to it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from vertice_api.client import Client
from vertice_testing.cli import VerticeCli
from vertice_testing.server import LiveServer

pytest_plugins = ["vertice_testing.plugin"]


@pytest.fixture
def api(server: LiveServer) -> Iterator[Client]:
    """The project's HTTP client on the module's server, as its admin."""
    with Client(server.url, server.token) as client:
        yield client


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> VerticeCli:
    """The `vertice` commands on the module's server, with a config folder of the test's."""
    return VerticeCli(server.url, server.token, tmp_path / "config")
