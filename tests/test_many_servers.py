"""Beyond one machine (issue 19): many API servers and reconcilers on one PostgreSQL.

Vertice's API servers are stateless and its reconcilers share the work through leases in
the database, so an operator may run several of each behind a load balancer. These tests
run that with real processes on the test's PostgreSQL database: three `vertice serve
--api-only` behind one real Caddy sending requests to each in turn; three `vertice
reconcile` sharing a few hundred assemblies, one of them killed (SIGKILL) mid-work; and a
token revoked through one server, which each other server refuses once its own token cache
has let it go. SQLite is the embedded one-machine default: skipped there.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from vertice_core.store.tables import AssemblyRow, LeaseRow
from vertice_testing.balancer import api_servers, balance, served
from vertice_testing.caddy import Caddy, caddy_binary
from vertice_testing.processes import reconciler_env, start_reconciler
from vertice_testing.server import assert_no_traceback
from vertice_testing.waiting import until

pytestmark = pytest.mark.slow

SERVERS = 3
IDENTITIES = ("r1", "r2", "r3")
#: Seconds a reconciler's lease lasts here (300 by default): a killed one's work waits
#: at most this long for the others.
LEASE_TTL = 3.0
#: Seconds an API worker caches a token's caller (`VERTICE_TOKEN_CACHE_SECONDS`, 5 by
#: default). A revocation empties the caches of the server that made it only: another
#: server's cached entry lives on until this long after it was cached.
TOKEN_CACHE = 2.0


@pytest.fixture
def postgresql(ctx):
    if ctx.store.dialect != "postgresql":
        pytest.skip("several servers share one PostgreSQL; SQLite is the embedded default")
    return ctx


@pytest.fixture
def balanced(postgresql, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """(the API servers' URLs, Caddy's URL in front of them)."""
    if caddy_binary() is None:
        pytest.skip("caddy is not installed (`make test` installs Debian's caddy)")
    caddy = Caddy(tmp_path / "caddy")
    env = {"VERTICE_TOKEN_CACHE_SECONDS": str(TOKEN_CACHE)}
    with api_servers(postgresql, tmp_path, SERVERS, env) as urls:
        caddy.start()
        try:
            yield urls, balance(caddy, urls)
        finally:
            caddy.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def declaration(name: str) -> dict[str, str]:
    return {"name": name, "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local",
            "flavor": "small"}  # fmt: skip


def test_caddy_spreads_requests_over_every_server_and_each_declaration_is_stored_once(
    ctx, alice, balanced
):
    urls, proxy = balanced
    names = [f"lb{i:02d}" for i in range(10 * SERVERS)]
    with httpx.Client(base_url=proxy, headers=bearer(alice.token), timeout=30) as api:
        for name in names:
            declared = api.post("/v3/assembly_factory", json=declaration(name))
            assert declared.status_code == 201, declared.text
        page = api.get("/v3/assembly_factory", params={"items_per_page": "100"}).json()
    # round robin: each server took its turn, counted by its own /metrics
    per_server = [served(url, "POST", "/v3/assembly_factory", 201) for url in urls]
    assert per_server == [10] * SERVERS
    assert sorted(item["name"] for item in page["items"]) == names
    with ctx.store.read() as session:
        stored = Counter(session.scalars(select(AssemblyRow.name)))
    assert stored == dict.fromkeys(names, 1)
    # (no traceback in any server's log: checked as each server stops)


def launched(log: Path) -> set[str]:
    """The assembly names a reconciler's log says it launched an instance of."""
    return set(re.findall(r"assembly (\S+) \(\S+\): launched instance", log.read_text()))


