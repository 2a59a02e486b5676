"""Instant queries to a real Prometheus (`GET /api/v1/query`), bounded in time.

`Prometheus.read` turns one query into a `Reading`: a value, or why there is none
(unreachable, refused as invalid, no series, several series, a range vector),
never an exception, so the scaler controller holds and says why. `problem` is
the declaration-time check: the reason Prometheus gives for a query it cannot
parse, or None (valid, or Prometheus not there to ask).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from vertice_core.scaling.plan import Reading

if TYPE_CHECKING:
    import httpx

#: Seconds a query may take (Prometheus is told, and the HTTP client stops waiting after).
QUERY_TIMEOUT = 5.0


def shown(url: str) -> str:
    """The URL without user information (credentials never reach a message or a log)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Prometheus:
    """One Prometheus server, queried over HTTP."""

    def __init__(self, url: str, *, timeout: float = QUERY_TIMEOUT) -> None:
        # Imported here: a reconciler without a Prometheus (no autoscaler) never loads
        # httpx, which would cost it some 13 MB (httpx also imports its CLI's rich).
        import httpx

        self.url = shown(url)
        self.timeout = timeout
        self._client = httpx.Client(base_url=url, timeout=timeout + 1.0)
        self._failures: tuple[type[Exception], ...] = (httpx.HTTPError, ValueError)

    def _get(self, query: str) -> httpx.Response:
        params = {"query": query, "timeout": f"{self.timeout:g}s"}
        return self._client.get("/api/v1/query", params=params)

    def read(self, query: str) -> Reading:
        """The query's value now, or why there is none."""
        try:
            response = self._get(query)
            body: Any = response.json()
        except self._failures as exc:
            why = f"Prometheus at {self.url} does not answer: {type(exc).__name__}"
            return Reading(None, "PrometheusUnreachable", why)
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error", "") if isinstance(body, dict) else ""
            kind = body.get("errorType", "") if isinstance(body, dict) else ""
            reason = "InvalidQuery" if kind == "bad_data" else "QueryFailed"
            return Reading(None, reason, f"Prometheus answered {response.status_code}: {error}")
        return _value(body.get("data") or {})

    def problem(self, query: str) -> str | None:
        """Why Prometheus refuses the query, or None (valid, or Prometheus unreachable)."""
        reading = self.read(query)
        if reading.reason == "InvalidQuery":
            return reading.message
        return None

    def close(self) -> None:
        self._client.close()


def _value(data: dict[str, Any]) -> Reading:
    """A reading of the `data` of a successful instant query."""
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "scalar":
            return _finite(float(result[1]))  # type: ignore[index]
        if kind == "vector" and isinstance(result, list):
            if not result:
                return Reading(None, "NoData", "the query returned no series")
            if len(result) > 1:
                return Reading(None, "AmbiguousQuery", f"the query returned {len(result)} "
                               "series; aggregate them (sum(...) or avg(...))")  # fmt: skip
            return _finite(float(result[0]["value"][1]))
    except (TypeError, ValueError, KeyError, IndexError):
        return Reading(None, "QueryFailed", "Prometheus's answer could not be read")
    return Reading(None, "InvalidQuery", f"the query gives a {kind}, not one number "
                   "(an instant vector of one series, or a scalar)")  # fmt: skip


def _finite(value: float) -> Reading:
    if math.isfinite(value):
        return Reading(value)
    return Reading(None, "InvalidValue", f"the query's value is {value}")
