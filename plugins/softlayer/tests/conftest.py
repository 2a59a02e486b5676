"""The peer of the SoftLayer driver's tests, and drivers and regions pointed at it.

* `softlayer_server` (session): the SDK's XML-RPC fixture server with a guest
  account behind it (`softlayer_peer.SoftLayerPeer`) on a free port of
  127.0.0.1; `peer` (per test) empties it first and brings it back up if a test
  took it down; `account` is its `GuestAccount` (guests, limits, ghosts).
* `make_driver(**settings)`: a `SoftLayerDriver` pointed at the peer (or elsewhere).
* `softlayer_region(**settings)`: a region of type `softlayer` created through the API.

softlayer-python installs a top-level `tests` package into site-packages, so
these tests have no `__init__.py`, run with `--import-mode=importlib`, and the
peer's modules (`softlayer_peer`, `softlayer_guests`, named to stay unique) are
put on `sys.path` here.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

with warnings.catch_warnings():
    # SoftLayer.testing imports the SDK's CLI, which uses click APIs click deprecates.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="SoftLayer")
    from softlayer_guests import GuestAccount
    from softlayer_peer import API_KEY, USERNAME, SoftLayerPeer

from vertice_core.convert import make_converter, structure
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY, TAG_PROJECT, RegionConfig
from vertice_driver_softlayer import DRIVER, SoftLayerCredentials, SoftLayerSettings
from vertice_drivers.ports import free_port
from vertice_testing.peers import for_the_session, fresh_for_a_test

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

CREDENTIALS = {"username": USERNAME, "api_key": API_KEY}
DATACENTER = "dal13"
INSTALLATION = "vti-softlayer-tests"
DOMAIN = "vertice.internal"


@pytest.fixture(scope="session")
def softlayer_server() -> Iterator[SoftLayerPeer]:
    """The peer on a free port of 127.0.0.1, for the whole session."""
    yield from for_the_session(SoftLayerPeer())


@pytest.fixture
def peer(softlayer_server: SoftLayerPeer) -> Iterator[SoftLayerPeer]:
    """The peer, emptied before the test (and listening again after it)."""
    yield from fresh_for_a_test(softlayer_server)


@pytest.fixture
def account(peer: SoftLayerPeer) -> GuestAccount:
    """The peer's account: its guests and knobs."""
    return peer.account


def region_settings(**changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region: an Ubuntu image, a preset, short timeouts."""
    return {
        "images": {"1_virtualmachine_ubuntu": "UBUNTU_22_64"},
        "flavors": {"small": {"preset": "B1_1X2X25"}},
        "domain": DOMAIN,
        "page_size": 5,
        "connect_timeout": 1.0,
        "read_timeout": 5.0,
        **changes,
    }


@pytest.fixture(scope="session")
def settings_json() -> Callable[..., dict[str, Any]]:
    """`settings_json(**changes)`: the JSON settings of a test region."""
    return region_settings


def build_driver(
    url: str,
    settings: dict[str, Any],
    *,
    installation: str = INSTALLATION,
    credentials: dict[str, str] | None = None,
    provider_region: str = DATACENTER,
) -> Any:
    """A `SoftLayerDriver` for `url`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="softlayer-test",
            cloud_type="softlayer",
            installation_id=installation,
            provider_region=provider_region,
            endpoint=url,
            settings=structure(converter, settings, SoftLayerSettings),
            credentials=structure(converter, credentials or CREDENTIALS, SoftLayerCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder() -> Callable[..., Any]:
    """`build_driver(url, settings, installation=..., credentials=...)`, for wider scopes."""
    return build_driver


@pytest.fixture
def make_driver(peer: SoftLayerPeer) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., endpoint=..., credentials=..., **settings)` on the peer."""
    made: list[Any] = []

    def make(
        installation: str = INSTALLATION,
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        provider_region: str = DATACENTER,
        **settings: Any,
    ) -> Any:
        driver = build_driver(
            peer.url if endpoint is None else endpoint,
            region_settings(**settings),
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
def make_unmanaged(account: GuestAccount) -> Iterator[Callable[[], str]]:
    """`make_unmanaged()`: a guest an operator orders by hand, straight in the peer's account
    (`createObject` in `example.com`, then `setTags` `owner:ops`), provisioning as any order;
    its id. Cancelled after the test."""
    made: list[int] = []

    def order() -> str:
        made.append(account.by_hand(f"by-hand-{uuid.uuid4().hex[:8]}"))
        return str(made[-1])

    yield order
    for guest_id in made:
        with contextlib.suppress(Exception):  # best effort: gone already, or the test failed
            account.cancel(guest_id)


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on."""
    return free_port()


def vertice_tags(installation: str, assembly: str, key: str) -> list[str]:
    """The tags of a guest vertice manages, as `setTags` leaves them."""
    return [
        f"{TAG_INSTALLATION}:{installation}",
        f"{TAG_ASSEMBLY}:{assembly}",
        f"{TAG_KEY}:{key}",
        f"{TAG_PROJECT}:prj-x",
    ]


@pytest.fixture(scope="session")
def managed() -> Callable[[str, str, str], list[str]]:
    """`managed(installation, assembly, key)`: the tags of a guest vertice manages."""
    return vertice_tags


# -- end to end: a region of type `softlayer` configured through the API --


@pytest.fixture
def softlayer_region(admin: Any, peer: SoftLayerPeer) -> Callable[..., str]:
    """`softlayer_region(name="sl-test", endpoint=peer, credentials=..., **settings)`: POST it."""

    def configure(
        name: str = "sl-test",
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "softlayer",
            "provider_region": DATACENTER,
            "endpoint": peer.url if endpoint is None else endpoint,
            "settings": region_settings(**settings),
            "credentials": credentials or CREDENTIALS,
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure
