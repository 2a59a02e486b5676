"""`footprint`: memory of an idle API worker and reconciler, CLI start-up, SDK imports."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import httpx

from bench.installation import Installation, cpu_seconds, memory_mb
from bench.report import Figure, median_of
from bench.sizes import Size
from vertice_testing.server import children

SDKS = ("boto3", "botocore", "azure", "google", "SoftLayer", "pyone", "docker")


def run(size: Size) -> list[Figure]:
    """RSS of an idle API worker and reconciler, `vertice --help` time, SDK imports."""
    inst = Installation("sqlite")
    try:
        with inst.api() as url:
            for path in ("/healthz", "/v3/regions", "/v3/assembly_factory"):
                for _ in range(20):
                    httpx.get(url + path, headers={"Authorization": f"Bearer {inst.token}"})
            master = inst.processes[-1].pid
            workers = children(master)
            worker_rss = max(memory_mb(pid) for pid in workers)
        reconciler = inst.reconciler()
        time.sleep(2)
        reconciler_rss = memory_mb(reconciler.pid)
        cpu0, started = cpu_seconds(reconciler.pid), time.monotonic()
        time.sleep(max(2.0, size.idle_resync * 2))
        idle_cpu = (cpu_seconds(reconciler.pid) - cpu0) / (time.monotonic() - started)
        help_seconds = median_of(max(3, size.repeats), _help_time)
        sdk = _sdk_imports(inst)
        return [
            Figure("footprint.api_worker_rss", worker_rss, "MB", 60.0, note="idle gunicorn worker"),
            Figure("footprint.reconciler_rss", reconciler_rss, "MB", 80.0, note="idle, sim region"),
            Figure("footprint.reconciler_idle_cpu", idle_cpu * 100, "%",
                   note="a reconciler with no assembly: its nine controllers' looks for "
                        "due work"),
            Figure("footprint.cli_help", help_seconds * 1000, "ms", 300.0,
                   note="wall time of `vertice --help`"),
            Figure("footprint.sdk_imports", len(sdk), "modules", 0.0,
                   note=", ".join(sdk) or "API, CLI and sim reconciler import no cloud SDK"),
        ]  # fmt: skip
    finally:
        inst.close()


def _help_time() -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "vertice_api.cli", "--help"], capture_output=True, check=True
    )
    return time.monotonic() - started


def _sdk_imports(inst: Installation) -> list[str]:
    """Cloud SDK modules loaded by the CLI's help, an API worker's requests and a sim pass."""
    script = textwrap.dedent(
        """
        import json, sys
        import falcon.testing
        from vertice_api.app import create_app
        from vertice_api.cli import main
        from vertice_api.context import build_context
        from vertice_core.config import Config
        from vertice_core.reconcile.main import build
        try:
            main(["--help"])
        except SystemExit:
            pass
        config = Config.from_env()
        client = falcon.testing.TestClient(create_app(build_context(config)))
        for path in ("/healthz", "/v3/regions", "/v3/drivers", "/metrics"):
            client.simulate_get(path)
        reconciler = build(config)
        reconciler.run_pass()
        reconciler.close()
        print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
        """
    )
    env = inst.env()
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    return sorted(loaded & set(SDKS))
