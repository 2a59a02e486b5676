"""gunicorn's configuration for the API under an operator's own gunicorn:

    gunicorn -c python:vertice_api.gunicorn_conf vertice_api.wsgi:application

Its settings are those of `vertice serve` (`vertice_api.serve.gunicorn_options`: the
worker class that buffers slow clients, no keep-alive, `child_exit` dropping a dead
worker's live gauges, the logs as `VERTICE_LOG_*` and `VERTICE_ACCESS_LOG` say), on
`VERTICE_BIND` with `VERTICE_WORKERS` workers (`Config.server`, read as `vertice serve`
reads it; gunicorn's own `--bind` and `--workers` still win).

Its `on_starting` hook does in the master, before the workers fork, what `vertice
serve` does there, and every worker inherits it:

* the installation's folder for the metrics in `PROMETHEUS_MULTIPROC_DIR`
  (`vertice_core.metrics_folder.open_for_api`): each worker writes its values there, so
  does a `vertice reconcile` of the same `VERTICE_HOME` on this machine, and `/metrics`
  sums them all, whichever worker answers (without it each worker answered with its own
  counts, and the reconciler's were missing). The files of processes that have ended are
  removed; a running reconciler's stay. prometheus-client reads the variable when it is
  first imported: the master must not import it before this hook (it does not: the
  app's modules are imported at the hook's end);
* gunicorn's own error answers in the API's JSON shape (`wire_errors.install`);
* the failure table and cache generation the workers share (`vertice_api.shared`);
* the app's modules, imported but not built (`serve.import_app_modules`): each worker
  starts with them instead of importing them anew.

`on_exit` removes the metrics files of the processes that have ended (its workers).
gunicorn imports the module by name (`python:`), and a worker's `vertice_api.wsgi` finds
what the master made in the modules it inherited: settings of one's own go on gunicorn's
command line (or in `GUNICORN_CMD_ARGS`) rather than in a copy of this file, which would
stop following `vertice serve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vertice_api import serve, shared, wire_errors
from vertice_core import metrics_folder
from vertice_core.config import Config

_SERVER = Config.from_env().server
globals().update(serve.gunicorn_options(_SERVER.bind, _SERVER.workers, _SERVER))

#: The metrics folder `on_starting` claimed (None: the environment named one).
_metrics_folder: Path | None = None


def on_starting(_server: Any) -> None:
    """gunicorn's hook in the master before the workers start (see the module)."""
    global _metrics_folder  # noqa: PLW0603 -- the master's one folder, tidied at exit
    _metrics_folder = metrics_folder.open_for_api(Config.from_env())
    wire_errors.install()
    shared.make()
    serve.import_app_modules()  # last: prometheus-client reads the folder as it is imported


def on_exit(_server: Any) -> None:
    """gunicorn's hook as the master exits: remove its ended workers' metrics files."""
    metrics_folder.close_for_api(_metrics_folder)  # as `vertice serve` does at exit
