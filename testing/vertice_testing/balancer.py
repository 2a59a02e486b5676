"""Several stateless API servers on one database, behind one real Caddy, for tests.

`api_servers(ctx, folder, count)` starts `count` `vertice serve --api-only` processes on
free ports of 127.0.0.1, all on the database and secret key of the test's installation
`ctx`, each with a home of its own as if on a machine of its own: its own metrics folder,
so each server's `/metrics` counts its own requests alone. Each runs one gunicorn worker,
so each has one token cache. They are stopped at the end, and a traceback in any server's
log fails the test. `balance(caddy, upstreams)` loads into a running `Caddy` one HTTP
server on its reserved HTTP port that sends requests to the upstreams in turn
(`round_robin`). `served(url, method, route, status)` reads one request counter from a
server's `/metrics`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from vertice_drivers.ports import free_port
from vertice_testing.caddy import Caddy
from vertice_testing.server import assert_no_traceback, stop_group, vertice_command
from vertice_testing.waiting import until_answers

__all__ = ["api_servers", "balance", "served"]


@contextmanager
def _api_server(ctx: Any, home: Path, extra_env: dict[str, str]) -> Iterator[str]:
    """One `vertice serve --api-only` of `ctx`'s database with its own `home`; its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
    (home / "metrics").mkdir(parents=True)
    env.update(
        VERTICE_HOME=str(home),
        VERTICE_DATABASE_URL=ctx.config.database_url,
        VERTICE_SECRET_KEY=ctx.config.secret_key,
        PROMETHEUS_MULTIPROC_DIR=str(home / "metrics"),  # not /dev/shm: it goes with home
    )
    env.update(extra_env)
    bind = f"127.0.0.1:{free_port()}"
    log = home / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(vertice_command()), "serve", "--api-only", "--bind", bind, "--workers", "1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        until_answers(f"http://{bind}/healthz", process, log, f"the API server on {bind}")
        yield f"http://{bind}"
    finally:
        stop_group(process)
    assert_no_traceback(log.read_text(), f"the API server on {bind}")


@contextmanager
def api_servers(
    ctx: Any, folder: Path, count: int, env: dict[str, str] | None = None
) -> Iterator[list[str]]:
    """`count` API servers of `ctx`'s database (homes under `folder`, more variables in
    `env`); their URLs."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(_api_server(ctx, folder / f"api{n}", env or {}))
            for n in range(count)
        ]


def balance(caddy: Caddy, upstreams: list[str]) -> str:
    """Have `caddy` serve its HTTP port as a round-robin proxy of `upstreams`; its URL."""
    proxy = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": url.removeprefix("http://")} for url in upstreams],
        "load_balancing": {"selection_policy": {"policy": "round_robin"}},
    }
    server = {
        "listen": [f"127.0.0.1:{caddy.http_port}"],
        "automatic_https": {"disable": True},
        "routes": [{"handle": [proxy]}],
    }
    config = {**caddy.empty_config(), "apps": {"http": {"servers": {"balancer": server}}}}
    httpx.post(f"{caddy.admin_url}/load", json=config, timeout=10).raise_for_status()
    return f"http://127.0.0.1:{caddy.http_port}"


def served(url: str, method: str, route: str, status: int) -> int:
    """How many `method` requests to `route` the server at `url` answered with `status`."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    wanted = {"method": method, "route": route, "status": str(status)}
    return sum(
        int(sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == "vertice_http_requests"
        for sample in family.samples
        if sample.name.endswith("_total") and wanted.items() <= sample.labels.items()
    )
