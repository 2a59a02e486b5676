"""gunicorn's logger as `vertice serve` runs it: its lines in vertice's format.

`vertice serve` hands gunicorn `vertice_core.logs.dict_config` as its
`logconfig_dict`, so its error and access logs use vertice's formatter. With a
`logconfig_dict` gunicorn builds every request's access line, whether or not a
handler takes it; this logger builds them only when the access log is on
(gunicorn's `accesslog` set), as gunicorn does without one.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


class ServeLogger(Logger):  # type: ignore[misc]
    """gunicorn's `Logger`, its access lines only when `accesslog` is set."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Log the request, if the access log is on."""
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)
