"""The webhook notifier: POST every event as JSON, signed with an HMAC.

Switched on by `VERTICE_WEBHOOK_URL`. The body is the event document
(`vertice_notify.payload`); the header `X-Vertice-Signature` is
`sha256=<hex HMAC-SHA256 of the body>` keyed with `VERTICE_WEBHOOK_SECRET`
(when set), so a receiver can check the sender. `VERTICE_WEBHOOK_PROJECTS`,
`_EVENTS` and `_SEVERITIES` filter (comma-separated project names, event
reasons, `Normal`/`Warning`). Deliveries retry with backoff on a background
thread and never block the reconciler.

The URL may carry a secret (a token in its path, credentials, a query): what the log
says of a failed delivery names only its scheme and host (`origin`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from vertice_core.config import Config, positive_number
from vertice_core.hooks import hookimpl
from vertice_core.model.status import Event
from vertice_core.redact import public_message
from vertice_notify.filters import EventFilter
from vertice_notify.payload import event_document
from vertice_notify.queue import Outbox

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Vertice-Signature"


class DeliveryFailed(Exception):
    """A POST that failed, said without the URL's path, query or credentials."""


def origin(url: str) -> str:
    """What may be logged of a webhook URL: its scheme and host (and port)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<a malformed URL>"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}"


def signature(secret: str, body: bytes) -> str:
    """The signature header's value of `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """Posts events to one URL."""

    def __init__(self, url: str, secret: str, events: EventFilter, timeout: float = 5.0) -> None:
        self.url = url
        self.secret = secret
        self.filter = events
        self.timeout = timeout
        self.outbox = Outbox("webhook", self._post)
        self._http: httpx.Client | None = None

    def _post(self, body: bytes) -> None:
        if self._http is None:
            import httpx  # only once there is something to send: it weighs ~8 MB per process

            self._http = httpx.Client(timeout=self.timeout)
        headers = {"Content-Type": "application/json", "User-Agent": "vertice-webhook"}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        try:
            self._http.post(self.url, content=body, headers=headers).raise_for_status()
        except Exception as exc:  # httpx's messages quote the whole URL
            status = getattr(getattr(exc, "response", None), "status_code", None)
            reason = f"HTTP {status}" if status else public_message(f"{type(exc).__name__}: {exc}")
            raise DeliveryFailed(f"POST to {origin(self.url)}: {reason}") from None

    @hookimpl
    def vertice_event_recorded(self, event: Event, project_id: str | None) -> None:
        """Queue the event for delivery if the filter lets it through."""
        if self.filter.accepts(event):
            body = json.dumps(event_document(event, project_id), sort_keys=True).encode()
            self.outbox.offer(body)


def plugin(config: Config) -> WebhookNotifier | None:
    """The entry point: a notifier when `VERTICE_WEBHOOK_URL` is set, else None."""
    env = os.environ
    url = env.get("VERTICE_WEBHOOK_URL")
    if not url:
        return None
    return WebhookNotifier(
        url,
        env.get("VERTICE_WEBHOOK_SECRET", ""),
        EventFilter.from_env(env, "VERTICE_WEBHOOK"),
        timeout=timeout(env),
    )


def timeout(env: Mapping[str, str]) -> float:
    """`VERTICE_WEBHOOK_TIMEOUT`: the seconds one delivery may take (5); ValueError naming
    the variable when it is not a positive number."""
    return positive_number(env, "VERTICE_WEBHOOK_TIMEOUT", 5.0)
