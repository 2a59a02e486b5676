"""The WSGI entry point gunicorn serves: `vertice_api.wsgi:application`.

Each gunicorn worker imports this module after forking, so each builds its
own engine and connection pool from the environment (`VERTICE_*`), and its own
count of failed authentications (`vertice_api.ratelimit`): served this way, each
worker allows `LIMIT` failures per key. `vertice serve` shares one count between
its workers (`vertice_api.serve.ApiServer`).
"""

from __future__ import annotations

from vertice_api.app import create_app
from vertice_api.context import build_context
from vertice_core.config import Config

application = create_app(build_context(Config.from_env()))
