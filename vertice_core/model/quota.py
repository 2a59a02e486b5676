"""Quotas: how much a project may declare, in all regions or in one (issue 13).

A quota limits what a project's assemblies *declare*, not what happens to run:
instances (replicas), vCPUs, RAM (MiB) and disk (GiB) are each assembly's
replicas times its flavor's size, counted from the moment it is declared until
the moment its deletion is asked for (scaled down, its instances stop counting
at once, while the cloud side is still being removed). Routes count per
project. An assembly with a placement may run all its instances in any of its
regions (a region that refuses a create sends them to another), so it counts
whole against the quota of each region of its placement.
"""

from __future__ import annotations

import attrs

from vertice_core.model.types import NonNegative

#: What a quota limits, in the order tables show them.
RESOURCES = ("instances", "vcpus", "ram", "disk", "routes")
#: What a quota of one region may limit (routes belong to no region).
REGIONAL = ("instances", "vcpus", "ram", "disk")
#: The units the resources are counted in.
UNITS = {"instances": "", "vcpus": "", "ram": " MiB", "disk": " GiB", "routes": ""}


@attrs.frozen
class QuotaLimits:
    """The limits of one quota; None: no limit."""

    instances: NonNegative | None = None
    vcpus: NonNegative | None = None
    ram: NonNegative | None = None
    disk: NonNegative | None = None
    routes: NonNegative | None = None

    def limit(self, resource: str) -> int | None:
        """The limit of `resource` (one of `RESOURCES`)."""
        value: int | None = getattr(self, resource)
        return value


@attrs.frozen
class Usage:
    """Resources declared: a project's, in a region or in all, or one request's."""

    instances: int = 0
    vcpus: int = 0
    ram: int = 0
    disk: int = 0
    routes: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, r) + getattr(other, r) for r in RESOURCES))

    def of(self, resource: str) -> int:
        """The amount of `resource`."""
        value: int = getattr(self, resource)
        return value


def demand(replicas: int, cpu: int, ram: int, disk: int) -> Usage:
    """What `replicas` instances of a flavor of that size declare."""
    return Usage(replicas, replicas * cpu, replicas * ram, replicas * disk)
