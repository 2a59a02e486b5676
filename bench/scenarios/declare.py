"""`declare`: assemblies POSTed through the API under gunicorn by a concurrent client.

The client is the project's own (`vertice_api.client.Client`), one keep-alive
connection per thread; the server is `vertice serve --api-only` with two
workers on SQLite. The figure is assemblies stored per second.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench.installation import Installation
from bench.report import Figure
from bench.sizes import Size
from vertice_api.client import Client


def run(size: Size) -> list[Figure]:
    """POST `size.declare` assemblies with `size.declare_clients` threads."""
    inst = Installation("sqlite")
    try:
        with inst.api() as url:
            clients = size.declare_clients
            share = [range(i, size.declare, clients) for i in range(clients)]

            def post(numbers: range) -> None:
                with Client(url, inst.token) as client:
                    for i in numbers:
                        client.declare(
                            {"name": f"d{i:06d}", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                             "region": "local", "flavor": "small"}
                        )  # fmt: skip

            started = time.monotonic()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(post, share))
            elapsed = time.monotonic() - started
        stored = sum(inst.phases().values())
        return [
            Figure("declare.rate", stored / elapsed, "assemblies/s", 1000.0, op=">=",
                   note=f"{stored} POSTs, {clients} client threads, 2 gunicorn workers"),
        ]  # fmt: skip
    finally:
        inst.close()
