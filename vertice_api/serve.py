"""`vertice serve`: the API under gunicorn and exactly one reconciler beside it.

`run()` is a small supervisor with two children:

* the API: `vertice serve --api-only`, which checks the settings and the schema, then
  becomes a gunicorn master (`vertice_api.master`, `exec_api`) with its workers. The
  master imports the app's modules (`import_app_modules`); each worker builds its own
  `AppContext` after the fork (its engine, connections and metrics); workers never
  reconcile;
* the reconciler: `vertice reconcile --identity serve-...`, restarted (with a
  growing delay) whenever it dies. Its lease identity is stable for this
  installation and host, so a restarted reconciler takes over the assemblies
  its predecessor had claimed at once instead of waiting for the leases to
  expire: only one `vertice serve` may run per `VERTICE_HOME`.

SIGTERM or Ctrl-C stops both children cleanly; if the API dies, everything
stops and the exit status says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any, NoReturn

from gunicorn.app.base import BaseApplication

from vertice_api import shared, wire_errors
from vertice_core import logs, metrics_folder
from vertice_core.config import Config, ServerSettings

log = logging.getLogger("vertice.serve")

#: Seconds to wait for a child to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 20.0
#: Longest delay between two restarts of a reconciler that keeps dying.
MAX_RESTART_DELAY = 30.0


class ApiServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving `create_app(build_context(config))`.

    `load()` runs in each worker after the fork (no `preload_app`), so what the workers
    share is made here, in the master: the table of failed authentications and the
    generation of their token caches; and the app's modules are imported here, after
    `run_api` named the metrics folder (prometheus-client reads it as it is imported).
    """

    def __init__(self, config: Config, options: dict[str, Any]) -> None:
        self.config_obj = config
        self.options = options
        self.shared = shared.make()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)
        # In the master, before workers fork: gunicorn's own 400/414/431 answers are JSON.
        wire_errors.install()
        import_app_modules()

    def load(self) -> Any:
        from vertice_api.app import create_app
        from vertice_api.context import build_context

        return create_app(
            build_context(self.config_obj), self.shared.failures, self.shared.generation
        )


def import_app_modules() -> None:
    """Import, in the gunicorn master before it forks, the modules each worker imports to
    build its app, without building it: no engine, connection, thread or metric is made
    here, those stay each worker's (`ApiServer.load`). A worker then starts with those
    modules inherited instead of importing them anew: an idle worker measured 60.6-60.7 MB
    of RSS against 61.4-61.7 importing them itself (three runs each of `python -m bench
    --size quick footprint`), and the pages no worker writes stay shared with the master
    and the other workers."""
    import vertice_api.app
    import vertice_api.context  # noqa: F401


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook (and the supervisor's, for its reconciler): drop a dead
    worker's live gauges from the metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def gunicorn_options(
    bind: str, workers: int, server: ServerSettings | None = None
) -> dict[str, Any]:
    """The gunicorn settings of `vertice serve`; its logs as `server` says (default: text
    lines from INFO up, no access log), in vertice's format (`vertice_core.logs`)."""
    server = server or ServerSettings()
    return {
        "child_exit": _worker_exited,
        "bind": bind,
        "workers": workers,
        # Sync workers fed only with requests that arrived whole (vertice_api.worker),
        # one request per connection: with keep-alive, the first worker to accept takes
        # every connection of a client pool while the other idles (measured with wrk:
        # a third of the throughput).
        "worker_class": "vertice_api.worker.ApiWorker",
        "keepalive": 0,
        "accesslog": "-" if server.access_log else None,
        "errorlog": "-",
        "loglevel": server.log_level,
        "logger_class": "vertice_api.gunicorn_logger.ServeLogger",
        "logconfig_dict": logs.dict_config(
            server.log_level, server.log_format, access_log=server.access_log
        ),
        "proc_name": "vertice-api",
        "graceful_timeout": 10,
        # gunicorn >= 25.1 opens a control socket under ~/.gunicorn by default; not ours.
        "control_socket_disable": True,
    }


