"""Caddy's admin API over httpx, its failures as vertice driver errors.

A connection refused or a timeout is a `TransientError` (the proxy may be
restarting); a 4xx/5xx answer is a `TerminalError` carrying Caddy's own
message (Caddy's errors name the path and the reason, never a key's text).
"""

from __future__ import annotations

from typing import Any

import httpx

from vertice_core.errors import TerminalError, TransientError

#: The longest part of Caddy's error message kept in an exception.
MESSAGE_LIMIT = 500


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

    def call(self, method: str, path: str, body: Any = None, missing_ok: bool = False) -> Any:
        """Send one request; return the decoded JSON answer (None when empty).

        With `missing_ok`, a 404 (an unknown `@id`) is a success returning None.
        """
        try:
            answer = self.http.request(
                method, path, json=body, headers={"Content-Type": "application/json"}
            )
        except httpx.TransportError as exc:
            raise TransientError(
                f"caddy's admin API at {self.http.base_url} did not answer: {type(exc).__name__}"
            ) from None
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code >= 500 and method == "GET":
            raise TransientError(
                f"caddy failed GET {path} ({answer.status_code}): {_message(answer)}"
            )
        if answer.status_code >= 400:
            raise TerminalError(
                f"caddy refused {method} {path} ({answer.status_code}): {_message(answer)}"
            )
        return answer.json() if answer.content.strip() else None

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
