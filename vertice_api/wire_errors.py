"""gunicorn's own error answers in the API's one JSON error shape.

gunicorn answers a request it cannot parse itself, before the application sees
it: 400 for a bad request line or header, 414 for a request line over
`limit_request_line`, 431 for headers over their limits, 501 for a transfer
coding it does not support. It writes those as an HTML page. Clients of the API
read every error as `{"title": ..., "description": ...}` (`vertice_api.errors`),
so `install()` makes gunicorn write that document instead, with the same status.

Every gunicorn worker class writes these answers through one function,
`gunicorn.util.write_error(sock, status, reason, message)` (called from
`Worker.handle_error`), looked up on the module at each call: replacing it in
the master, before workers fork, covers them all. The message quotes what the
client sent (a request line, a header): it is cut to `MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import json
import socket

import gunicorn.util

#: The most characters of gunicorn's message (which quotes the client's input) sent back.
MESSAGE_LIMIT = 200


def error_response(status: int, reason: str, message: str) -> bytes:
    """The whole HTTP answer: status line, headers (the connection closes) and JSON body."""
    description = message[:MESSAGE_LIMIT] if message else reason
    body = json.dumps({"title": reason, "description": description}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """`gunicorn.util.write_error`'s contract, writing the JSON error document."""
    gunicorn.util.write_nonblock(sock, error_response(status, reason, message))


def install() -> None:
    """Make gunicorn write its own error answers as JSON (see the module's docstring)."""
    gunicorn.util.write_error = write_json_error
