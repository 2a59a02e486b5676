"""`python -m bench [--size full|quick|tiny] [SCENARIO ...]`: run the benchmarks.

Scenarios: converge (SQLite, then PostgreSQL; idle follows on SQLite), declare,
api, footprint, chaos, replicas (SQLite, then PostgreSQL; scaling on SQLite),
routes (a real Caddy), placement (one region against a spread over two),
builds (vertice's builds against docker build by hand), abuse (what hostile bodies
cost the API against a valid one), slowloris (a client's rate while slow clients hold
connections, against gunicorn's sync workers), ec2 (EC2 instances on moto through
vertice against a boto3 loop of 10 threads, every call counted), containers (containers
on a Docker Engine through vertice against docker-compose; drift behind vertice's
back), scaling (1, 2 and 4
reconcilers on one PostgreSQL; 1 and 2 API servers behind Caddy), failover (a
PostgreSQL primary killed under `vertice serve`, its synchronous standby promoted: how
long writes stop).
Prints one line per figure and a summary, and writes the figures as JSON under
`var/bench/` (or `--out`).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.report import Figure, Report
from bench.scenarios import (
    abuse,
    api,
    builds,
    bulk,
    chaos,
    containers,
    converge,
    declare,
    ec2,
    failover,
    footprint,
    placement,
    replicas,
    routes,
    scaling,
    slowloris,
)
from bench.sizes import SIZES, Size

SCENARIOS: dict[str, Callable[[Size], list[Figure]]] = {
    "converge": lambda size: converge.run(size, "sqlite") + converge.run(size, "postgresql"),
    "declare": declare.run,
    "bulk": bulk.run,
    "ec2": ec2.run,
    "containers": containers.run,
    "api": api.run,
    "footprint": footprint.run,
    "chaos": chaos.run,
    "replicas": lambda size: replicas.run(size, "sqlite") + replicas.run(size, "postgresql"),
    "routes": routes.run,
    "placement": placement.run,
    "builds": builds.run,
    "abuse": abuse.run,
    "slowloris": slowloris.run,
    "scaling": scaling.run,
    "failover": failover.run,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; exit 1 if one of them failed to run (not for a missed target)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], default=[])
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    report = Report(size.name)
    broken = []
    for name in args.scenarios or list(SCENARIOS):
        print(f"# {name} ({size.name})", flush=True)
        try:
            report.extend(SCENARIOS[name](size))
        except Exception as exc:  # its traceback on stderr, its reason at the end of stdout
            broken.append(f"{name} ({type(exc).__name__}: {str(exc)[:1500]})")
            traceback.print_exc()
    print(report.summary())
    print(f"figures written to {report.write(args.out)}")
    if broken:
        print("scenarios that could not run:\n" + "\n".join(broken))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
