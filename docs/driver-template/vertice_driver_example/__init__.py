"""The `example` driver's entry point: its settings, its credentials and its DriverInfo.

This module is what vertice imports to validate a region's settings and to
list the driver; it must stay cheap and never import the cloud's SDK. The
driver itself (`driver.py`) is imported only when a region of this type is
reconciled.
"""

from __future__ import annotations

import attrs

from vertice_core.driver import Capability, DriverInfo


@attrs.frozen
class ExampleSettings:
    """A region's settings (unknown keys are refused with a 422 naming them)."""

    #: Which in-memory cloud to talk to (a real driver: an endpoint URL, a zone...).
    account: str = "default"
    #: Instances observed per page.
    page_size: int = 100


@attrs.frozen
class ExampleCredentials:
    """A region's secrets: sealed at rest, never returned by the API, never logged."""

    api_key: str = ""


DRIVER = DriverInfo(
    cloud_type="example",
    factory="vertice_driver_example.driver:ExampleDriver",
    capabilities=frozenset(
        {
            Capability.START_STOP,
            Capability.REBOOT,
            Capability.PRIVATE_IPV4,
            Capability.SSH_KEY,
            Capability.ROOT_PASSWORD,
            Capability.IDEMPOTENCY_TOKEN,
        }
    ),
    settings=ExampleSettings,
    credentials=ExampleCredentials,
    # Top-level modules of the SDK the driver needs (checked without importing them):
    requires=(),
    description="An example driver over an in-memory cloud (the driver template)",
)
