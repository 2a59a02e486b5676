"""pyhello: the one-click catalog's Python web application (WSGI, served by gunicorn).

Built by vertice's Python recipe into `localhost/vertice-app-pyhello` (see
`vertice_driver_docker.appimages`); listens on `$PORT` (8080). It answers:

* `GET /`: `200 text/plain`, a greeting: `Hello from pyhello, vertice's Python one-click
  application!` (and the host name of the container).
* `GET /healthz`: `200 ok`.
* `GET /db`: only with `$DATABASE_URL` set (`postgresql://USER:PASSWORD@HOST:PORT/DB`, the
  user and password percent-encoded; `postgres://` also accepted), else `503` with a JSON
  `{"error": "DATABASE_URL is not set"}`. Connects with pg8000 (pure Python; scram-sha-256
  and md5 logins), creates the table `pyhello_notes (id serial, text, created)` if it is
  missing, runs `SELECT id, text, created FROM pyhello_notes ORDER BY id` and answers
  `200 application/json`: `{"database": DB, "rows": [{"id": 1, "text": "...",
  "created": "2026-...+00:00"}, ...]}`.
* `POST /db?text=...` (or the text as the request's body, UTF-8, at most 4096 characters):
  the same table made if missing, the row inserted; `201` with `{"id": N, "text": "..."}`.
  No text: `400`.
* The database unreachable, or refusing the login: `503` with `{"error": "..."}` (the
  driver's message, which never holds the password); a malformed `DATABASE_URL`: `500`.
  Every request opens its own connection (10 s timeout) and closes it: a database that
  comes up later, or restarts, is used as soon as it answers.
* Anything else: `404`; another method: `405`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

Start = Callable[[str, list[tuple[str, str]]], Any]

GREETING = "Hello from pyhello, vertice's Python one-click application!"
TABLE = "pyhello_notes"
MAX_TEXT = 4096
CONNECT_TIMEOUT = 10


class Problem(Exception):
    """An answer other than success: its status and message."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def application(environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
    """The WSGI entry point."""
    path = environ.get("PATH_INFO") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    try:
        if path == "/":
            _only(method, "GET")
            return _text(start_response, "200 OK", f"{GREETING} ({socket.gethostname()})\n")
        if path == "/healthz":
            _only(method, "GET")
            return _text(start_response, "200 OK", "ok\n")
        if path == "/db":
            _only(method, "GET", "POST")
            if method == "POST":
                return _json(start_response, "201 Created", _insert(_note(environ)))
            return _json(start_response, "200 OK", _select())
        raise Problem("404 Not Found", f"no such path: {path}")
    except Problem as problem:
        return _json(start_response, problem.status, {"error": problem.message})


def _only(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise Problem("405 Method Not Allowed", f"{method} is not allowed here")


def _note(environ: dict[str, Any]) -> str:
    query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING") or ""))
    text = (query.get("text") or [""])[0]
    if not text:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > 0:
            body = environ["wsgi.input"].read(min(length, MAX_TEXT * 4))
            text = bytes(body).decode("utf-8", "replace")
    if not text:
        raise Problem("400 Bad Request", "no text: POST /db?text=... or the text as the body")
    return text[:MAX_TEXT]


def _connect() -> tuple[Any, str]:
    """A pg8000 connection to `$DATABASE_URL`'s database, and the database's name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise Problem("503 Service Unavailable", "DATABASE_URL is not set")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise Problem("500 Internal Server Error", "DATABASE_URL is not a postgresql:// URL")
    try:
        port = parts.port or 5432
    except ValueError:
        raise Problem("500 Internal Server Error", "DATABASE_URL has an invalid port") from None
    database = urllib.parse.unquote(parts.path.lstrip("/")) or "postgres"
    native = importlib.import_module("pg8000.native")
    try:
        connection = native.Connection(
            user=urllib.parse.unquote(parts.username or "postgres"),
            password=urllib.parse.unquote(parts.password or ""),
            host=parts.hostname,
            port=port,
            database=database,
            timeout=CONNECT_TIMEOUT,
        )
    except Exception as exc:  # the driver's errors, and the network's
        raise Problem("503 Service Unavailable", f"cannot connect: {_message(exc)}") from None
    return connection, database


def _message(exc: Exception) -> str:
    """What went wrong, without the URL (a password never appears in the driver's errors)."""
    first = exc.args[0] if exc.args else exc
    if isinstance(first, dict):  # pg8000's DatabaseError: the server's fields
        return str(first.get("M") or first)
    return f"{type(exc).__name__}: {first}"


def _run(work: Callable[[Any], Any]) -> Any:
    connection, database = _connect()
    try:
        _create_table(connection)
        return database, work(connection)
    except Problem:
        raise
    except Exception as exc:
        raise Problem("503 Service Unavailable", f"the query failed: {_message(exc)}") from None
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection
            connection.close()


def _create_table(connection: Any) -> None:
    """The table, made if missing. Two sessions making it at once: one of them fails with
    a unique violation (23505) or "already exists" (42P07) although the table is there."""
    try:
        connection.run(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, text text NOT NULL,"
            " created timestamptz NOT NULL DEFAULT now())"
        )
    except Exception as exc:
        fields = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        if fields.get("C") not in ("23505", "42P07"):
            raise


def _select() -> dict[str, Any]:
    database, rows = _run(
        lambda connection: connection.run(
            f"SELECT id, text, created FROM {TABLE} ORDER BY id"  # noqa: S608 -- a constant
        )
    )
    found = [{"id": i, "text": t, "created": c.isoformat()} for i, t, c in rows]
    return {"database": database, "rows": found}


def _insert(text: str) -> dict[str, Any]:
    _, rows = _run(
        lambda connection: connection.run(
            f"INSERT INTO {TABLE} (text) VALUES (:text) RETURNING id",  # noqa: S608 -- a constant
            text=text,
        )
    )
    return {"id": rows[0][0], "text": text}


def _text(start_response: Start, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _json(start_response: Start, status: str, document: dict[str, Any]) -> list[bytes]:
    data = (json.dumps(document) + "\n").encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
