"""`vertice serve`: the API under gunicorn.

gunicorn is driven through its `BaseApplication` API, so the configuration
lives here and each worker builds its own `AppContext` (engine, pool) after
the fork.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from vertice_core.config import Config


class ApiServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving `create_app(build_context(config))`."""

    def __init__(self, config: Config, options: dict[str, Any]) -> None:
        self.config_obj = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from vertice_api.app import create_app
        from vertice_api.context import build_context

        return create_app(build_context(self.config_obj))


def gunicorn_options(bind: str, workers: int) -> dict[str, Any]:
    """The gunicorn settings of `vertice serve`."""
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "vertice-api",
        "graceful_timeout": 10,
        # gunicorn >= 25.1 opens a control socket under ~/.gunicorn by default; not ours.
        "control_socket_disable": True,
    }


def run(config: Config, *, bind: str, workers: int) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    ApiServer(config, gunicorn_options(bind, workers)).run()
