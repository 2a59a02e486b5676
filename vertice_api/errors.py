"""Domain errors to HTTP, in one place, and one JSON shape for every error.

Every error body is `{"title": ..., "description": ...}`; a 422 adds
`"problems": [{"path": "$.name", "message": ...}, ...]`. A database out of reach
(`Unavailable`: down, restarting) is a 503 with a `Retry-After`, one whose disk is full
(`StorageFull`) a 507 with one; each is logged as a warning
without a traceback: an outage to wait out, not a bug. A domain error this table does
not know, and any other exception, is a bug: it is logged with its traceback and the
request's id (the client's `X-Request-ID`, else a new one, sent back in that header)
and answered with a 500 that reveals nothing else.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import falcon

from vertice_core import errors

log = logging.getLogger("vertice.api")

#: The HTTP status of each domain error (the first class an error is an instance of wins).
STATUS: dict[type[errors.VerticeError], str] = {
    errors.NotFound: falcon.HTTP_404,
    errors.Conflict: falcon.HTTP_409,
    errors.Forbidden: falcon.HTTP_403,
    errors.Unauthenticated: falcon.HTTP_401,
    errors.StaleVersion: falcon.HTTP_412,
    errors.InvalidInput: falcon.HTTP_422,
    errors.MalformedInput: falcon.HTTP_400,
    errors.StorageFull: falcon.HTTP_507,
    errors.Unavailable: falcon.HTTP_503,
}

REQUEST_ID = "X-Request-ID"
#: What a client's request id may look like to be logged and sent back as is.
_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(req: falcon.Request) -> str:
    """The client's `X-Request-ID` when it is a plain token, else a new random one."""
    given = req.get_header(REQUEST_ID)
    if given and _REQUEST_ID_PATTERN.fullmatch(given):
        return given
    return uuid.uuid4().hex


def status_of(exc: errors.VerticeError) -> str | None:
    """The HTTP status line of a domain error (`404 Not Found`...), None for one the table
    does not know (a bug)."""
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), None)


def error_body(exc: errors.VerticeError) -> dict[str, Any]:
    """The JSON error document of a domain error: title, description, and a 422's problems."""
    body: dict[str, Any] = {"title": exc.title, "description": exc.description}
    if isinstance(exc, errors.InvalidInput):
        body["problems"] = [p.as_dict() for p in exc.problems]
    return body


def handle_vertice_error(
    req: falcon.Request, resp: falcon.Response, exc: errors.VerticeError, params: Any
) -> None:
    """Answer a domain error with its status and a JSON body (a bug if it has none)."""
    status = status_of(exc)
    if status is None:
        handle_unexpected(req, resp, exc, params)
        return
    body = error_body(exc)
    if isinstance(exc, errors.Unavailable):
        log.warning("%s %s answered %s: %s", req.method, req.path, status[:3], exc.description)
        resp.set_header("Retry-After", str(exc.retry_after))
    resp.status = status
    resp.media = body


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, exc: Exception, _params: Any
) -> None:
    """A bug: log it with its traceback and the request id, answer a 500 that reveals nothing."""
    if isinstance(exc, falcon.HTTPError):
        raise exc
    rid = request_id(req)
    log.error(
        "unhandled error on %s %s (request id %s)",
        req.method,
        req.path,
        rid,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    resp.status = falcon.HTTP_500
    resp.set_header(REQUEST_ID, rid)
    resp.media = {
        "title": "Internal server error",
        "description": f"the server failed to handle the request; the error is logged "
        f"with request id {rid}",
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
