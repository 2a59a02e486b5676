"""Issue 17, item 4: a PostgreSQL restart must not cost each API worker a 500.

After a restart, the first request of each gunicorn worker answered 500 (`AdminShutdown`)
from the connection the worker kept. A restart is simulated here, without touching the
shared server, by terminating the backends of this test session's own database (each
session has its own, `vertice_testing.databases`), which is what a restart does to kept
connections. A database that is down answers 503 with a `Retry-After`, never 500.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import falcon.testing
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from vertice_api.app import create_app
from vertice_api.context import AppContext
from vertice_core.config import Config
from vertice_core.convert import make_converter
from vertice_core.crypto import SecretBox
from vertice_core.errors import Unavailable
from vertice_core.hooks import make_plugin_manager
from vertice_core.registry import DriverRegistry
from vertice_core.store import Store
from vertice_testing.api import Api

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def restart(url: str) -> int:
    """End every other connection to the database of `url` (this session's own), as a
    restart does, and wait until their backends are gone; how many were ended."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            ended: int = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                    " FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return ended


@pytest.mark.parametrize(
    "path",
    [
        "/v3/assembly_factory",  # the connection a thread keeps (`Store.connect`)
        "/v3/assembly/{id}",  # the same connection, read on its DBAPI cursor (`FastQuery`)
        "/v3/regions",  # a pooled connection (`Store.read`)
    ],
)
def test_a_restart_costs_no_request(alice: Api, db_url: str, path: str) -> None:
    declared = alice.declare()
    assert declared.status_code == 201, declared.json
    path = path.format(id=declared.json["uri"].rsplit("/", 1)[1])
    assert alice.get(path).status_code == 200
    assert restart(db_url) > 0
    after = alice.get(path)
    assert after.status_code == 200, after.json
    assert alice.declare("web-2").status_code == 201  # a write, on a pooled connection


def read_across_a_restart(store: Store, url: str) -> None:
    """A read on the thread's kept connection, with a restart between its checks and its query."""
    with store.connect() as connection:
        assert restart(url) > 0
        connection.execute(text("SELECT 1"))


def test_a_restart_during_a_read_is_unavailable_then_forgotten(store: Store, db_url: str) -> None:
    """A restart racing a request answers 503 (not 500), and the next read reconnects."""
    with store.connect() as connection:
        connection.execute(text("SELECT 1"))
    with pytest.raises(Unavailable):
        read_across_a_restart(store, db_url)
    with store.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


@pytest.fixture
def nothing_listens() -> Iterator[int]:
    """A port of 127.0.0.1 held (bound, never listening) for the test: connecting is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


@pytest.fixture
def down_client(config: Config, nothing_listens: int) -> Iterator[falcon.testing.TestClient]:
    """The app on a PostgreSQL server that is down."""
    store = Store(f"postgresql://postgres@127.0.0.1:{nothing_listens}/test")
    ctx = AppContext(
        config=config,
        store=store,
        converter=make_converter(),
        box=SecretBox(Fernet.generate_key().decode()),
        registry=DriverRegistry(),
        plugins=make_plugin_manager(load_entry_points=False),
    )
    yield falcon.testing.TestClient(create_app(ctx))
    store.dispose()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v3/assembly_factory"), ("GET", "/v3/regions"), ("DELETE", "/v3/assembly/1")],
)
def test_a_database_that_is_down_is_a_503(
    down_client: falcon.testing.TestClient, method: str, path: str
) -> None:
    result = down_client.simulate_request(
        method, path, headers={"Authorization": "Bearer vt_" + "x" * 43}
    )
    assert result.status_code == 503, result.text
    assert int(result.headers["retry-after"]) > 0
    assert result.headers["content-type"].startswith("application/json")
    assert result.json["title"] == "Service unavailable"
    assert "database is unavailable" in result.json["description"]
