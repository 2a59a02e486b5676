"""`routes`: N routes declared → all live in a real Caddy; the proxy's overhead by wrk.

Converge: a real Caddy (`vertice_testing.caddy.Caddy`: `caddy run` with its
admin API and listeners on reserved 127.0.0.1 ports) and a busybox `httpd`
run as a plain process on 127.0.0.1 (the bench cannot rely on a Docker Engine
running, so the upstream is not a container). N/10 single-instance assemblies
run on the sim region (`address: 127.0.0.1`, their plan publishing the httpd's
port, so each instance's published address is the httpd), brought to RUNNING
by a `vertice reconcile` process that is then stopped. N routes (plain HTTP,
10 per assembly, distinct hostnames) are stored through the route repository
in one transaction, as the API's declaration stores them. The route controller
then runs here, pass after pass with no wait between (what its runtime does
while routes are due), with the Caddy router on the Caddy.

Figures: seconds from the routes' commit to every route READY *and* Caddy's
configuration holding all N routes (read from its admin API after each pass);
a sample of hostnames is then requested through Caddy and must reach the
httpd. Admin API calls are counted from Caddy's own log (its `admin.api`
logger logs every request it receives), per pass: reads (`GET /config/`) and
writes, in the converging pass(es) and in five steady-state passes (nothing
changed: the most calls one of them made, and their median time).

Overhead: wrk (2 threads, 32 connections) for S seconds straight to the httpd,
then for S seconds through Caddy (one route's Host) to the same httpd, in the
same run; the ratio of the rates is the figure (through / direct).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import text
from vertice_router_caddy import ROUTER, CaddySettings
from vertice_router_caddy.translate import HTTP_SERVER, dig

from bench.installation import Installation, stop
from bench.report import Figure
from bench.sizes import Size
from vertice_core import builtins
from vertice_core.convert import make_converter, structure, unstructure
from vertice_core.crypto import SecretBox
from vertice_core.metrics import Metrics
from vertice_core.model.camp import Plan
from vertice_core.router import RouterConfig
from vertice_core.routing.controller import RouteController, RouterTarget
from vertice_core.store.repositories import PlanRepository
from vertice_drivers.ports import free_port
from vertice_testing import wrk
from vertice_testing.caddy import Caddy, caddy_binary

PLAN = "bench_httpd"
#: Routes per assembly.
FAN_IN = 10
#: Hostnames requested through Caddy once converged.
SAMPLE = 20
#: Steady-state passes after convergence (the median time and the most calls are shown).
STEADY = 5


def run(size: Size) -> list[Figure]:
    """Converge N routes into a real Caddy, then measure the proxy's overhead."""
    missing = [name for name in ("caddy", "busybox", "wrk") if shutil.which(name) is None]
    if missing or caddy_binary() is None:
        raise RuntimeError(f"not installed: {', '.join(missing)} (Debian packages)")
    inst = Installation("sqlite")
    caddy = Caddy(inst.home / "caddy")
    httpd: subprocess.Popen[bytes] | None = None
    try:
        caddy.start()
        httpd, port = start_httpd(inst.home / "www")
        figures, host = converge(inst, caddy, port, size)
        return figures + overhead(caddy, port, host, size)
    finally:
        if httpd is not None:
            stop(httpd)
        caddy.stop()
        inst.close()


