"""Reconcilers as real processes: killed at random moments, and two side by side."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter

import pytest

from vertice_testing.processes import reconciler_env, start_reconciler
from vertice_testing.server import assert_no_traceback
from vertice_testing.waiting import until

pytestmark = pytest.mark.slow


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def declare_many(api, count: int) -> None:
    for i in range(count):
        assert api.declare(f"asm{i:03d}").status_code == 201


def test_sigkill_20_times_while_300_converge(ctx, alice, configure_sim, phases, sim_cloud):
    configure_sim(latency=0.1, boot_time=0.2)
    declare_many(alice, 300)
    env = reconciler_env(ctx, workers=4)
    rng = random.Random(3)
    for _ in range(20):
        process = start_reconciler(env, "crashy")
        time.sleep(rng.uniform(0.5, 1.5))
        process.kill()  # SIGKILL: no chance to finish anything
        process.wait()
    final = start_reconciler(env, "crashy")
    try:
        until(lambda: phases() == {"RUNNING": 300}, "convergence", 180)
    finally:
        stop(final)
    rows = list(sim_cloud.all_rows("default"))
    per_assembly = Counter(r["tags"]["vertice-assembly"] for r in rows)
    assert len(per_assembly) == 300
    assert set(per_assembly.values()) == {1}, "an assembly got a second instance"
    assert {r["state"] for r in rows} == {"running"}


@pytest.mark.parametrize("isolation", [None, "serializable"])
def test_two_reconcilers_on_postgresql_never_create_twice(
    ctx, alice, configure_sim, phases, sim_cloud, tmp_path, isolation
):
    """Also with every transaction SERIALIZABLE, as on CockroachDB: PostgreSQL then rolls
    back some of the two reconcilers' transactions (SQLSTATE 40001), and each such pass
    is run again after a backoff, with one log line and no traceback (issue 19)."""
    if ctx.store.dialect != "postgresql":
        pytest.skip("several reconcilers share one PostgreSQL; SQLite is the embedded default")
    configure_sim(latency=0.02, audit=True)
    declare_many(alice, 300)
    env = reconciler_env(ctx, workers=16)
    if isolation:
        env["VERTICE_DATABASE_URL"] += f"?options=-c%20default_transaction_isolation%3D{isolation}"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with logs[0].open("wb") as one, logs[1].open("wb") as two:
        processes = [start_reconciler(env, "first", one), start_reconciler(env, "second", two)]
        try:
            until(lambda: phases() == {"RUNNING": 300}, "convergence", 180)
        finally:
            for process in processes:
                stop(process)
    creates = Counter(target for verb, target in sim_cloud.audited("default") if verb == "create")
    assert len(creates) == 300
    assert set(creates.values()) == {1}, "some key was created by both reconcilers"
    assert len(list(sim_cloud.all_rows("default"))) == 300
    text = "".join(log.read_text() for log in logs)
    assert_no_traceback(text, "the reconcilers")
    print(f"\n{isolation}: passes rolled back and run again: {text.count('SQLSTATE 40001')}")


def test_sigkill_during_a_scale_up_leaves_no_duplicate_and_no_gap(
    ctx, alice, configure_sim, phases, sim_cloud
):
    from vertice_core.reconcile.plan import instance_key

    configure_sim(latency=0.1, boot_time=0.2)
    uris = [alice.declare(f"asm{i:02d}").headers["location"] for i in range(30)]
    env = reconciler_env(ctx, workers=4)
    first = start_reconciler(env, "crashy")
    try:
        until(lambda: phases() == {"RUNNING": 30}, "convergence", 120)
    finally:
        stop(first)
    for uri in uris:
        alice.replace(uri, "/replicas", 5)
    rng = random.Random(5)
    for _ in range(8):
        process = start_reconciler(env, "crashy")
        time.sleep(rng.uniform(0.5, 1.5))
        process.kill()  # SIGKILL in the middle of the scale-up
        process.wait()

    def running() -> list[dict]:
        return [r for r in sim_cloud.all_rows("default") if r["state"] == "running"]

    final = start_reconciler(env, "crashy")
    try:
        until(lambda: phases() == {"RUNNING": 30} and len(running()) == 150, "convergence", 180)
    finally:
        stop(final)
    live = [r for r in sim_cloud.all_rows("default") if r["state"] != "terminated"]
    keys = Counter(r["tags"]["vertice-key"] for r in live)
    assert set(keys.values()) == {1}, "a key got a second instance"
    expected = {
        instance_key(uri.rsplit("/", 1)[1], 1, ordinal) for uri in uris for ordinal in range(5)
    }
    assert set(keys) == expected, "an ordinal is missing or one was replaced needlessly"


def test_two_reconcilers_placing_across_two_regions_never_create_twice(
    ctx, admin, alice, configure_sim, sim_cloud
):
    """Each region's passes of both processes plan the same assemblies: the leases and the
    re-read before acting keep every key created once, in the region its row names."""
    if ctx.store.dialect != "postgresql":
        pytest.skip("several reconcilers share one PostgreSQL; SQLite is the embedded default")
    configure_sim(latency=0.02, audit=True)
    east = {"name": "east", "cloud_type": "sim",
            "settings": {"account": "east", "latency": 0.02, "audit": True}}  # fmt: skip
    assert admin.post("/v3/regions", east).status_code == 201
    placement = {"policy": "spread", "regions": ["local", "east"]}
    for i in range(40):
        declared = alice.declare(f"asm{i:03d}", replicas=3, placement=placement)
        assert declared.status_code == 201, declared.json
    env = reconciler_env(ctx, workers=16)
    processes = [start_reconciler(env, "first"), start_reconciler(env, "second")]

    def ready() -> bool:
        page = alice.get("/v3/assembly_factory", params={"items_per_page": "100"}).json
        return all(alice.status(i["uri"]).get("ready_replicas") == 3 for i in page["items"])

    try:
        until(ready, "convergence", 180)
    finally:
        for process in processes:
            stop(process)
    page = alice.get("/v3/assembly_factory", params={"items_per_page": "100"}).json
    placed = {
        i["key"]: i["region"]
        for item in page["items"]
        for i in alice.status(item["uri"])["instances"]
    }
    for account, region, expected in (("default", "local", 80), ("east", "east", 40)):
        creates = Counter(t for verb, t in sim_cloud.audited(account) if verb == "create")
        assert len(creates) == expected, account
        assert set(creates.values()) == {1}, f"some key was created twice in {account}"
        live = {r["key"] for r in sim_cloud.all_rows(account) if r["state"] != "terminated"}
        assert live == {key for key, where in placed.items() if where == region}
