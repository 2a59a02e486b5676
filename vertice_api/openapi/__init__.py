"""The OpenAPI 3.1 document of the API, served at `/v3/openapi.json`.

Kept true by `tests/api/test_openapi.py` (every route of `app.routes` is
documented with its methods, and nothing else) and by the schemathesis run
against the real server (`tests/api/test_schemathesis.py`).
"""

from vertice_api.openapi._document import document

__all__ = ["document"]
