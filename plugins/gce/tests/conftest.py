"""Service-account keys, drivers and regions pointed at the Compute peer (`../gce_compute_peer.py`).

* `service_account` (session): an RSA key as GCE's JSON key file; the peer
  (`compute_server`, overridden here) accepts its signature and no other, so
  every call must be signed; `rogue_service_account`: a key it does not know.
* `compute` (per test, emptied first): the peer.
* `make_driver(**settings)`: a `GceDriver` on the peer (or another endpoint,
  another key, another installation), closed after the test.
* `gce_region(**settings)`: a region of type `gce` created through the API.
* `peer_instance(name)`, `peer_instances(labels)`: what the peer holds, read
  behind the driver's back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vertice_core.convert import make_converter, structure
from vertice_core.driver import RegionConfig
from vertice_driver_gce import DRIVER, GceCredentials, GceSettings
from vertice_drivers.ports import free_port

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

ZONE = "us-central1-a"
PROJECT = "vertice-test"
#: A plan image mapped to an image of the recorded debian-cloud listing.
IMAGE = "projects/debian-cloud/global/images/debian-7-wheezy-v20131120"
#: The machine type of each built-in flavor (machine types of the recorded listing).
MACHINE_TYPES = {"small": "n1-standard-1", "medium": "n1-standard-2", "large": "n1-standard-4"}


@attrs.frozen
class ServiceAccount:
    """A service-account key made by the tests: the JSON text GCE would give, and its parts."""

    json: str
    email: str
    public_pem: str


def make_service_account(project: str, name: str = "vertice") -> ServiceAccount:
    """A new RSA service-account key of `project` (what `gcloud ... keys create` writes)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    email = f"{name}@{project}.iam.gserviceaccount.com"
    document = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": private,
        "client_email": email,
        "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return ServiceAccount(json.dumps(document), email, public.decode())


@pytest.fixture(scope="session")
def service_account() -> ServiceAccount:
    """The tests' service account (its project is the regions' project)."""
    return make_service_account(PROJECT)


@pytest.fixture(scope="session")
def rogue_service_account() -> ServiceAccount:
    """A well-formed key the peer does not know (a deleted key, another project's)."""
    return make_service_account(PROJECT, "rogue")


@pytest.fixture(scope="session")
def compute_server(compute_server: Any, service_account: ServiceAccount) -> Any:
    """The Compute peer, accepting calls signed by `service_account` only."""
    compute_server.accept(service_account.email, service_account.public_pem)
    return compute_server


def region_settings(**changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region: short timeouts."""
    return {
        "images": {"1_virtualmachine_ubuntu": IMAGE},
        "machine_types": dict(MACHINE_TYPES),
        "timeout": 5.0,
        **changes,
    }


def build_driver(
    url: str,
    settings: dict[str, Any],
    key_json: str,
    *,
    installation: str = "vti-gce-tests",
    zone: str = ZONE,
) -> Any:
    """A `GceDriver` for `url`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="gce-test",
            cloud_type="gce",
            installation_id=installation,
            provider_region=zone,
            endpoint=url,
            settings=structure(converter, settings, GceSettings),
            credentials=structure(converter, {"service_account_json": key_json}, GceCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder(service_account: Any) -> Callable[..., Any]:
    """`build(url, installation=..., **settings)` with the session's key, for wider scopes."""

    def build(url: str, installation: str = "vti-gce-tests", **settings: Any) -> Any:
        return build_driver(
            url, region_settings(**settings), service_account.json, installation=installation
        )

    return build


@pytest.fixture
def make_driver(compute: Any, service_account: Any) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., endpoint=..., key_json=..., zone=..., **settings)`."""
    made: list[Any] = []

    def make(
        installation: str = "vti-gce-tests",
        endpoint: str | None = None,
        key_json: str | None = None,
        zone: str = ZONE,
        **settings: Any,
    ) -> Any:
        driver = build_driver(
            compute.url if endpoint is None else endpoint,
            region_settings(**settings),
            key_json or service_account.json,
            installation=installation,
            zone=zone,
        )
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on."""
    return free_port()


@pytest.fixture
def peer_instance(compute: Any) -> Callable[[str], dict[str, Any] | None]:
    """`peer_instance(name)`: the peer's document of an instance of the test zone."""
    return lambda name: compute.instance(PROJECT, ZONE, name)


@pytest.fixture
def peer_instances(compute: Any) -> Callable[..., list[dict[str, Any]]]:
    """`peer_instances(labels)`: the peer's instances carrying those labels."""

    def find(labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        with compute.lock:
            compute._settle()
            docs = list(compute.instances.values())
        return [d for d in docs if all(d["labels"].get(k) == v for k, v in (labels or {}).items())]

    return find


# -- end to end: a region of type `gce` configured through the API --


@pytest.fixture
def gce_region(admin: Any, compute: Any, service_account: Any) -> Callable[..., str]:
    """`gce_region(name="gce-test", endpoint=peer, key_json=..., **settings)`: POST it."""

    def configure(
        name: str = "gce-test",
        endpoint: str | None = None,
        key_json: str | None = None,
        **settings: Any,
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "gce",
            "provider_region": ZONE,
            "endpoint": compute.url if endpoint is None else endpoint,
            "settings": region_settings(**settings),
            "credentials": {"service_account_json": key_json or service_account.json},
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure


@pytest.fixture
def driver_calls() -> Callable[..., float]:
    """`driver_calls(reconciler, verb, outcome="ok")`: how often the loop called the driver."""

    def count(reconciler: Any, verb: str, outcome: str = "ok") -> float:
        labels = {"cloud_type": "gce", "verb": verb, "outcome": outcome}
        value = reconciler.metrics.registry.get_sample_value("vertice_driver_calls_total", labels)
        return value or 0.0

    return count
