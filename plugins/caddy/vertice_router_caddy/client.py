"""Caddy's admin API over httpx, its failures as vertice driver errors.

A connection refused or a timeout is a `TransientError` (the proxy may be
restarting); a 4xx/5xx answer is a `TerminalError` carrying Caddy's own
message (Caddy's errors name the path and the reason, never a key's text),
except a 412, `Stale`: a write sent with `If-Match` found the path changed.

Optimistic concurrency, as measured on Caddy 2.6.2: `GET /config/<path>`
answers an `Etag` `"<path> <hash>"` (as an HTTP *trailer*, after the chunked
body), where the hash is FNV-1a (32 bits, hex) of the JSON Caddy sends (Go's
encoding: keys sorted, no spaces, `<>&` escaped, a final newline). A write
with `If-Match` set to that value is applied only if the path still hashes
the same, checked under Caddy's configuration lock; otherwise Caddy answers
412 and changes nothing (a malformed `If-Match` is a 400). httpx drops
trailers, so `etag` computes the value from the copy of the configuration the
router kept (tested equal to Caddy's own in the plugin's tests).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from vertice_core.errors import TerminalError, TransientError

#: The longest part of Caddy's error message kept in an exception.
MESSAGE_LIMIT = 500
#: Seconds before a request that met a connection error is sent again.
RETRY_DELAY = 0.05


class Stale(TransientError):
    """A write sent with `If-Match` was refused: the path changed since it was read."""


def etag(path: str, value: Any) -> str:
    """The `Etag` Caddy 2.6.2 gives `GET <path>` when the value there is `value`."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    digest = 0x811C9DC5
    for byte in (text + "\n").encode():
        digest = ((digest ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f'"{path} {digest:08x}"'


class AdminClient:
    """One proxy's admin API (`/config/...`, `/id/...`)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        # No keep-alive: Caddy may replace its admin server when a configuration change
        # loads, closing idle connections; a request sent on one then fails with a
        # ReadError although Caddy never saw it (twice in the plugin-isolation test of a
        # loaded `make test`).
        # A new connection per call costs a fraction of a millisecond on loopback.
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        missing_ok: bool = False,
        if_match: str | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON answer (None when empty).

        With `missing_ok`, a 404 (an unknown `@id`) is a success returning None.
        With `if_match`, a 412 (the path changed since) raises `Stale`.
        """
        headers = {"Content-Type": "application/json"}
        if if_match is not None:
            headers["If-Match"] = if_match
        # Sent again after a lost connection: a read, a write with `If-Match`, and a delete
        # that a 404 also satisfies (a second one finds nothing to delete). A write of an
        # object tagged `@id` is sent again only if `/id/<tag>` says the first one did not
        # land (Caddy 2.6 takes a second object with the same `@id` without a word).
        safe = method == "GET" or bool(if_match) or (method == "DELETE" and missing_ok)
        tag = body.get("@id") if isinstance(body, dict) and not safe else None
        answer = self._send(method, path, body, headers, safe=safe or bool(tag), tag=tag)
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code == 412 and if_match is not None:
            raise Stale(f"caddy's {path} changed since it was read: {_message(answer)}")
        if answer.status_code >= 500 and method == "GET":
            raise TransientError(
                f"caddy failed GET {path} ({answer.status_code}): {_message(answer)}"
            )
        if answer.status_code >= 400:
            raise TerminalError(
                f"caddy refused {method} {path} ({answer.status_code}): {_message(answer)}"
            )
        return answer.json() if answer.content.strip() else None

    def _send(
        self,
        method: str,
        path: str,
        body: Any,
        headers: dict[str, str],
        safe: bool,
        tag: str | None = None,
    ) -> httpx.Response:
        """Send the request; once more after a connection error when that is safe.

        Caddy replaces its admin server at every configuration load, also a refused
        one, so a request sent just then can fail with a `ReadError` Caddy never saw
        (seen a few times in a hundred runs of the plugin's batch tests). A read, a write
        with `If-Match` (sent twice, the second one is a 412), and a delete by `@id` whose
        404 is a success are sent again; a write of an object tagged `tag` is sent again
        unless `GET /id/<tag>` finds it (then the first one landed: a 200 is returned).
        """
        for attempt in (1, 2):
            try:
                if attempt == 2 and tag is not None and self._tagged(tag):
                    return httpx.Response(200)
                return self.http.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:
                if attempt == 1 and (safe or isinstance(exc, httpx.ConnectError)):
                    time.sleep(RETRY_DELAY)
                    continue
                raise TransientError(
                    f"caddy's admin API at {self.http.base_url} did not answer {method} {path}: "
                    f"{type(exc).__name__}"
                ) from None
        raise AssertionError("unreachable")

    def _tagged(self, tag: str) -> bool:
        """Whether the live configuration holds an object tagged `@id` `tag`."""
        return self.http.get(f"/id/{tag}").status_code == 200

    def config(self) -> Any:
        """The whole live configuration (one `GET /config/`)."""
        return self.call("GET", "/config/")


def _message(answer: httpx.Response) -> str:
    """Caddy's `error` field (or the body), shortened."""
    try:
        text = str(answer.json().get("error", ""))
    except ValueError:
        text = answer.text
    return text[:MESSAGE_LIMIT]
