"""`api`: requests per second and latency of the API against a bare Falcon app.

Every endpoint runs under gunicorn with two workers on 127.0.0.1 and is
driven by wrk (2 threads, 32 connections): (a) the bare app (`bench.bare`),
sent the same requests as (b) and (c) (the same wrk script picking a random id,
the same token header), so that wrk's own work per request is the same on both
sides of each ratio; (b) an authenticated `GET /v3/assembly/{id}` of an id
picked at random among all the stored assemblies each request (one of them has
two routes in front, which its document lists), (c) a page of the assembly
collection sorted by name, (d) `POST /v3/assembly_factory`. (b) to (d) run with
a reconciler beside the API (the sim cloud, every stored assembly RUNNING
first), as in production: its resyncs and the creates the POSTs bring share the
machine and the database. The workers' RSS is read after the GET and page runs
(the issue's "API worker RSS with 10,000 stored"; `footprint` has an idle one's).
The figures that matter are the ratios to (a), measured in the same run. Both
servers are up together and measured in rounds (`repeats`: 3 at full and quick
size): in each, the bare app's runs with the reconciler stopped (SIGSTOP), then
vertice's GETs and page with it running, back to back; a ratio is the median of
the rounds' ratios, a rate or latency is the run's with the median rate, and the
non-2xx responses of every run count. The POSTs run last, 3 times, since each
adds assemblies.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import attrs
import httpx

from bench.installation import Installation, memory_mb, stop
from bench.report import Figure
from bench.sizes import Size
from vertice_drivers.ports import free_port
from vertice_testing import wrk
from vertice_testing.server import children

#: Seconds of load, not measured, before the first figure of a server: both workers
#: have booted and every code path has run once (statement caches, token cache).
WARM_UP = 1
#: The page of the collection the page runs read.
PAGE = "/v3/assembly_factory?items_per_page=50&sort=%2Bname"


def run(size: Size) -> list[Figure]:
    """The four endpoints, their rates, latencies, ratios and errors."""
    if not wrk.available():
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    inst = Installation("sqlite")
    try:
        inst.declare(size.api_assemblies)
        ids = inst.assembly_ids()
        reads = wrk.get_script(inst.home / "get.lua", [f"/v3/assembly/{i}" for i in ids])
        routed = ids[len(ids) // 2]
        inst.declare_routes([(f"{h}.bench.test", routed) for h in "ab"], port=8080)
        reconciler = inst.reconciler()
        inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == len(ids), timeout=600)
        bare_url = f"http://127.0.0.1:{free_port()}"
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.bare", "--bind", bare_url.removeprefix("http://")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy_bare(bare_url)
            with inst.api() as url:
                wrk.run(f"{bare_url}/bare", WARM_UP)
                wrk.run(url, WARM_UP, token=inst.token, script=reads)
                rounds = [
                    Round.measure(size, inst, reconciler, bare_url, url, reads)
                    for _ in range(max(size.repeats, 1))
                ]
                # After every GET and page run, before the POSTs add assemblies.
                worker_rss, worker_files = max(
                    (memory_mb(pid), memory_mb(pid, "RssFile"))
                    for pid in children(inst.processes[-1].pid)
                )
                post = wrk.median_run(
                    url + "/v3/assembly_factory", size.api_seconds, size.repeats,
                    script=wrk.post_script(inst.home / "post.lua", inst.token),
                )  # fmt: skip
        finally:
            stop(bare)
        return [
            *figures(rounds, post),
            Figure("api.worker_rss", worker_rss, "MB", 60.0,
                   note=f"the larger of the two workers after the GET and page runs, "
                   f"{len(ids)} stored"),
            Figure("api.worker_rss_files", worker_files, "MB",
                   note="of api.worker_rss, the pages of mapped files (shared libraries' "
                        "code and data), not of the heap"),
        ]  # fmt: skip
    finally:
        inst.close()


@attrs.frozen
class Round:
    """One round of the bare app's runs and vertice's, back to back, so that the ratios
    compare runs a few seconds apart: the machine's speed drifts (other guests of the
    host), and measuring every bare run before every vertice run let that drift into
    the ratios (one commit measured 0.51 and 0.70 in two runs)."""

    bare: wrk.WrkResult  # the GETs' script and token header
    one_path: wrk.WrkResult  # the page's one path and the token header
    plain: wrk.WrkResult  # one path, no header, no script: the baseline until 2026-12-06
    item: wrk.WrkResult
    page: wrk.WrkResult

    @classmethod
    def measure(
        cls,
        size: Size,
        inst: Installation,
        reconciler: subprocess.Popen[bytes],
        bare_url: str,
        url: str,
        reads: Path,
    ) -> Round:
        """The bare app's three runs with the reconciler stopped (SIGSTOP: the bare app has
        the machine to itself, as it would alone), then vertice's two with it running."""
        seconds, token = size.api_seconds, inst.token
        os.killpg(reconciler.pid, signal.SIGSTOP)
        try:
            bare = wrk.run(bare_url, seconds, token=token, script=reads)
            one_path = wrk.run(f"{bare_url}/bare", seconds, token=token)
            plain = wrk.run(f"{bare_url}/bare", seconds)
        finally:
            os.killpg(reconciler.pid, signal.SIGCONT)
        item = wrk.run(url, seconds, token=token, script=reads)
        page = wrk.run(url + PAGE, seconds, token=token)
        return cls(bare, one_path, plain, item, page)


def wait_healthy_bare(url: str) -> None:
    """The bare app has no /healthz; its one route will do."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/bare", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(url)


def figures(rounds: list[Round], post: wrk.WrkResult) -> list[Figure]:
    """Rates and latencies of the runs with the median rate, and each ratio as the median
    of the rounds' ratios, to the bare app under the same load: the GETs' script for the
    item and the POSTs, the one path for the page."""

    def ratio(kind: str, base: str) -> float:
        rates: list[float] = [
            getattr(r, kind).requests_per_second / getattr(r, base).requests_per_second
            for r in rounds
        ]
        return statistics.median(rates)

    bare, one_path, plain, item, page = (
        wrk.median([getattr(r, kind) for r in rounds])
        for kind in ("bare", "one_path", "plain", "item", "page")
    )
    found = [
        Figure("api.bare.rps", bare.requests_per_second, "req/s",
               note="the GETs' requests: a random id each, the token header"),
        Figure("api.bare_one_path.rps", one_path.requests_per_second, "req/s",
               note="one path, the token header, no wrk script"),
        Figure("api.bare_plain.rps", plain.requests_per_second, "req/s",
               note="one path, no header, no script: the baseline until 2026-12-06"),
        Figure("api.get.plain_ratio", ratio("item", "plain"), "ratio",
               note="the GETs to that baseline"),
    ]  # fmt: skip
    for name, result, rate_ratio, ratio_target in (
        ("get", item, ratio("item", "bare"), 0.7),
        ("page", page, ratio("page", "one_path"), 0.25),
        ("post", post, post.requests_per_second / bare.requests_per_second, None),
    ):
        found += [
            Figure(f"api.{name}.rps", result.requests_per_second, "req/s"),
            Figure(f"api.{name}.ratio", rate_ratio, "ratio", ratio_target, op=">=",
                   note="to the bare app, same load, in the same round"
                   if name != "post" else "to the bare app's median, same load"),
            Figure(f"api.{name}.p50", result.p50_ms, "ms"),
            Figure(f"api.{name}.p99", result.p99_ms, "ms", 25.0 if name == "get" else None),
            Figure(f"api.{name}.non_2xx", result.non_2xx + result.errors, "responses", 0.0),
        ]  # fmt: skip
    return found
