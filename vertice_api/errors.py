"""Domain errors to HTTP, in one place, and one JSON shape for every error.

Every error body is `{"title": ..., "description": ...}`; a 422 adds
`"problems": [{"path": "$.name", "message": ...}, ...]`.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from vertice_core import errors

log = logging.getLogger("vertice.api")

STATUS = {
    errors.NotFound: falcon.HTTP_404,
    errors.Conflict: falcon.HTTP_409,
    errors.BadRequest: falcon.HTTP_400,
    errors.Forbidden: falcon.HTTP_403,
    errors.PreconditionFailed: falcon.HTTP_412,
    errors.InvalidInput: falcon.HTTP_422,
    errors.ConfigurationError: falcon.HTTP_500,
}


def handle_vertice_error(
    req: falcon.Request, resp: falcon.Response, exc: errors.VerticeError, _params: Any
) -> None:
    """Answer a domain error with its status and a JSON body."""
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), falcon.HTTP_400)
    body: dict[str, Any] = {"title": exc.title, "description": exc.description}
    if isinstance(exc, errors.InvalidInput):
        body["problems"] = [p.as_dict() for p in exc.problems]
    if status == falcon.HTTP_500:
        log.error("%s %s: %s", req.method, req.path, exc.description)
    resp.status = status
    resp.media = body


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, exc: Exception, _params: Any
) -> None:
    """A bug: log it with its traceback, answer a 500 that reveals nothing."""
    if isinstance(exc, falcon.HTTPError):
        raise exc
    log.exception("unhandled error on %s %s", req.method, req.path)
    resp.status = falcon.HTTP_500
    resp.media = {
        "title": "Internal server error",
        "description": "the server failed to handle the request; the error is logged",
    }


def serialize_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    """Falcon's own errors (404 route, 405, 415...) in the same JSON shape, always JSON."""
    body = {"title": exc.title or "Error", "description": exc.description or exc.title or ""}
    resp.content_type = falcon.MEDIA_JSON
    resp.media = body


def install(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    """Register the handlers on `app`."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(errors.VerticeError, handle_vertice_error)
    app.set_error_serializer(serialize_error)