def exec_api(config: Config) -> NoReturn:
    """Become the API's gunicorn master (`vertice_api.master`), `config.server` given in the
    environment: `vertice serve --api-only` does, once its checks have passed.

    The workers fork from the master and start with everything it holds: run in the
    command's own process, the master also held the CLI (click and vertice's commands)
    and what the checks left behind (the schema's inspection), in every worker's RSS.
    Replaced by a process that imports only what serving needs, an idle worker measured
    60.0-60.2 MB against 60.7 (a probe making the requests of `python -m bench
    footprint`, two runs each).
    The process id stays the same: whoever started the command still has the master."""
    os.environ.update(config.server.environ())
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, python_module("vertice_api.master"))  # noqa: S606


def run_api(config: Config) -> None:
    """Serve the API alone (`config.server` says where and how) until SIGTERM or Ctrl-C."""
    made = metrics_folder.open_for_api(config)
    server = config.server
    try:
        ApiServer(config, gunicorn_options(server.bind, server.workers, server)).run()
    finally:
        metrics_folder.close_for_api(made)


def serve_identity(config: Config) -> str:
    """The lease identity of the reconciler that `vertice serve` runs for this home."""
    digest = hashlib.sha1(str(config.home).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"serve-{socket.gethostname()}-{digest}"


def python_module(module: str, *args: str) -> list[str]:
    """The command line running `module` with this Python, in safe-path mode (`-P`).

    `python -m` puts the working directory first on `sys.path`: the API master and
    `vertice serve`'s children, run that way, imported a `falcon.py`, `logging.py` or
    `vertice_api/` found where the operator started `vertice serve` instead of the
    installed module. `-P` (Python 3.11) leaves the working directory out."""
    return [sys.executable, "-P", "-m", module, *args]


def _cli(*args: str) -> list[str]:
    return python_module("vertice_api.cli", *args)


class Supervisor:
    """Runs the API and the reconciler as children and keeps the reconciler alive."""

    def __init__(self, config: Config) -> None:
        server = config.server
        logging_flags = ("--log-level", server.log_level, "--log-format", server.log_format)
        self.api_command = _cli(
            "serve", "--api-only", "--bind", server.bind, "--workers", str(server.workers),
            "--access-log" if server.access_log else "--no-access-log", *logging_flags,
        )  # fmt: skip
        self.reconciler_command = _cli(
            "reconcile", "--identity", serve_identity(config), *logging_flags
        )
        self.stopping = False
        self.restarts = 0

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the API and the reconciler", signum)
        self.stopping = True

    def run(self) -> int:
        """Supervise until a signal or the API's exit; return the exit status."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        api = subprocess.Popen(self.api_command)  # noqa: S603 -- our own interpreter and CLI
        reconciler = subprocess.Popen(self.reconciler_command)  # noqa: S603
        started = time.monotonic()
        next_restart = 0.0
        status = 0
        while not self.stopping:
            if api.poll() is not None:
                log.error("the API exited with status %s; stopping", api.returncode)
                status = api.returncode or 1
                break
            if reconciler.poll() is not None and time.monotonic() >= next_restart:
                if time.monotonic() - started > MAX_RESTART_DELAY * 2:
                    self.restarts = 0  # it ran for a while: not a crash loop
                delay = min(MAX_RESTART_DELAY, 2.0**self.restarts)
                log.warning(
                    "the reconciler exited with status %s; restarting it", reconciler.returncode
                )
                self.restarts += 1
                _worker_exited(None, reconciler)  # killed, it could not drop its own gauges
                next_restart = time.monotonic() + delay
                reconciler = subprocess.Popen(self.reconciler_command)  # noqa: S603
                started = time.monotonic()
            time.sleep(0.2)
        for child in (reconciler, api):
            _terminate(child)
        return status


def _terminate(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run(config: Config) -> int:
    """`vertice serve`: the API and one reconciler, until SIGTERM or Ctrl-C."""
    made = metrics_folder.open_for_api(config)  # inherited by both children
    try:
        return Supervisor(config).run()
    finally:
        metrics_folder.close_for_api(made)
