"""The peer of the OpenNebula driver's tests, and drivers and regions pointed at it.

* `one_server` (session): a local oned XML-RPC endpoint (`one_peer.OnePeer`, over
  the in-memory cloud of `one_cloud.py`) on a free port of 127.0.0.1; `peer` (per
  test) empties it first and brings it back up if a test took it down.
* `oneadmin`: a plain pyone client of the peer, to plant and inspect VMs behind
  the driver's back (the way an operator's `onevm` would).
* `make_driver(**settings)`: an `OpenNebulaDriver` pointed at the peer (or elsewhere).
* `one_region(**settings)`: a region of type `opennebula` created through the API.

Tests have no `__init__.py` and run with `--import-mode=importlib`, so the peer's
modules (`one_peer`, `one_cloud`, `one_documents`, named to stay unique across
the repository) are put on `sys.path` here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from one_cloud import OneCloud, Vm
from one_peer import OnePeer

from vertice_core.convert import make_converter, structure
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY, RegionConfig
from vertice_driver_opennebula import (
    DRIVER,
    OpenNebulaCredentials,
    OpenNebulaSettings,
)
from vertice_drivers.ports import free_port
from vertice_testing.peers import for_the_session, fresh_for_a_test

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

#: Recorded OpenNebula documents and schemas (see SOURCES.md beside them).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ONEADMIN = {"user": "oneadmin", "password": "opennebula"}


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The folder of recorded OpenNebula documents, schemas and state codes."""
    return FIXTURES


@pytest.fixture(scope="session")
def one_server() -> Iterator[OnePeer]:
    """The oned peer on a free port of 127.0.0.1, for the whole session."""
    yield from for_the_session(OnePeer())


@pytest.fixture
def peer(one_server: OnePeer) -> Iterator[OnePeer]:
    """The peer, emptied before the test (and listening again after it)."""
    yield from fresh_for_a_test(one_server)


@pytest.fixture
def cloud(peer: OnePeer) -> OneCloud:
    """The peer's in-memory cloud (its VMs, templates and misbehaviour)."""
    return peer.cloud


def region_settings(**changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region: the peer's template 0, its two networks."""
    return {
        "templates": {"1_virtualmachine_ubuntu": 0, "2_application_java": 1},
        "network_id": 0,
        "public_network_id": 1,
        "page_size": 10,
        "hard_terminate_after": 0.0,
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
    installation: str = "vti-one-tests",
    credentials: dict[str, str] | None = None,
) -> Any:
    """An `OpenNebulaDriver` for `url`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="one-test",
            cloud_type="opennebula",
            installation_id=installation,
            endpoint=url,
            settings=structure(converter, settings, OpenNebulaSettings),
            credentials=structure(converter, credentials or ONEADMIN, OpenNebulaCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder() -> Callable[..., Any]:
    """`build_driver(url, settings, installation=..., credentials=...)`, for wider scopes."""
    return build_driver


@pytest.fixture
def make_driver(peer: OnePeer) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., endpoint=..., credentials=..., **settings)` on the peer."""
    made: list[Any] = []

    def make(
        installation: str = "vti-one-tests",
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> Any:
        driver = build_driver(
            peer.url if endpoint is None else endpoint,
            region_settings(**settings),
            installation=installation,
            credentials=credentials,
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
def oneadmin(peer: OnePeer) -> Any:
    """A plain pyone client of the peer (no timeout: pyone's would be process-wide)."""
    import pyone

    return pyone.OneServer(peer.url, session="oneadmin:opennebula")


@pytest.fixture
def plant(oneadmin: Any, cloud: OneCloud) -> Callable[..., Vm]:
    """`plant(name, **attributes)`: a VM allocated behind vertice's back with those attributes."""

    def allocate(name: str, **attributes: str) -> Vm:
        template = {"NAME": name, "CPU": "1", "MEMORY": "512", **attributes}
        template["NIC"] = {"NETWORK_ID": "0"}
        vm_id = oneadmin.vm.allocate({"TEMPLATE": template}, False)
        return cloud.vms[vm_id]

    return allocate


def vertice_attributes(installation: str, assembly: str, key: str) -> dict[str, str]:
    """The USER_TEMPLATE attributes of a VM vertice manages."""
    return {
        TAG_INSTALLATION.upper().replace("-", "_"): installation,
        TAG_ASSEMBLY.upper().replace("-", "_"): assembly,
        TAG_KEY.upper().replace("-", "_"): key,
    }


@pytest.fixture(scope="session")
def managed() -> Callable[[str, str, str], dict[str, str]]:
    """`managed(installation, assembly, key)`: the attributes of a VM vertice manages."""
    return vertice_attributes


# -- end to end: a region of type `opennebula` configured through the API --


@pytest.fixture
def one_region(admin: Any, peer: OnePeer) -> Callable[..., str]:
    """`one_region(name="one-test", endpoint=peer, credentials=oneadmin, **settings)`: POST it."""

    def configure(
        name: str = "one-test",
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "opennebula",
            "endpoint": peer.url if endpoint is None else endpoint,
            "settings": region_settings(**settings),
            "credentials": credentials or ONEADMIN,
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure


def calls_made(reconciler: Any, verb: str, outcome: str = "ok") -> int:
    """How many `opennebula` driver calls of `verb` the reconciler made with that outcome."""
    labels = {"cloud_type": "opennebula", "verb": verb, "outcome": outcome}
    value = reconciler.metrics.registry.get_sample_value("vertice_driver_calls_total", labels)
    return int(value or 0)


@pytest.fixture
def driver_calls() -> Callable[..., int]:
    """`driver_calls(reconciler, verb, outcome="ok")`: the reconciler's counted driver calls."""
    return calls_made
