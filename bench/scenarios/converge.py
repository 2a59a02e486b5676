"""`converge` and `idle`: many assemblies onto a slow sim region, then nothing changing.

Converge: N assemblies are declared (stored in one transaction) while one
`vertice reconcile` runs against a sim region with 100 ms API latency and 2 s
boot time; the figure is the time from that commit to all RUNNING. On SQLite the
reconciler also has an aws region on moto and a docker region on the Docker
Engine, an assembly RUNNING in each (`bench.clouds`), so that its memory is
measured with the SDK drivers loaded, as peak and after the idle window. Idle: the
same installation, left alone for a few resync periods; nothing should be
written and the sim cloud should only be listed.
"""

from __future__ import annotations

import math
import random
import time
from contextlib import closing

from bench.clouds import sdk_regions
from bench.installation import Installation, cpu_seconds, memory_mb
from bench.report import Figure
from bench.sizes import Size
from vertice_core.reconcile.settings import ReconcilerSettings

PAGE = 1000
#: Passes over a region, by region: the idle figures count the sim region's.
PASSES = "vertice_reconcile_passes_total"
#: The reconciler's default resync period (s): the full size's idle window resyncs at it.
DEFAULT_RESYNC = ReconcilerSettings().resync


def run(size: Size, engine: str) -> list[Figure]:
    """Converge on `engine`; on SQLite with the aws and docker drivers loaded too, each
    with a region and an assembly (`bench.clouds`), and the idle cost measured after."""
    with closing(Installation(engine)) as inst:
        if engine != "sqlite":
            return converge(inst, size, engine, 0)
        with sdk_regions(inst) as others:
            return converge(inst, size, engine, others)


def converge(inst: Installation, size: Size, engine: str, others: int) -> list[Figure]:
    """Declare `size.converge` sim assemblies, wait until they and `others` (already
    declared elsewhere) are RUNNING; the figures, and on SQLite the idle ones."""
    inst.configure_sim(latency=0.1, boot_time=2.0, page_size=PAGE, audit=True)
    process = inst.reconciler(resync=size.idle_resync, poll=0.5)
    n = size.converge
    statements0 = inst.metric("vertice_db_statements_total")
    cpu0 = cpu_seconds(process.pid)
    declared = inst.declare(n)
    done = inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == n + others, timeout=600)
    cpu1 = cpu_seconds(process.pid)
    statements = inst.metric("vertice_db_statements_total") - statements0
    calls = inst.sim_calls()
    describes = sum(count for verb, count in calls.items() if verb not in ("observe", "create"))
    prefix = f"converge.{engine}"
    loaded = "; aws (moto) and docker regions beside, an assembly each" if others else ""
    figures = [
        Figure(f"{prefix}.seconds", done - declared, "s", 15.0 if engine == "sqlite" else 20.0,
               note=f"{n} assemblies, 100 ms latency, 2 s boot"),
        Figure(f"{prefix}.cpu", cpu1 - cpu0, "s", note="reconciler CPU seconds"),
        Figure(f"{prefix}.peak_rss", memory_mb(process.pid, "VmHWM"), "MB",
               150.0 if others else 250.0, note=f"reconciler, start to all RUNNING{loaded}"),
        Figure(f"{prefix}.creates_per_assembly", calls["create"] / n, "calls", 1.0),
        Figure(f"{prefix}.other_calls_per_assembly", describes / n, "calls", 0.0,
               note="no per-assembly describe"),
        Figure(f"{prefix}.observe_pages", calls["observe"], "calls"),
        Figure(f"{prefix}.statements_per_assembly", statements / n, "statements"),
    ]  # fmt: skip
    if engine == "sqlite":
        figures += idle(inst, process.pid, size)
    return figures


def idle(inst: Installation, pid: int, size: Size) -> list[Figure]:
    """The cost of resyncs when nothing changes.

    The CPU is measured over a window that opens and closes at moments unrelated to
    the passes (a random fraction of a period after one), and turned into a cost per
    resync with the configured period: a window cut at pass boundaries would choose
    which passes and idle looks it holds. Database writes and cloud calls are counted
    over whole passes inside that window (a pass cut by it would count its calls
    without being counted itself)."""
    n = size.converge
    period = size.idle_resync
    time.sleep(period * 1.5)  # let the last transitions settle
    time.sleep(random.uniform(0, period))  # a start unrelated to the passes
    cpu0, opened = cpu_seconds(pid), time.monotonic()
    after_a_pass(inst, size)
    passes0 = inst.metric(PASSES, region="local")
    writes0 = inst.metric("vertice_db_statements_total", kind="write")
    calls0 = inst.sim_calls()
    time.sleep(period * (size.idle_periods - 2))
    after_a_pass(inst, size)
    passes = inst.metric(PASSES, region="local") - passes0
    writes = inst.metric("vertice_db_statements_total", kind="write") - writes0
    calls = inst.sim_calls() - calls0
    time.sleep(random.uniform(0, period))  # an end unrelated to the passes
    cpu, window = cpu_seconds(pid) - cpu0, time.monotonic() - opened
    resyncs = window / period
    whole = max(passes, 1)
    pages = math.ceil(n / PAGE)
    return [
        Figure("idle.cpu_per_assembly_per_resync", cpu / (n * resyncs) * 1e6, "us", 50.0,
               note=f"{n} assemblies, {window:.0f} s at a resync every {period:.0f} s"),
        Figure("idle.db_writes_per_resync", writes / whole, "statements", 0.0,
               note=f"over {whole:.0f} whole passes"),
        Figure("idle.cloud_calls_per_resync", sum(calls.values()) / whole, "calls",
               float(pages), note=f"observe pages: {pages} per resync"),
        Figure("idle.rss", memory_mb(pid), "MB", 150.0,
               note="the reconciler after the idle window, the same drivers loaded"),
        Figure("idle.rss_files", memory_mb(pid, "RssFile"), "MB",
               note="of idle.rss, the pages of mapped files (shared libraries' code and "
                    "data), not of the heap"),
        Figure("idle.core_share", cpu / window * 100, "%",
               note=f"{n} assemblies idle, a resync every {period:.0f} s"
                    + (" (the default)" if period == DEFAULT_RESYNC else "")),
    ]  # fmt: skip


def after_a_pass(inst: Installation, size: Size) -> None:
    """Return as soon as the reconciler finishes its next pass over the sim region."""
    done = inst.metric(PASSES, region="local")
    inst.wait_for(
        lambda: inst.metric(PASSES, region="local") > done,
        timeout=size.idle_resync * 3,
        interval=0.02,
    )
