"""The WSGI entry point gunicorn serves: `vertice_api.wsgi:application`.

Each gunicorn worker imports this module after forking, so each builds its
own engine and connection pool from the environment (`VERTICE_*`). Under the
configuration `vertice_api.gunicorn_conf`, the workers share the count of failed
authentications and the token caches' generation its master made
(`vertice_api.shared`); under another, each worker counts alone: each allows
`LIMIT` failures per key (`vertice_api.ratelimit`).
"""

from __future__ import annotations

from vertice_api import shared
from vertice_api.app import create_app
from vertice_api.context import build_context
from vertice_core.config import Config

_shared = shared.inherited()
application = create_app(
    build_context(Config.from_env()),
    _shared.failures if _shared else None,
    _shared.generation if _shared else None,
)
