"""How big each scenario is: `full` (the targets' size), `quick` (a tenth), `tiny` (tests)."""

from __future__ import annotations

import attrs


@attrs.frozen
class Size:
    """The sizes of one benchmark run."""

    name: str
    converge: int
    idle_resync: float
    idle_periods: int
    declare: int
    declare_clients: int
    api_assemblies: int
    api_seconds: int
    chaos: int
    chaos_resync: float
    repeats: int
    #: Assemblies of `replica_count` replicas each (converge), and assemblies scaled 1 -> 5 -> 1.
    replica_assemblies: int
    replica_count: int
    scaled: int
    #: Routes declared into a real Caddy, and seconds of wrk direct and through it.
    routes: int
    proxy_seconds: int
    #: EC2 instances created on moto, through vertice and through a boto3 loop.
    ec2: int = 200
    #: Containers run on the Docker Engine, through vertice and through docker-compose.
    containers: int = 50
    #: Sim regions, and assemblies homed in each, converged by 1, 2 and 4 reconcilers (more
    #: regions than a reconciler works on at once, 8, so that every one of them has work).
    scaling_regions: int = 20
    scaling_assemblies: int = 1_000


SIZES = {
    "full": Size(
        "full", 10_000, 15.0, 6, 10_000, 8, 10_000, 10, 2_000, 5.0, 3, 1_000, 10, 1_000, 1_000, 10
    ),
    "quick": Size(
        "quick", 1_000, 2.0, 4, 1_000, 8, 1_000, 2, 200, 2.0, 3, 100, 10, 100, 100, 3, ec2=50,
        containers=20, scaling_regions=10, scaling_assemblies=200,
    ),
    "tiny": Size(
        "tiny", 20, 1.0, 2, 20, 2, 20, 1, 20, 1.0, 1, 2, 10, 4, 20, 1, ec2=5,
        containers=3, scaling_regions=2, scaling_assemblies=5,
    ),
}  # fmt: skip