def start_httpd(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    """busybox httpd in the foreground on a reserved 127.0.0.1 port, serving `root`."""
    root.mkdir()
    (root / "index.html").write_text("httpd\n")
    port = free_port()
    process = subprocess.Popen(
        ["busybox", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while status_of(port) != 200:
        if time.monotonic() > deadline or process.poll() is not None:
            stop(process)
            raise RuntimeError("busybox httpd did not answer")
        time.sleep(0.05)
    return process, port


def status_of(port: int) -> int:
    """The status of GET / straight to the httpd (0 when it does not answer)."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code
    except httpx.TransportError:
        return 0


def assemblies_on_the_httpd(inst: Installation, port: int, count: int) -> list[str]:
    """`count` assemblies RUNNING on the sim, each instance published at the httpd."""
    converter = make_converter()
    published = {"type": "org.megam.web::env", "http.port": str(port)}
    service = {"name": "web", "characteristics": [published]}
    document = {"name": PLAN, "camp_version": "1.2", "services": [service]}
    plan = structure(converter, document, Plan)
    with inst.store.write() as session:
        PlanRepository(session).add(name=PLAN, builtin=False, document=unstructure(converter, plan))
    inst.configure_sim(address="127.0.0.1")
    inst.declare(count, prefix="w", plan=PLAN)
    process = inst.reconciler(resync=5.0, poll=0.2)
    try:
        inst.wait_for(lambda: inst.phases().get("RUNNING", 0) == count, timeout=300)
    finally:
        stop(process)  # its own route controller has no router: it must not write routes
    return inst.assembly_ids()


def controller_on(inst: Installation, caddy: Caddy) -> RouteController:
    """The route controller with the Caddy router on `caddy`, as `vertice reconcile`
    builds it from VERTICE_ROUTER=caddy."""
    settings = CaddySettings(admin=caddy.admin_url, http_port=caddy.http_port,
                             https_port=caddy.https_port, listen_host="127.0.0.1")  # fmt: skip
    config = RouterConfig("default", "caddy", builtins.installation_id(inst.store), settings)
    router = ROUTER.load()(config)
    return RouteController(inst.store, target=RouterTarget("default", router),
                           converter=make_converter(), box=SecretBox(inst.key),
                           metrics=Metrics())  # fmt: skip


def ready(inst: Installation) -> int:
    """How many routes are READY."""
    with inst.store.connect() as connection:
        found = connection.execute(text("SELECT count(*) FROM routes WHERE phase = 'READY'"))
        return int(found.scalar_one())


def served(caddy: Caddy) -> int:
    """How many routes Caddy's live configuration holds in vertice's HTTP server."""
    routes = dig(caddy.config(), ("apps", "http", "servers", HTTP_SERVER, "routes"))
    return len(routes) if isinstance(routes, list) else 0


def one_pass(controller: RouteController, caddy: Caddy) -> tuple[float, Counter[str]]:
    """A pass: its seconds and the admin API calls Caddy logged during it, by kind."""
    before = len(caddy.admin_requests())
    started = time.perf_counter()
    result = controller.run_target("default")
    seconds = time.perf_counter() - started
    if result.error:
        raise RuntimeError(f"the route pass failed: {result.error}")
    calls = Counter("read" if (m, u) == ("GET", "/config/") else "write"
                    for m, u in caddy.admin_requests()[before:])  # fmt: skip
    return seconds, calls


def converge(inst: Installation, caddy: Caddy, port: int, size: Size) -> tuple[list[Figure], str]:
    """Declare N routes, run passes until all are READY and in Caddy; one more pass idle."""
    n = size.routes
    assemblies = assemblies_on_the_httpd(inst, port, max(1, n // FAN_IN))
    hosts = [f"r{i:05d}.bench.test" for i in range(n)]
    controller = controller_on(inst, caddy)
    try:
        declared = inst.declare_routes(
            [(h, assemblies[i % len(assemblies)]) for i, h in enumerate(hosts)], port=port
        )
        converging: list[tuple[float, Counter[str]]] = []
        while not (ready(inst) == n and served(caddy) == n):
            if time.monotonic() - declared > 600:
                raise TimeoutError(f"{ready(inst)} of {n} routes READY after 600 s")
            converging.append(one_pass(controller, caddy))
        done = time.monotonic()
        for host in random.Random(0).sample(hosts, min(SAMPLE, n)):
            status, body = caddy.request(host, "/")
            if (status, body) != (200, "httpd\n"):
                raise RuntimeError(f"{host} through Caddy: {status} {body[:80]!r}")
        steady = [one_pass(controller, caddy) for _ in range(STEADY)]
    finally:
        controller.close()
    reads = sum(c["read"] for _, c in converging)
    writes = sum(c["write"] for _, c in converging)
    passes = len(converging)
    note = f"{n} routes over {len(assemblies)} assemblies, tls off"
    return [
        Figure("routes.converge.seconds", done - declared, "s",
               note=f"{note}: routes' commit to all READY and in Caddy's config"),
        Figure("routes.converge.passes", passes, "passes"),
        Figure("routes.converge.config_reads", reads, "calls",
               note=f"GET /config/ in the {passes} converging pass(es), Caddy's log"),
        Figure("routes.converge.writes", writes, "calls", note="admin writes, same passes"),
        Figure("routes.steady.config_reads", max(c["read"] for _, c in steady), "calls",
               note=f"the most in one of {STEADY} passes with nothing to change"),
        Figure("routes.steady.writes", max(c["write"] for _, c in steady), "calls",
               note="the most in one of those passes"),
        Figure("routes.steady.pass_seconds", statistics.median(t for t, _ in steady), "s",
               note=f"median of those passes over {n} routes"),
    ], hosts[0]  # fmt: skip


def overhead(caddy: Caddy, port: int, host: str, size: Size) -> list[Figure]:
    """wrk straight to the httpd, then through Caddy to it (same run, same settings)."""
    seconds = size.proxy_seconds
    direct = wrk.run(f"http://127.0.0.1:{port}/", seconds)
    proxied = wrk.run(f"http://127.0.0.1:{caddy.http_port}/", seconds, headers=[f"Host: {host}"])
    upstream = "busybox httpd as a plain process (not a container)"
    return [
        Figure("routes.direct.rps", direct.requests_per_second, "req/s", note=upstream),
        Figure("routes.direct.p50", direct.p50_ms, "ms"),
        Figure("routes.direct.p99", direct.p99_ms, "ms"),
        Figure("routes.proxied.rps", proxied.requests_per_second, "req/s",
               note="through Caddy to the same httpd"),
        Figure("routes.proxied.p50", proxied.p50_ms, "ms"),
        Figure("routes.proxied.p99", proxied.p99_ms, "ms"),
        Figure("routes.proxied.ratio", proxied.requests_per_second / direct.requests_per_second,
               "ratio", note=f"through Caddy / direct, wrk {seconds}s each, 2 threads, 32 conns"),
        Figure("routes.non_2xx", direct.non_2xx + direct.errors + proxied.non_2xx + proxied.errors,
               "responses"),
    ]  # fmt: skip
