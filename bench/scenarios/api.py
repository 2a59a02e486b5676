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
machine and the database. The figures that matter are the ratios to (a),
measured in the same run. Each endpoint runs `repeats` times (3 at full and
quick size); the run with the median rate gives the figures, and non-2xx
responses of every run count.
"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from bench.installation import Installation, stop
from bench.report import Figure
from bench.sizes import Size
from vertice_drivers.ports import free_port
from vertice_testing import wrk

#: Seconds of load, not measured, before the first figure of a server: both workers
#: have booted and every code path has run once (statement caches, token cache).
WARM_UP = 1


def run(size: Size) -> list[Figure]:
    """The four endpoints, their rates, latencies, ratios and errors."""
    if not wrk.available():
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    inst = Installation("sqlite")
    try:
        inst.declare(size.api_assemblies)
        ids = inst.assembly_ids()
        reads = wrk.get_script(inst.home / "get.lua", [f"/v3/assembly/{i}" for i in ids])
        bare_url = f"http://127.0.0.1:{free_port()}"
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.bare", "--bind", bare_url.removeprefix("http://")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy_bare(bare_url)
            wrk.run(f"{bare_url}/bare", WARM_UP)
            # The bare app gets the very requests vertice gets: the GETs' script (a
            # random id each request) and the token header, then the page's one path.
            baseline = wrk.median_run(bare_url, size.api_seconds, size.repeats,
                                      token=inst.token, script=reads)  # fmt: skip
            one_path = wrk.median_run(
                f"{bare_url}/bare", size.api_seconds, size.repeats, token=inst.token
            )
            # What the baseline was before 2026-12-06's evening: no script, no header.
            plain = wrk.median_run(f"{bare_url}/bare", size.api_seconds, size.repeats)
        finally:
            stop(bare)
        routed = ids[len(ids) // 2]
        inst.declare_routes([(f"{h}.bench.test", routed) for h in "ab"], port=8080)
        inst.reconciler()
        inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == len(ids), timeout=600)
        script = wrk.post_script(inst.home / "post.lua", inst.token)
        with inst.api() as url:
            wrk.run(url, WARM_UP, token=inst.token, script=reads)
            item = wrk.median_run(url, size.api_seconds, size.repeats, token=inst.token,
                                  script=reads)  # fmt: skip
            page = wrk.median_run(
                url + "/v3/assembly_factory?items_per_page=50&sort=%2Bname",
                size.api_seconds, size.repeats, token=inst.token,
            )  # fmt: skip
            post = wrk.median_run(
                url + "/v3/assembly_factory", size.api_seconds, size.repeats, script=script
            )
        return figures(baseline, one_path, item, page, post, plain)
    finally:
        inst.close()


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


def figures(
    bare: wrk.WrkResult,
    one_path: wrk.WrkResult,
    item: wrk.WrkResult,
    page: wrk.WrkResult,
    post: wrk.WrkResult,
    plain: wrk.WrkResult,
) -> list[Figure]:
    """Rates, latencies and ratios of the four endpoints, each to the bare app under the
    same load: the GETs' script for the item and the POSTs, the one path for the page."""
    found = [
        Figure("api.bare.rps", bare.requests_per_second, "req/s",
               note="the GETs' requests: a random id each, the token header"),
        Figure("api.bare_one_path.rps", one_path.requests_per_second, "req/s",
               note="one path, the token header, no wrk script"),
        Figure("api.bare_plain.rps", plain.requests_per_second, "req/s",
               note="one path, no header, no script: the baseline until 2026-12-06"),
        Figure("api.get.plain_ratio", item.requests_per_second / plain.requests_per_second,
               "ratio", note="the GETs to that baseline"),
    ]  # fmt: skip
    for name, result, base, ratio_target in (
        ("get", item, bare, 0.7),
        ("page", page, one_path, 0.25),
        ("post", post, bare, None),
    ):
        found += [
            Figure(f"api.{name}.rps", result.requests_per_second, "req/s"),
            Figure(f"api.{name}.ratio", result.requests_per_second / base.requests_per_second,
                   "ratio", ratio_target, op=">=", note="to the bare app, same load"),
            Figure(f"api.{name}.p50", result.p50_ms, "ms"),
            Figure(f"api.{name}.p99", result.p99_ms, "ms", 25.0 if name == "get" else None),
            Figure(f"api.{name}.non_2xx", result.non_2xx + result.errors, "responses", 0.0),
        ]  # fmt: skip
    return found
