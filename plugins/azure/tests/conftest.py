"""Drivers and regions pointed at the Azure peer (`../conftest.py`), and what the peer holds.

* `region_settings(**changes)` / `build_driver(peer, ...)`: an `AzureDriver` loaded
  through its `DriverInfo` as the registry does, trusting the peer's certificate,
  its authority being the peer too;
* `make_driver(**changes)`: the same for the test's peer, closed after the test;
* `azure_region(**settings)`: a region of type `azure` created through the API;
* `peer_vms(tags)`, `launch_data(instance)`: what the peer holds, read behind the
  driver's back (ARM never returns custom data or passwords; the peer keeps them).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from azure_arm_peer.account import (
    CLIENT,
    GROUP,
    LOCATION,
    NETWORK,
    SECRET,
    SUBSCRIPTION,
    TENANT,
)
from vertice_core.convert import make_converter, structure
from vertice_core.driver import RegionConfig
from vertice_driver_azure import DRIVER, AzureCredentials, AzureSettings
from vertice_drivers.ports import free_port

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

#: The plan image of the built-in plans, mapped to the image of the recorded exchange.
IMAGE = "Canonical:UbuntuServer:16.04.0-LTS:latest"
#: The VM size of each built-in flavor (sizes of the recorded `vmSizes` listing).
VM_SIZES = {"small": "Standard_A1", "medium": "Standard_A2", "large": "Standard_A2"}


def region_settings(peer: Any, **changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region on `peer`: no SDK retries, short timeouts."""
    cert = changes.pop("ca_bundle", None)
    return {
        "subscription_id": SUBSCRIPTION,
        "resource_group": GROUP,
        "virtual_network": NETWORK,
        "images": {"1_virtualmachine_ubuntu": IMAGE},
        "vm_sizes": dict(VM_SIZES),
        "authority": peer.url,
        "ca_bundle": str(cert if cert is not None else peer.certificate),
        "retry_total": 0,
        "read_timeout": 5.0,
        **changes,
    }


def credentials(secret: str = SECRET, tenant: str = TENANT) -> dict[str, str]:
    """The JSON credentials of the tests' service principal (or a wrong secret, tenant)."""
    return {"tenant_id": tenant, "client_id": CLIENT, "client_secret": secret}


def build_driver(
    peer: Any,
    *,
    installation: str = "vti-azure-tests",
    endpoint: str | None = None,
    secret: str = SECRET,
    **changes: Any,
) -> Any:
    """An `AzureDriver` for `peer`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    return DRIVER.load()(
        RegionConfig(
            name="azure-test",
            cloud_type="azure",
            installation_id=installation,
            provider_region=LOCATION,
            endpoint=peer.url if endpoint is None else endpoint,
            settings=structure(converter, region_settings(peer, **changes), AzureSettings),
            credentials=structure(converter, credentials(secret), AzureCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder() -> Callable[..., Any]:
    """`build_driver` itself, for fixtures of wider scopes than a test."""
    return build_driver


@pytest.fixture
def make_driver(azure: Any) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., endpoint=..., secret=..., **settings)`: closed after."""
    made: list[Any] = []

    def make(**changes: Any) -> Any:
        driver = build_driver(azure, **changes)
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
def peer_vms(azure: Any) -> Callable[..., list[Any]]:
    """`peer_vms(tags)`: the peer's VMs (records) whose tags include `tags`."""

    def find(tags: dict[str, str] | None = None) -> list[Any]:
        with azure.lock:
            azure.arm.settle()
            vms = list(azure.arm.vms.values())
        wanted = (tags or {}).items()
        return [vm for vm in vms if all(vm.doc["tags"].get(k) == v for k, v in wanted)]

    return find


def launch_text(vm: Any) -> str:
    """What a VM received at launch, as text: its OS profile, password and custom data."""
    custom = vm.secrets.get("customData", "")
    decoded = base64.b64decode(custom).decode() if custom else ""
    profile = json.dumps(vm.doc["properties"]["osProfile"], sort_keys=True)
    return "\n".join([profile, vm.secrets.get("adminPassword", ""), decoded])


@pytest.fixture
def launch_data(azure_server: Any) -> Callable[[Any], str]:
    """`launch_data(instance)`: what the peer's VM of `instance` was launched with."""
    return lambda instance: launch_text(azure_server.vm(GROUP, instance.cloud_id))


# -- end to end: a region of type `azure` configured through the API --


@pytest.fixture
def azure_region(admin: Any, azure: Any) -> Callable[..., str]:
    """`azure_region(name="azure-test", endpoint=peer, secret=..., **settings)`: POST it."""

    def configure(
        name: str = "azure-test", endpoint: str | None = None, secret: str = SECRET, **settings: Any
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "azure",
            "provider_region": LOCATION,
            "endpoint": azure.url if endpoint is None else endpoint,
            "settings": region_settings(azure, **settings),
            "credentials": credentials(secret),
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure


@pytest.fixture
def driver_calls() -> Callable[..., float]:
    """`driver_calls(reconciler, verb, outcome="ok")`: how often the loop called the driver."""

    def count(reconciler: Any, verb: str, outcome: str = "ok") -> float:
        labels = {"cloud_type": "azure", "verb": verb, "outcome": outcome}
        value = reconciler.metrics.registry.get_sample_value("vertice_driver_calls_total", labels)
        return value or 0.0

    return count
