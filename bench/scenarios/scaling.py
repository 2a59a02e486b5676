"""`scaling`: more reconcilers on one PostgreSQL, more API servers behind one Caddy.

Issue 19 (beyond one machine) says the work of one database can be shared by
several processes: reconcilers through per-assembly leases, API servers
through a load balancer. This measures what adding them buys, on this machine.

Reconcilers: for K = 1, 2 and 4, a fresh PostgreSQL database (dropped after)
with R sim regions (each its own sim account, 100 ms API latency, 2 s boot
time) and K `vertice reconcile` processes with distinct identities, each
having made a first pass; R x N assemblies (N homed in each region) are then
stored in one transaction. The figure times that commit to every assembly
RUNNING (polled every 0.25 s). Speed-ups are t1/t2 and t1/t4 of the same run;
on a machine with fewer cores than K the processes share them, which bounds the
speed-up (the core count is a figure). Each process's own metrics files tell
its creates: the busiest one's share shows how evenly the leases split the work.

API: many assemblies stored on PostgreSQL; wrk (2 threads, 32 connections, a
Lua script cycling over every assembly id) sends `GET /v3/assembly/{id}`
through a real Caddy (configured through its admin API's `/load`) to one
`vertice serve --api-only` (2 workers), then to two of them (round_robin).
Each server keeps its metrics in its own folder, so the share each served is
counted from its side. Everything listens on reserved 127.0.0.1 ports.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client.multiprocess import MultiProcessCollector

from bench.installation import Installation, cpu_seconds
from bench.report import Figure
from bench.sizes import Size
from vertice_testing import wrk
from vertice_testing.balancer import balance
from vertice_testing.caddy import Caddy, caddy_binary

SIM = {"latency": 0.1, "boot_time": 2.0, "page_size": 1000}
RECONCILERS = (1, 2, 4)
#: Seconds of load, not measured, before each API figure (workers booted, caches warm).
WARM_UP = 1
#: wrk's script: every request GETs the next id of the file, each thread from its own start.
GET_SCRIPT = """
local ids = {}
for line in io.lines("IDS") do ids[#ids + 1] = line end
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("start", threads * 7919)
end
function init(args) counter = start or 0 end
function request()
  counter = counter + 1
  return wrk.format("GET", "/v3/assembly/" .. ids[counter % #ids + 1])
end
"""


def run(size: Size) -> list[Figure]:
    """Reconcilers 1, 2, 4 on PostgreSQL; then the API through Caddy to 1 and 2 servers."""
    missing = [name for name in ("caddy", "wrk") if shutil.which(name) is None]
    if missing or caddy_binary() is None:
        raise RuntimeError(f"not installed: {', '.join(missing)} (Debian packages)")
    return reconcilers(size) + api(size)


def reconcilers(size: Size) -> list[Figure]:
    """Converge R x N assemblies with 1, 2 and 4 reconcilers; each on a fresh database."""
    r, n = size.scaling_regions, size.scaling_assemblies
    cores = os.cpu_count() or 1
    figures, seconds = [], {}
    for k in RECONCILERS:
        took, cpu, creates = converge(k, r, n)
        seconds[k] = took
        prefix = f"scaling.reconcile.r{k}"
        figures += [
            Figure(f"{prefix}.seconds", took, "s",
                   note=f"{r} regions x {n} assemblies, {k} reconciler(s) on PostgreSQL: "
                        "the declaring commit to all RUNNING"),
            Figure(f"{prefix}.cpu", cpu, "s", note="CPU seconds of all reconcilers, same span"),
        ]  # fmt: skip
        if k > 1:
            each = ", ".join(f"{c:.0f}" for c in creates)
            note = f"creates by the busiest reconciler / all (even: {1 / k:.2g}); each: {each}"
            share = max(creates) / max(sum(creates), 1.0)
            figures.append(Figure(f"{prefix}.busiest_share", share, "ratio", note=note))
    for k in RECONCILERS[1:]:
        figures.append(Figure(f"scaling.reconcile.speedup_r{k}", seconds[1] / seconds[k], "x",
                              note=f"t1/t{k}; at most min({k}, {cores} cores) by CPU"))  # fmt: skip
    figures.append(Figure("scaling.cores", cores, "cores", note="os.cpu_count() of this machine"))
    return figures


def converge(k: int, regions: int, per_region: int) -> tuple[float, float, list[float]]:
    """`(seconds, CPU seconds of all reconcilers, the creates of each)`."""
    inst = Installation("postgresql")
    try:
        inst.configure_sim(**SIM)
        names = ["local"] + [f"region{i:02d}" for i in range(1, regions)]
        for name in names[1:]:
            inst.add_sim_region(name, **SIM)
        processes = [inst.reconciler(f"bench-{i}", resync=10.0, poll=0.5) for i in range(k)]
        cpu0 = sum(cpu_seconds(p.pid) for p in processes)
        total = regions * per_region
        declared = inst.declare(total, prefix="s", regions=names)
        done = inst.wait_for(
            lambda: inst.phases().get("RUNNING", 0) == total,
            timeout=max(600.0, total * 0.1),
            interval=0.25,
        )
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu0
        creates = [inst.metric("vertice_driver_calls_total", pid=p.pid, verb="create")
                   for p in processes]  # fmt: skip
        return done - declared, cpu, creates
    finally:
        inst.close()


def api(size: Size) -> list[Figure]:
    """wrk through Caddy to one API server, then to two (round robin)."""
    inst = Installation("postgresql")
    caddy = Caddy(inst.home / "caddy")
    try:
        caddy.start()
        inst.declare(size.api_assemblies, prefix="g")
        ids = inst.home / "ids.txt"
        ids.write_text("\n".join(inst.assembly_ids()) + "\n")
        script = inst.home / "get.lua"
        script.write_text(GET_SCRIPT.replace("IDS", str(ids)))
        second = inst.home / "metrics-second"
        second.mkdir()
        through = f"http://127.0.0.1:{caddy.http_port}/"
        with inst.api() as first_url:
            balance(caddy, [first_url])
            one = measure(through, script, inst.token, size)
            env = inst.env() | {"PROMETHEUS_MULTIPROC_DIR": str(second)}
            with inst.api(env=env) as second_url:
                balance(caddy, [first_url, second_url])
                before = served(inst.metrics_dir), served(second)
                two = measure(through, script, inst.token, size)
                shares = served(inst.metrics_dir) - before[0], served(second) - before[1]
    finally:
        caddy.stop()
        inst.close()
    note = f"{size.api_assemblies} ids, wrk 2 threads 32 conns {size.api_seconds}s"
    return [
        Figure("scaling.api.one.rps", one.requests_per_second, "req/s",
               note=f"GET /v3/assembly/{{id}} through Caddy to 1 server (2 workers), {note}"),
        Figure("scaling.api.one.p99", one.p99_ms, "ms"),
        Figure("scaling.api.two.rps", two.requests_per_second, "req/s",
               note="the same through Caddy round_robin to 2 servers (2 workers each)"),
        Figure("scaling.api.two.p99", two.p99_ms, "ms"),
        Figure("scaling.api.ratio", two.requests_per_second / one.requests_per_second, "x",
               note=f"two / one; bounded by {os.cpu_count()} cores shared with Caddy and wrk"),
        Figure("scaling.api.two.balance", min(shares) / max(*shares, 1.0), "ratio",
               note=f"requests served by the less busy server / the busier ({shares[0]:.0f}, "
                    f"{shares[1]:.0f}), warm-up included, from each one's metrics"),
        Figure("scaling.api.non_2xx", one.non_2xx + one.errors + two.non_2xx + two.errors,
               "responses", 0.0, note="non-2xx answers and socket errors, every run"),
    ]  # fmt: skip


def measure(url: str, script: Path, token: str, size: Size) -> wrk.WrkResult:
    """A warm-up, then the median of `repeats` wrk runs of the GET script."""
    wrk.run(url, WARM_UP, token=token, script=script)
    return wrk.median_run(url, size.api_seconds, size.repeats, token=token, script=script)


def served(folder: Path) -> float:
    """HTTP requests the API processes whose metrics are in `folder` have served."""
    files = [str(f) for f in folder.glob("*.db")]
    return sum(
        sample.value
        for family in MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        for sample in family.samples
        if sample.name == "vertice_http_requests_total"
    )
