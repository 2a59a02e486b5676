"""`placement`: N assemblies of R replicas spread over two regions, against one region.

Both runs use sim regions with 100 ms API latency and 2 s boot time and one
`vertice reconcile`. One region: the N x R instances in `local`. Spread: the
same assemblies declare `placement: spread` over `local` and `east` (another
account of the sim), so each region's pass plans its share of every assembly
and the status is merged from both. The figures time from the declaring
commit to every assembly RUNNING with R ready instances, and count the
creates (once per instance) and the writes of a few idle resyncs after (none:
a settled placed assembly costs no write in any region).
"""

from __future__ import annotations

import time
from typing import Any

from bench.installation import Installation, cpu_seconds
from bench.report import Figure
from bench.sizes import Size

PAGE = 1000
SIM = {"latency": 0.1, "boot_time": 2.0, "page_size": PAGE, "audit": True}
SPREAD: dict[str, Any] = {"policy": "spread", "regions": ["local", "east"]}


def run(size: Size) -> list[Figure]:
    """One region, then spread over two; on SQLite."""
    one = _converge(size, None)
    spread = _converge(size, SPREAD)
    n, r = size.replica_assemblies, size.replica_count
    return [
        Figure("placement.one_region.seconds", one[0], "s",
               note=f"{n} assemblies x {r} replicas in one sim region"),
        Figure("placement.spread.seconds", spread[0], "s",
               note="the same, spread over two sim regions (declare -> all RUNNING)"),
        Figure("placement.spread.ratio", spread[0] / one[0], "x",
               note="spread seconds / one-region seconds, same run"),
        Figure("placement.one_region.cpu", one[1], "s", note="reconciler CPU seconds"),
        Figure("placement.spread.cpu", spread[1], "s", note="reconciler CPU seconds"),
        Figure("placement.spread.creates_per_instance", spread[2], "calls", 1.0),
        Figure("placement.spread.idle_writes_per_resync", spread[3], "statements", 0.0,
               note="after converging, both regions' resyncs"),
    ]  # fmt: skip


def _converge(size: Size, placement: dict[str, Any] | None) -> tuple[float, float, float, float]:
    """`(seconds, CPU seconds, creates per instance, idle writes per pass)`."""
    inst = Installation("sqlite")
    try:
        inst.configure_sim(**SIM)
        inst.add_sim_region("east", **SIM)
        process = inst.reconciler(resync=size.idle_resync, poll=0.5)
        n, r = size.replica_assemblies, size.replica_count
        cpu0 = cpu_seconds(process.pid)
        declared = inst.declare(n, prefix="p", replicas=r, placement=placement)
        accounts = ("default", "east")

        def running() -> int:
            return sum(
                1 for a in accounts for row in inst.sim_instances(a) if row["state"] == "running"
            )

        done = inst.wait_for(
            lambda: running() == n * r and inst.phases().get("RUNNING", 0) == n, timeout=600
        )
        cpu = cpu_seconds(process.pid) - cpu0
        creates = sum(inst.sim_calls(a)["create"] for a in accounts)
        time.sleep(size.idle_resync * 1.5)  # the last statuses settle
        passes0 = inst.metric("vertice_reconcile_passes_total")
        writes0 = inst.metric("vertice_db_statements_total", kind="write")
        time.sleep(size.idle_resync * 2)
        passes = max(inst.metric("vertice_reconcile_passes_total") - passes0, 1)
        writes = inst.metric("vertice_db_statements_total", kind="write") - writes0
        return done - declared, cpu, creates / (n * r), writes / passes
    finally:
        inst.close()
