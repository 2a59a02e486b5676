"""Helpers of the API tests: table snapshots, SSH keys, a cloud type with credentials.

`snapshot()` reads every table of the store, so a test can check that a
rejected request changed nothing; `uri` is an assembly of alice's, just
declared. `vault_registry` knows one more cloud type than the installed
drivers, `vault`, whose regions need an access and a secret key: a module
that tests credentials overrides `ctx` to use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from vertice_core.driver import DriverInfo
from vertice_core.registry import DriverRegistry, InstalledDriver
from vertice_core.store import Store
from vertice_core.store.tables import Base

Snapshot = dict[str, list[tuple[Any, ...]]]


def read_tables(store: Store) -> Snapshot:
    """Every row of every table, in a stable order."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def uri(alice: Any) -> str:
    """The URI of alice's assembly `web-1`, just declared."""
    created = alice.declare("web-1")
    assert created.status_code == 201, created.json
    location: str = created.headers["location"]
    return location


@pytest.fixture
def snapshot(store: Store) -> Callable[[], Snapshot]:
    """A function returning the current content of every table."""
    return lambda: read_tables(store)


def new_public_key(comment: str = "test@vertice") -> str:
    """A fresh, valid OpenSSH ed25519 public key line."""
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{blob.decode()} {comment}"


@pytest.fixture
def public_key() -> Callable[..., str]:
    """A function making valid SSH public key lines."""
    return new_public_key


@attrs.frozen
class VaultCredentials:
    """The credentials of a `vault` region."""

    access_key: str
    secret_key: str
    token: str = ""


VAULT = DriverInfo(
    cloud_type="vault",
    factory="vertice_drivers.sim:SimDriver",
    credentials=VaultCredentials,
    description="A cloud type that needs credentials (tests only)",
)


class VaultRegistry(DriverRegistry):
    """The installed drivers and `vault`."""

    def installed(self) -> dict[str, InstalledDriver]:
        found = super().installed()
        found["vault"] = InstalledDriver("vault", "tests:VAULT", "vertice-driver-vault", "0.0.1")
        return dict(sorted(found.items()))

    def info(self, cloud_type: str) -> DriverInfo:
        return VAULT if cloud_type == "vault" else super().info(cloud_type)


@pytest.fixture
def vault_registry() -> DriverRegistry:
    """A registry that also serves cloud type `vault`."""
    return VaultRegistry()
