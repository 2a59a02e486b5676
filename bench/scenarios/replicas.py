"""`replicas`: many instances per assembly, and scaling a fleet up and back down.

Converge: N assemblies of 10 replicas each (10 x N instances) are declared in
one transaction while one `vertice reconcile` runs against a sim region with
100 ms API latency and 2 s boot time; the figure is the time from that commit
to every assembly RUNNING (all its replicas running), on the same budget as
the same number of single-instance assemblies. Scale: M single-instance
assemblies, once RUNNING, are scaled to 5 replicas (one transaction, as PATCH
writes it) until the sim shows 5 x M instances running and every assembly
RUNNING, then back to 1 until it shows M; the sim's audit counts the creates
and deletes each step cost.
"""

from __future__ import annotations

from bench.installation import Installation, cpu_seconds, memory_mb
from bench.report import Figure
from bench.sizes import Size

PAGE = 1000


def run(size: Size, engine: str) -> list[Figure]:
    """Converge N x 10 instances on `engine` (and, on SQLite, scale M assemblies 1 → 5 → 1)."""
    figures = converge(size, engine)
    if engine == "sqlite":
        figures += scale(size)
    return figures


def _installation(engine: str) -> tuple[Installation, int]:
    inst = Installation(engine)
    inst.configure_sim(latency=0.1, boot_time=2.0, page_size=PAGE, audit=True)
    process = inst.reconciler(resync=10.0, poll=0.5)
    return inst, process.pid


def converge(size: Size, engine: str) -> list[Figure]:
    """N assemblies x R replicas, from the declaring commit to all RUNNING."""
    inst, pid = _installation(engine)
    try:
        n, r = size.replica_assemblies, size.replica_count
        cpu0 = cpu_seconds(pid)
        declared = inst.declare(n, prefix="r", replicas=r)
        done = inst.wait_for(
            lambda: inst.phases().get("RUNNING", 0) == n and inst.running_instances() == n * r,
            timeout=600,
        )
        cpu = cpu_seconds(pid) - cpu0
        calls = inst.sim_calls()
        others = sum(count for verb, count in calls.items() if verb not in ("observe", "create"))
        prefix = f"replicas.converge.{engine}"
        return [
            Figure(f"{prefix}.seconds", done - declared, "s", 15.0 if engine == "sqlite" else 20.0,
                   note=f"{n} assemblies x {r} replicas, 100 ms latency, 2 s boot"),
            Figure(f"{prefix}.cpu", cpu, "s", note="reconciler CPU seconds"),
            Figure(f"{prefix}.peak_rss", memory_mb(pid, "VmHWM"), "MB", 250.0),
            Figure(f"{prefix}.creates_per_instance", calls["create"] / (n * r), "calls", 1.0),
            Figure(f"{prefix}.other_calls", others, "calls", 0.0),
        ]  # fmt: skip
    finally:
        inst.close()


def scale(size: Size) -> list[Figure]:
    """M assemblies scaled 1 → 5 → 1, with the creates and deletes each step cost."""
    inst, _ = _installation("sqlite")
    try:
        m = size.scaled
        inst.declare(m, prefix="s")
        inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == m, timeout=600)
        before = inst.sim_calls()
        asked = inst.scale_all(5)
        up = inst.wait_for(
            lambda: inst.running_instances() == 5 * m and inst.phases().get("RUNNING", 0) == m,
            timeout=600,
        )
        middle = inst.sim_calls()
        asked_down = inst.scale_all(1)
        down = inst.wait_for(
            lambda: inst.live_instances() == m and inst.phases().get("RUNNING", 0) == m,
            timeout=600,
        )
        after = inst.sim_calls()
        return [
            Figure("replicas.scale_up.seconds", up - asked, "s",
                   note=f"{m} assemblies 1 -> 5 replicas, until all run"),
            Figure("replicas.scale_up.creates", middle["create"] - before["create"], "calls",
                   float(4 * m), "=="),
            Figure("replicas.scale_up.deletes", middle["delete"] - before["delete"], "calls", 0.0),
            Figure("replicas.scale_down.seconds", down - asked_down, "s",
                   note=f"{m} assemblies 5 -> 1, until the sim shows {m} instances"),
            Figure("replicas.scale_down.deletes", after["delete"] - middle["delete"], "calls",
                   float(4 * m), "=="),
            Figure("replicas.scale_down.creates", after["create"] - middle["create"], "calls", 0.0),
        ]  # fmt: skip
    finally:
        inst.close()
