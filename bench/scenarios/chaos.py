"""`chaos`: convergence with 30 % transient errors, 10 % ghost deletes, 10 % stops.

N assemblies are declared in a faulty sim region and must all run; then a
tenth is deleted. After two resync periods no ghost may remain (a live
instance whose assembly is gone), and no assembly may ever have had two
instances.
"""

from __future__ import annotations

import time
from collections import Counter

from bench.installation import Installation
from bench.report import Figure
from bench.sizes import Size
from vertice_core.store.repositories import AssemblyRepository


def run(size: Size) -> list[Figure]:
    """Converge under injected faults; count ghosts and duplicates."""
    inst = Installation("sqlite")
    try:
        inst.configure_sim(
            transient_error_rate=0.3, ghost_delete_rate=0.1, spontaneous_stop_rate=0.1,
            boot_time=0.5, latency=0.02,
        )  # fmt: skip
        # Backoff capped at two resyncs, 5 s at most (the full size): the tiny size
        # converges in seconds, not in backoff waits.
        inst.reconciler(
            resync=size.chaos_resync, poll=0.5, backoff_cap=min(5.0, 2 * size.chaos_resync)
        )
        n = size.chaos
        declared = inst.declare(n)
        done = inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == n, timeout=900)
        doomed = _delete_a_tenth(inst)
        inst.wait_for(lambda: sum(inst.phases().values()) == n - doomed, timeout=900)
        time.sleep(2 * size.chaos_resync)
        live = [r for r in inst.sim_instances() if r["state"] != "terminated"]
        with inst.store.read() as session:
            kept = {row.id for row in AssemblyRepository(session).page(None, limit=10**7).rows}
        ghosts = sum(1 for r in live if r["tags"].get("vertice-assembly") not in kept)
        per_assembly = Counter(r["tags"].get("vertice-assembly") for r in inst.sim_instances())
        duplicates = sum(count - 1 for count in per_assembly.values() if count > 1)
        return [
            Figure("chaos.seconds", done - declared, "s",
                   note=f"{n} assemblies, 30% transient, 10% ghost deletes, 10% stops"),
            Figure("chaos.ghosts_left", ghosts, "instances", 0.0, note="after two resyncs"),
            Figure("chaos.duplicate_instances", duplicates, "instances", 0.0),
        ]  # fmt: skip
    finally:
        inst.close()


def _delete_a_tenth(inst: Installation) -> int:
    with inst.store.write() as session:
        assemblies = AssemblyRepository(session)
        rows = assemblies.page(None, limit=10**7).rows
        doomed = rows[: max(1, len(rows) // 10)]
        for row in doomed:
            assemblies.change_spec(row.id, row.generation, desired_state="deleted")
    return len(doomed)