def live_leases(ctx, holder: str | None = None) -> dict[str, tuple[str, float]]:
    """{assembly id: (holder, expires_at)} of the leases held now (by `holder`)."""
    with ctx.store.read() as session:
        rows = session.execute(
            select(LeaseRow.assembly_id, LeaseRow.holder, LeaseRow.expires_at)
        ).all()
    now = time.time()
    return {i: (h, e) for i, h, e in rows if e > now and holder in (None, h)}


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def reconcilers(ctx, folder: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Three `vertice reconcile` of the test's installation, each logging to
    `folder/<identity>.log`, started and idle. (Start them after configuring the sim: a
    pass that read the region before a change acts with the driver it had.)"""
    env = reconciler_env(ctx, workers=32, lease_ttl=LEASE_TTL)
    logs = {name: folder / f"{name}.log" for name in IDENTITIES}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in IDENTITIES:
            with logs[name].open("wb") as log:
                processes[name] = start_reconciler(env, name, log)
        until(lambda: all("started" in logs[n].read_text() for n in IDENTITIES), "start", 60)
        yield processes
    finally:
        for process in processes.values():
            stop(process)
    for name in IDENTITIES:
        assert_no_traceback(logs[name].read_text(), name)


def one_instance_each(sim_cloud, count: int) -> None:
    """The cloud ever had exactly one instance per assembly, all running."""
    rows = list(sim_cloud.all_rows("default"))
    per_assembly = Counter(r["tags"]["vertice-assembly"] for r in rows)
    assert len(per_assembly) == count
    assert set(per_assembly.values()) == {1}, "an assembly got a second instance"
    assert {r["state"] for r in rows} == {"running"}


def test_running_reconcilers_share_the_assemblies_declared(
    postgresql, alice, configure_sim, phases, sim_cloud, tmp_path
):
    """Declared while all three run, 300 assemblies are launched by all three. (A backlog
    of 300 that is there when they start is not shared: the first pass over the region
    claims it in one batch of 500, `VERTICE_RECONCILE_BATCH`; a pass holds at most two
    batches at once, so a larger backlog is.)"""
    configure_sim(latency=0.05, boot_time=0.3, audit=True)
    with reconcilers(postgresql, tmp_path):
        for i in range(300):
            assert alice.declare(f"asm{i:03d}").status_code == 201
        until(lambda: phases() == {"RUNNING": 300}, "convergence", 180)
    shares = {name: launched(tmp_path / f"{name}.log") for name in IDENTITIES}
    assert sum(len(names) for names in shares.values()) == 300
    assert set().union(*shares.values()) == {f"asm{i:03d}" for i in range(300)}
    # each took a real share (measured: 54 to 150 of the 300 each)
    assert all(len(names) >= 30 for names in shares.values()), {
        name: len(names) for name, names in shares.items()
    }
    creates = Counter(t for verb, t in sim_cloud.audited("default") if verb == "create")
    assert set(creates.values()) == {1}, "some key was created by two reconcilers"
    one_instance_each(sim_cloud, 300)


def test_a_killed_reconcilers_assemblies_are_taken_over_within_the_lease_time(
    postgresql, alice, configure_sim, phases, sim_cloud, tmp_path
):
    configure_sim(latency=0.3, boot_time=0.3, audit=True)

    def busy_holder() -> str | None:  # one that holds leases now: its creates in flight
        held = Counter(holder for holder, _ in live_leases(postgresql).values())
        return next((h for h, n in held.most_common() if n >= 5), None)

    taken: dict[str, float] = {}

    def all_taken() -> bool:
        with postgresql.store.read() as session:
            rows = session.execute(
                select(LeaseRow.assembly_id, LeaseRow.holder).where(
                    LeaseRow.assembly_id.in_(orphaned)
                )
            ).all()
        now = time.time()
        taken.update({i: now for i, holder in rows if holder != victim and i not in taken})
        return len(taken) == len(orphaned)

    with reconcilers(postgresql, tmp_path) as running:
        for i in range(300):
            assert alice.declare(f"asm{i:03d}").status_code == 201
        victim = until(busy_holder, "a reconciler at work", 60, step=0.02)
        running[victim].kill()  # SIGKILL: no release, no status written
        killed_at = time.time()
        running[victim].wait()
        orphaned = live_leases(postgresql, victim)  # its leases nobody else may take yet
        assert orphaned, "the reconciler killed held no lease"
        until(all_taken, "the killed reconciler's assemblies taken over", 3 * LEASE_TTL, 0.05)
        until(lambda: phases() == {"RUNNING": 300}, "convergence", 180)
    # Each was taken within a pass or two of its lease's expiry. Measured: the last one
    # taken 2.4 to 3.2 s after the kill (its lease had 2.3 to 3.0 s left), 0.03 to 0.45 s
    # after it expired.
    assert max(taken.values()) - killed_at <= LEASE_TTL + 2.0
    one_instance_each(sim_cloud, 300)
    creates = Counter(t for verb, t in sim_cloud.audited("default") if verb == "create")
    assert len(creates) == 300
    # A key created twice is one the killed reconciler sent a create of (up to `workers`
    # of them were in flight) and its successor sent again: creates are idempotent on the
    # key, so the cloud made one instance (checked above).
    again = {key.rsplit("-", 1)[0] for key, n in creates.items() if n > 1}
    assert again <= set(orphaned), again


def test_a_token_revoked_on_one_server_is_refused_by_all_within_the_token_cache_time(
    alice, balanced
):
    urls, proxy = balanced
    made = httpx.post(f"{urls[0]}/v3/tokens", json={"name": "spare"},
                      headers=bearer(alice.token), timeout=10)  # fmt: skip
    assert made.status_code == 201, made.text
    spare, spare_id = made.json()["token"], made.json()["id"]

    def works(url: str) -> bool:
        answer = httpx.get(f"{url}/v3/projects", headers=bearer(spare), timeout=10)
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    assert all(works(url) for url in urls)  # every server caches the token's caller now
    revoking = time.monotonic()
    revoked = httpx.delete(f"{urls[0]}/v3/tokens/{spare_id}", headers=bearer(alice.token),
                           timeout=10)  # fmt: skip
    assert revoked.status_code == 204
    assert not works(urls[0])  # the server that revoked it forgot it at once
    delays = {}
    for url in urls[1:]:  # the others answer from their caches until the entry expires
        while True:
            sent = time.monotonic() - revoking
            if not works(url):
                break
            assert sent < TOKEN_CACHE, f"{url} still accepts it {sent:.2f} s after"
            time.sleep(0.05)
        delays[url] = sent
    # Measured with the default 5 s: first refused 4.9 to 5.2 s after the revocation.
    assert max(delays.values()) < TOKEN_CACHE + 1.0, delays
    assert not any(works(url) for url in [*urls, *[proxy] * SERVERS])
