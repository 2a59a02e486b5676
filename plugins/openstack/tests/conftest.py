"""The peer of the OpenStack driver's tests, and drivers and regions pointed at it.

* `openstack_server` (session): Keystone + Nova + Glance (`openstack_peer`) on a free
  port of 127.0.0.1; `peer` (per test) empties it first and brings it back up if a
  test took it down; `cloud` is its memory (servers, key pairs, quota, build faults).
* `make_driver(**settings)`: an `OpenStackDriver` pointed at the peer (or elsewhere).
* `openstack_region(**settings)`: a region of type `openstack` created through the API.

Tests run with `--import-mode=importlib` and have no packages, so this folder (the
peer's package, `openstack_peer`, named to stay unique) is put on `sys.path` here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from openstack_peer import (
    DOMAIN_NAME,
    PASSWORD,
    PROJECT_NAME,
    USERNAME,
    Cloud,
    OpenStackPeer,
)

from vertice_core.convert import make_converter, structure
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY, TAG_PROJECT, RegionConfig
from vertice_driver_openstack import DRIVER, OpenStackCredentials, OpenStackSettings
from vertice_drivers.ports import free_port
from vertice_testing.peers import for_the_session, fresh_for_a_test

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

CREDENTIALS = {"username": USERNAME, "password": PASSWORD}
REGION = "RegionOne"
INSTALLATION = "vti-openstack-tests"
#: The plan image of the built-in plans, mapped to an image of the recorded Glance listing.
IMAGE = "cirros-0.3.2-x86_64-disk"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """openstacksdk warns (PendingDeprecationWarning) about its own internal calls it will
    change in its next major version: nothing vertice calls, and hundreds of lines."""
    here = Path(__file__).resolve().parent
    quiet = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack")
    for item in items:
        if here in item.path.parents:
            item.add_marker(quiet)


@pytest.fixture(scope="session")
def openstack_server() -> Iterator[OpenStackPeer]:
    """The peer on a free port of 127.0.0.1, for the whole session."""
    yield from for_the_session(OpenStackPeer())


@pytest.fixture
def peer(openstack_server: OpenStackPeer) -> Iterator[OpenStackPeer]:
    """The peer, emptied before the test (and listening again after it)."""
    yield from fresh_for_a_test(openstack_server)


@pytest.fixture
def cloud(peer: OpenStackPeer) -> Cloud:
    """The peer's memory: its servers and knobs."""
    return peer.cloud


def region_settings(peer: OpenStackPeer, **changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region on `peer`: its Keystone, project, short timeouts."""
    return {
        "auth_url": peer.auth_url,
        "project_name": PROJECT_NAME,
        "user_domain_name": DOMAIN_NAME,
        "project_domain_name": DOMAIN_NAME,
        "images": {"1_virtualmachine_ubuntu": IMAGE},
        "page_size": 5,
        "timeout": 5.0,
        **changes,
    }


@pytest.fixture(scope="session")
def settings_json() -> Callable[..., dict[str, Any]]:
    """`settings_json(peer, **changes)`: the JSON settings of a test region."""
    return region_settings


def build_driver(
    settings: dict[str, Any],
    *,
    installation: str = INSTALLATION,
    credentials: dict[str, str] | None = None,
    provider_region: str = REGION,
) -> Any:
    """An `OpenStackDriver`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="openstack-test",
            cloud_type="openstack",
            installation_id=installation,
            provider_region=provider_region,
            settings=structure(converter, settings, OpenStackSettings),
            credentials=structure(converter, credentials or CREDENTIALS, OpenStackCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder() -> Callable[..., Any]:
    """`build_driver(settings, installation=..., credentials=...)`, for wider scopes."""
    return build_driver


@pytest.fixture
def make_driver(peer: OpenStackPeer) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., credentials=..., provider_region=..., **settings)`."""
    made: list[Any] = []

    def make(
        installation: str = INSTALLATION,
        credentials: dict[str, str] | None = None,
        provider_region: str = REGION,
        **settings: Any,
    ) -> Any:
        driver = build_driver(
            region_settings(peer, **settings),
            installation=installation,
            credentials=credentials,
            provider_region=provider_region,
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


def vertice_metadata(installation: str, assembly: str, key: str) -> dict[str, str]:
    """The metadata of a server vertice manages."""
    return {
        TAG_INSTALLATION: installation,
        TAG_ASSEMBLY: assembly,
        TAG_KEY: key,
        TAG_PROJECT: "prj-x",
    }


@pytest.fixture(scope="session")
def managed() -> Callable[[str, str, str], dict[str, str]]:
    """`managed(installation, assembly, key)`: the metadata of a server vertice manages."""
    return vertice_metadata


# -- end to end: a region of type `openstack` configured through the API --


@pytest.fixture
def openstack_region(admin: Any, peer: OpenStackPeer) -> Callable[..., str]:
    """`openstack_region(name="os-test", credentials=..., **settings)`: POST it."""

    def configure(
        name: str = "os-test",
        credentials: dict[str, str] | None = None,
        provider_region: str = REGION,
        **settings: Any,
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "openstack",
            "provider_region": provider_region,
            "settings": region_settings(peer, **settings),
            "credentials": credentials or CREDENTIALS,
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure
