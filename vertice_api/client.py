"""A small HTTP client of the vertice API (used by the CLI's client commands and the benchmarks).

Errors come back as `ApiError` carrying the API's own title, description and,
for a 422, the problems with their JSON paths, so callers can show one clear
line instead of a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

JSON_PATCH = "application/json-patch+json"


@attrs.frozen
class ApiError(Exception):
    """An answer of 400 or more from the API (or no answer at all: status 0)."""

    status: int
    title: str
    description: str
    problems: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        head = (
            f"{self.status} {self.title}: {self.description}" if self.status else self.description
        )
        lines = [head] + [f"  {path}: {message}" for path, message in self.problems]
        return "\n".join(lines)


class Client:
    """A keep-alive connection to one vertice API, authenticated by one token."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        media_type: str = "application/json",
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; raise `ApiError` for an answer of 400 or more."""
        sent = dict(headers or {})
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            sent["Content-Type"] = media_type
        try:
            response = self.http.request(method, path, content=content, params=params, headers=sent)
        except httpx.HTTPError as exc:
            raise ApiError(0, "Unreachable", f"{self.url}: {exc}") from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        """GET a document."""
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON document; the created resource."""
        return self.request("POST", path, body=body).json()

    def patch(self, path: str, operations: list[dict[str, Any]], etag: str | None = None) -> Any:
        """Apply a JSON Patch (with `If-Match` when `etag` is given)."""
        headers = {"If-Match": etag} if etag else None
        return self.request(
            "PATCH", path, body=operations, media_type=JSON_PATCH, headers=headers
        ).json()

    def delete(self, path: str) -> Any:
        """DELETE a resource; its last representation, if the API sends one."""
        response = self.request("DELETE", path)
        return response.json() if response.content else None

    def declare(self, declaration: Mapping[str, Any]) -> Any:
        """Declare an assembly (`POST /v3/assembly_factory`)."""
        return self.post("/v3/assembly_factory", dict(declaration))

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _error(response: httpx.Response) -> ApiError:
    try:
        document = response.json()
    except ValueError:
        return ApiError(response.status_code, response.reason_phrase, response.text[:200])
    problems = tuple(
        (str(p.get("path", "")), str(p.get("message", ""))) for p in document.get("problems", [])
    )
    return ApiError(
        response.status_code,
        str(document.get("title", response.reason_phrase)),
        str(document.get("description", "")),
        problems,
    )
