"""`slowloris`: a normal client's rate while 50 slow clients hold connections (issue 17).

Two servers of the same installation (SQLite, two workers, 127.0.0.1), one after the
other: `vertice serve --api-only` (gevent workers with request deadlines,
`vertice_api.worker`) and, as the peer, the same WSGI app under gunicorn's sync
workers (`gunicorn -k sync vertice_api.wsgi:application`), which vertice served with
before. Against each, wrk (2 threads, 32 connections) GETs one stored assembly with a
token for `api_seconds`, first alone, then while `vertice_testing.slowloris` keeps 50
connections sending a request one line (or one body byte) every 5 s. Figures: each
server's rate alone and under attack, the ratio of the two (target >= 0.5) and the
p99 latency under attack (target <= 100 ms), timed by wrk from a request's first byte
sent to its answer's last byte received, and the workers' CPU per GET alone (from
`/proc`, in 10 ms ticks over thousands of requests): what the buffer costs against the
plain sync worker, measured the same way under whatever else loads the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bench.installation import Installation, cpu_seconds, stop, wait_healthy
from bench.report import Figure
from bench.sizes import Size
from vertice_drivers.ports import free_port
from vertice_testing import wrk
from vertice_testing.server import children
from vertice_testing.slowloris import Slowloris

#: Slow connections held open during the attacked measurement.
SLOW_CLIENTS = 50


def run(size: Size) -> list[Figure]:
    """Both servers' rates alone and under attack, with the ratios and p99s."""
    if not wrk.available():
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    inst = Installation("sqlite")
    try:
        inst.declare(10)
        target = f"/v3/assembly/{inst.assembly_ids()[0]}"
        found: list[Figure] = []
        with inst.api() as url:
            server = inst.processes[-1].pid
            found += _measure("vertice", url, server, target, inst.token, size.api_seconds)
        with _sync_peer(inst) as (url, server):
            found += _measure("sync", url, server, target, inst.token, size.api_seconds)
        return found
    finally:
        inst.close()


def _measure(
    name: str, url: str, server: int, target: str, token: str, seconds: int
) -> list[Figure]:
    """`name`'s rate alone and under attack, their ratio and the attacked p99 (with
    targets for vertice; the sync peer is measured, not judged), and the workers' CPU
    per request alone (what the buffer costs, whatever else loads the machine)."""
    wrk.run(url + target, 1, token=token)  # warm up: both workers have served
    workers = children(server)
    cpu = sum(cpu_seconds(worker) for worker in workers)
    alone = wrk.run(url + target, seconds, token=token)
    cpu = sum(cpu_seconds(worker) for worker in workers) - cpu
    host, port = url.removeprefix("http://").split(":")
    with Slowloris(host, int(port), SLOW_CLIENTS):
        attacked = wrk.run(url + target, seconds, token=token)
    ours = name == "vertice"
    ratio = attacked.requests_per_second / max(alone.requests_per_second, 1e-9)
    under = f"{SLOW_CLIENTS} slow clients"
    found = [
        Figure(f"slowloris.{name}.alone_rps", alone.requests_per_second, "req/s",
               note="" if ours else "the peer: gunicorn's sync workers"),
        Figure(f"slowloris.{name}.cpu_us", cpu / max(alone.requests, 1) * 1e6, "us",
               note="worker CPU per GET, alone"),
        Figure(f"slowloris.{name}.attacked_rps", attacked.requests_per_second, "req/s",
               note=under),
        Figure(f"slowloris.{name}.ratio", ratio, "ratio", 0.5 if ours else None, op=">=",
               note="attacked to alone"),
        Figure(f"slowloris.{name}.attacked_p99", attacked.p99_ms, "ms",
               100.0 if ours else None, note=under),
    ]  # fmt: skip
    if ours:  # (wrk counts no error for the sync peer's stuck connections: it never got one)
        errors = attacked.errors + attacked.non_2xx
        found.append(Figure("slowloris.vertice.errors", errors, "requests", 0.0,
                            note="socket errors, timeouts (2 s), non-2xx"))  # fmt: skip
    return found


@contextmanager
def _sync_peer(inst: Installation) -> Iterator[tuple[str, int]]:
    """The installation's WSGI app under gunicorn's sync workers (two), on a free port:
    its URL and its master's pid."""
    url = f"http://127.0.0.1:{free_port()}"
    env = {**inst.env(), "PROMETHEUS_MULTIPROC_DIR": str(inst.home / "sync-metrics")}
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    log = (inst.home / "sync-peer.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "sync", "-w", "2", "--bind",
         url.removeprefix("http://"), "vertice_api.wsgi:application"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_healthy(url)
        yield url, process.pid
    finally:
        stop(process)
