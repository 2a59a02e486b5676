"""`failover`: how long writes stop when the database fails over (issue 19).

A real PostgreSQL primary with a synchronous streaming standby
(`vertice_testing.pgcluster`), and `vertice serve` (gunicorn and a reconciler) given
both hosts in one URL with `target_session_attrs=read-write`. A client declares
assemblies one after the other (a 503 is waited out as briefly as 50 ms, a lost
connection tried again); the primary is killed with SIGKILL and the standby promoted
at once (`pg_ctl promote -w`). Timed from the kill: until the promotion returned, and
until the first declaration stored again (its 201 received). What a failover manager
adds before it promotes (with Patroni's defaults, up to its 30 s leader TTL) comes on
top of both.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.report import Figure
from bench.sizes import Size
from vertice_testing.pgcluster import PgPair
from vertice_testing.server import running_server

#: Declarations acknowledged before the kill.
BEFORE = 20


def run(size: Size) -> list[Figure]:
    """`size.repeats` failovers, each on a new pair of servers; the medians."""
    runs = [_failover() for _ in range(size.repeats)]
    promoted = statistics.median(r[0] for r in runs)
    written = statistics.median(r[1] for r in runs)
    refused = statistics.median(r[2] for r in runs)
    return [
        Figure("failover.promote_seconds", promoted, "s",
               note=f"SIGKILL of the primary to `pg_ctl promote -w` returned "
                    f"(median of {len(runs)})"),
        Figure("failover.write_gap_seconds", written, "s",
               note="SIGKILL of the primary to the 201 of the first declaration sent after it"),
        Figure("failover.503_answers", refused, "answers",
               note="503s (with Retry-After) the declaring client waited out; 500s: none allowed"),
        Figure("failover.500_answers", max(r[3] for r in runs), "answers", 0),
    ]  # fmt: skip


def _failover() -> tuple[float, float, int, int]:
    """One failover: seconds to promoted, seconds to the first write, 503s and 500s seen."""
    pair = PgPair()
    try:
        pair.start()
        pair.psql(pair.primary, "CREATE DATABASE vertice")
        home = Path(tempfile.mkdtemp(prefix="vertice-bench-failover-"))
        with running_server(home, extra_env={"VERTICE_DATABASE_URL": pair.url("vertice")}) as srv:
            return _measure(pair, srv.url, srv.token)
    finally:
        pair.close()


def _measure(pair: PgPair, url: str, token: str) -> tuple[float, float, int, int]:
    #: (sent, answered) of each declaration stored.
    stored: list[tuple[float, float]] = []
    answers: dict[int, int] = {}
    stop = threading.Event()

    def declare() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as api:  # fmt: skip
            i = 0
            while not stop.is_set():
                body = {"name": f"fo{i:05d}", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                        "region": "local", "flavor": "small"}  # fmt: skip
                sent = time.monotonic()
                try:
                    status = api.post("/v3/assembly_factory", json=body).status_code
                except httpx.TransportError:
                    continue
                answers[status] = answers.get(status, 0) + 1
                if status in (201, 409):  # 409: stored by a try whose answer was lost
                    stored.append((sent, time.monotonic()))
                    i += 1
                elif status == 503:
                    time.sleep(0.05)

    client = threading.Thread(target=declare)
    client.start()
    try:
        while len(stored) < BEFORE:
            time.sleep(0.01)
        pair.kill_primary()
        killed = time.monotonic()
        pair.promote()
        promoted = time.monotonic() - killed
        # A declaration in flight at the kill may have committed (and reached the standby)
        # just before it: the gap ends with one sent after the kill.
        while not stored or stored[-1][0] <= killed:
            time.sleep(0.01)
        written = next(answered for sent, answered in stored if sent > killed) - killed
    finally:
        stop.set()
        client.join(timeout=60)
    return promoted, written, answers.get(503, 0), answers.get(500, 0)
