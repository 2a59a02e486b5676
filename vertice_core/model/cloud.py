"""The operator's side of the house: regions (cloud settings) and flavors.

A region is what the design document calls *cloud settings*: a name shown in
the launch panel, the cloud type (which driver serves it), the provider's own
region or cluster, an endpoint and the credentials that cloud needs. The
driver of the cloud type declares which settings and credentials it accepts;
`settings` and `credentials` are validated against that declaration before a
region is stored.
"""

from __future__ import annotations

from typing import Any

import attrs

from vertice_core.model.types import (
    Currency,
    Endpoint,
    Label,
    Name,
    NonNegative,
    NonNegativeFloat,
    Positive,
)


@attrs.frozen
class Region:
    """Where assemblies can run: one cloud account in one provider region or cluster."""

    name: Name
    cloud_type: Name
    provider_region: Label = Label("")
    endpoint: Endpoint = Endpoint("")
    description: str = ""
    settings: dict[str, Any] = attrs.Factory(dict)
    #: Secrets (access keys, passwords). Encrypted at rest, never returned by the API.
    credentials: dict[str, Any] = attrs.Factory(dict)


@attrs.frozen
class Flavor:
    """A size users pick at launch: CPUs, RAM in MiB, disk in GiB and a price per hour."""

    name: Name
    cpu: Positive
    ram: Positive
    disk: NonNegative
    #: Region names the flavor is offered in; empty means every region.
    regions: list[Name] = attrs.Factory(list)
    price_per_hour: NonNegativeFloat = NonNegativeFloat(0.0)
    currency: Currency = Currency("USD")
    description: str = ""
    #: The price per hour in regions where it differs from `price_per_hour` (what
    #: the `cheapest` placement compares).
    region_prices: dict[Name, NonNegativeFloat] = attrs.Factory(dict)
    #: The price per hour of a stopped instance (its disk, its address); metering charges
    #: it for the time an instance is observed stopped (`vertice_core.billing`).
    stopped_price_per_hour: NonNegativeFloat = NonNegativeFloat(0.0)

    def price_in(self, region: str) -> float:
        """The price per hour of the flavor in `region`."""
        return self.region_prices.get(Name(region), self.price_per_hour)

    def offered_in(self, region: str) -> bool:
        """True when users may launch this flavor in `region`."""
        return not self.regions or region in self.regions
