"""The API's gunicorn master as a process of its own: `python -m vertice_api.master`.

`vertice serve --api-only` checks the settings and the database's schema, then
replaces itself with this (`serve.exec_api`), so that the master, and so every
worker forked from it, holds what serving needs and not the command line's
code. The settings come from the environment alone (`Config.from_env`): the
command put its flags and its configuration file there before it did.
"""

from __future__ import annotations

from vertice_api import serve
from vertice_core import logs
from vertice_core.config import Config


def main() -> None:
    """Serve the API until SIGTERM or Ctrl-C."""
    config = Config.from_env()
    logs.configure(config.server.log_level, config.server.log_format)
    serve.run_api(config)


if __name__ == "__main__":
    main()
