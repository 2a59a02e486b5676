"""`declare`: assemblies POSTed through the API under gunicorn by a concurrent client.

The server is `vertice serve --api-only` with two workers on SQLite. The
client that sets the figure is wrk (2 threads, 32 connections), stopped as
soon as the database holds the wanted number of assemblies: a client written
in C, so that the figure is the server's rate rather than the client's. The project's own
client (`vertice_api.client.Client`, one keep-alive connection per thread)
then declares a tenth as many more, and its rate is reported beside: on two
cores it competes with the server for CPU, so it is the lower bound a Python
caller sees. The figure is assemblies stored (counted in the database) per
second.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench.installation import Installation
from bench.report import Figure
from bench.sizes import Size
from vertice_api.client import Client
from vertice_testing import wrk


def run(size: Size) -> list[Figure]:
    """POST `size.declare` assemblies with wrk, then a tenth with the project's client."""
    if not wrk.available():
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    inst = Installation("sqlite")
    try:
        with inst.api() as url:
            script = wrk.post_script(inst.home / "declare.lua", inst.token)
            started = time.monotonic()
            load = wrk.start(url + "/v3/assembly_factory", 600, script=script)
            try:
                reached = inst.wait_for(
                    lambda: inst.stored() >= size.declare, timeout=600, interval=0.05
                )
            finally:
                result = wrk.finish(load, interrupt=True)
            stored = inst.stored()
            rate = size.declare / (reached - started)
            python_rate, python_count = _python_client(url, inst, size)
        return [
            Figure("declare.rate", rate, "assemblies/s", 1000.0, op=">=",
                   note=f"time to {size.declare} stored ({stored} when wrk stopped), "
                   "2 gunicorn workers"),
            Figure("declare.non_2xx", result.non_2xx + result.errors, "responses", 0.0),
            Figure("declare.rate_python_client", python_rate, "assemblies/s",
                   note=f"{python_count} POSTs, {size.declare_clients} threads of the "
                   "project's client"),
        ]  # fmt: skip
    finally:
        inst.close()


def _python_client(url: str, inst: Installation, size: Size) -> tuple[float, int]:
    """Assemblies per second stored by the project's client, and how many it declared."""
    count = max(size.declare // 10, size.declare_clients)
    clients = size.declare_clients
    share = [range(i, count, clients) for i in range(clients)]
    before = inst.stored()

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
    return (inst.stored() - before) / elapsed, count
