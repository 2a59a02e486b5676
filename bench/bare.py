"""The baseline of the API benchmark: a bare Falcon app under the same gunicorn settings.

`python -m bench.bare --bind 127.0.0.1:PORT` serves a fixed small JSON body, with
exactly the options `vertice serve` uses, at `/bare` and at `/v3/assembly/{id}` (any id):
the API benchmark sends the bare app the very requests it sends vertice (the same wrk
script, the same token header), so that the load generator's own cost is the same on
both sides of the ratio.
"""

from __future__ import annotations

import argparse
from typing import Any

import falcon
from gunicorn.app.base import BaseApplication

from vertice_api.serve import gunicorn_options


class Fixed:
    """Answers every GET with the same small document."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, **_params: str) -> None:
        resp.media = {"uri": "/bare", "name": "bare", "status": "RUNNING"}


class BareServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving the bare app."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and key != "child_exit":
                self.cfg.set(key, value)

    def load(self) -> Any:
        app = falcon.App()
        app.add_route("/bare", Fixed())
        app.add_route("/v3/assembly/{assembly_id}", Fixed())
        return app


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    BareServer(gunicorn_options(args.bind, args.workers)).run()


if __name__ == "__main__":
    main()
