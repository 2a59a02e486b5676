"""Fixtures shared by every test: databases (SQLite and PostgreSQL), the app, users.

Database-backed tests take `db_url`, which is parametrized over both engines,
so each of them runs on SQLite and on PostgreSQL. The schema is migrated once
per test session and engine; each test starts from empty tables (a copied
SQLite file, a truncated PostgreSQL database).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from vertice_api.app import create_app
from vertice_api.context import AppContext
from vertice_core import builtins
from vertice_core.accounts import create_user
from vertice_core.config import Config
from vertice_core.convert import make_converter
from vertice_core.crypto import SecretBox
from vertice_core.hooks import make_plugin_manager
from vertice_core.registry import DriverRegistry
from vertice_core.store import Store, migrate
from vertice_core.store.tables import Base

#: The PostgreSQL server the tests use (trust auth); each test session makes its own database.
POSTGRES_SERVER = os.environ.get(
    "VERTICE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINES = ["sqlite", "postgresql"]


def postgres_url(database: str) -> str:
    """The URL of `database` on the test PostgreSQL server."""
    return POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{database}"


def create_postgres_database() -> str:
    """A new empty database on the test server; returns its URL."""
    name = f"vt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_url(name)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database file to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "vertice.db"
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store.engine)
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test session (dropped at the end)."""
    url = create_postgres_database()
    store = Store(url)
    migrate.upgrade(store.engine)
    store.dispose()
    yield url
    drop_postgres_database(url)


def _truncate(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database on each engine in turn."""
    if request.param == "sqlite":
        path = tmp_path / "vertice.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate(url)
    return url


@pytest.fixture(params=ENGINES)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests), on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The store of the test's database."""
    store = Store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    """An installation whose home is the test's temporary folder."""
    return Config(
        home=tmp_path / "home", database_url=db_url, secret_key=Fernet.generate_key().decode()
    )


@pytest.fixture
def ctx(config: Config, store: Store) -> AppContext:
    """The API's collaborators, with the built-ins seeded."""
    converter = make_converter()
    builtins.seed(store, converter)
    return AppContext(
        config=config,
        store=store,
        converter=converter,
        box=SecretBox(config.secret_key or ""),
        registry=DriverRegistry(),
        plugins=make_plugin_manager(load_entry_points=False),
    )


class Api:
    """A `falcon.testing` client that sends one user's token and JSON bodies."""

    def __init__(self, client: falcon.testing.TestClient, token: str, name: str) -> None:
        self.client = client
        self.token = token
        self.name = name

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.client.simulate_get(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> falcon.testing.Result:
        if body is not None:
            kwargs["json"] = body
        return self.client.simulate_post(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, body: Any = None, **kwargs: Any) -> falcon.testing.Result:
        if body is not None:
            kwargs["json"] = body
        return self.client.simulate_put(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def patch(self, path: str, operations: Any, **kwargs: Any) -> falcon.testing.Result:
        import json

        headers = {"Content-Type": "application/json-patch+json", **kwargs.pop("headers", {})}
        return self.client.simulate_patch(
            path, body=json.dumps(operations), headers=self.headers(headers), **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.client.simulate_delete(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def declare(self, name: str = "web-1", **fields: Any) -> falcon.testing.Result:
        """POST a valid assembly declaration (fields override the defaults)."""
        body = {
            "name": name,
            "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
            "region": "local",
            "flavor": "small",
            **fields,
        }
        return self.post("/v3/assembly_factory", body)


@pytest.fixture
def client(ctx: AppContext) -> falcon.testing.TestClient:
    """A test client of the app."""
    return falcon.testing.TestClient(create_app(ctx))


def _user(ctx: AppContext, client: falcon.testing.TestClient, name: str, admin: bool) -> Api:
    with ctx.store.write() as session:
        created = create_user(session, name, admin=admin)
    return Api(client, created.token, name)


@pytest.fixture
def admin(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """An administrator."""
    return _user(ctx, client, "admin", True)


@pytest.fixture
def alice(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """A user."""
    return _user(ctx, client, "alice", False)


@pytest.fixture
def bob(ctx: AppContext, client: falcon.testing.TestClient) -> Api:
    """Another user, who must never see alice's resources."""
    return _user(ctx, client, "bob", False)
