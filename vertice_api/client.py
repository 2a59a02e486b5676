"""A small HTTP client of the vertice API (used by the CLI's client commands and the benchmarks).

Errors come back as `ApiError` carrying the API's own title, description and,
for a 422, the problems with their JSON paths, so callers can show one clear
line instead of a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
        try:
            self.http = httpx.Client(
                base_url=self.url, headers=headers, timeout=timeout, transport=transport
            )
        except httpx.InvalidURL as exc:
            raise ApiError(0, "Invalid URL", f"{url!r} is not a valid URL: {exc}") from None

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
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ApiError(0, "Unreachable", f"cannot reach {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        """GET a document."""
        return document_of(self.request("GET", path, params=params or None))

    def get_with_etag(self, path: str, **params: Any) -> tuple[Any, str | None]:
        """GET a document and its `ETag` (to send back as `If-Match`)."""
        response = self.request("GET", path, params=params or None)
        return document_of(response), response.headers.get("ETag")

    def items(self, path: str, page_size: int = 500, **params: Any) -> Iterator[Any]:
        """Every item of a CAMP collection, page after page (`start_index`, `items_per_page`)."""
        start = 0
        while True:
            page = self.get(path, start_index=start, items_per_page=page_size, **params)
            items = page.get("items", []) if isinstance(page, dict) else []
            yield from items
            start += len(items)
            if not items or start >= int(page.get("total_items", start)):
                return

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON document; the created resource."""
        return document_of(self.request("POST", path, body=body))

    def patch(self, path: str, operations: list[dict[str, Any]], etag: str | None = None) -> Any:
        """Apply a JSON Patch (with `If-Match` when `etag` is given)."""
        headers = {"If-Match": etag} if etag else None
        return document_of(
            self.request("PATCH", path, body=operations, media_type=JSON_PATCH, headers=headers)
        )

    def change(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH a JSON change document (what should change, as a disk takes it)."""
        return document_of(self.request("PATCH", path, body=dict(body)))

    def delete(self, path: str, **params: Any) -> Any:
        """DELETE a resource (with query `params`); its last representation, or what the
        API answers instead, if it sends one."""
        response = self.request("DELETE", path, params=params or None)
        return document_of(response) if response.content else None

    def declare(self, declaration: Mapping[str, Any]) -> Any:
        """Declare an assembly (`POST /v3/assembly_factory`)."""
        return self.post("/v3/assembly_factory", dict(declaration))

    def declare_many(self, declarations: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Declare assemblies in one request (`POST /v3/assembly_factory/batch`): one result
        per declaration, in order, each a 201's (`id`, `uri`, `name`, `generation`) or an
        error document with its `status` (`error_of` makes it an `ApiError`)."""
        answer = self.post("/v3/assembly_factory/batch", {"declarations": declarations})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(declarations):
            raise ApiError(0, "Not a vertice API", f"{self.url} answered a batch with "
                           "something else than one result per declaration")  # fmt: skip
        return results

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def document_of(response: httpx.Response) -> Any:
    """The JSON body of a successful answer (an `ApiError` if it is not JSON)."""
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            0,  # no answer of a vertice API: status 0, like a server that does not answer
            "Not a vertice API",
            f"{response.request.url} answered with something else than JSON; "
            "is the URL the base URL of a vertice API?",
        ) from None


def _error(response: httpx.Response) -> ApiError:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):  # not an answer of vertice: a proxy, another server
        return ApiError(response.status_code, response.reason_phrase, response.text[:200].strip())
    return error_of(response.status_code, document, response.reason_phrase)


def error_of(status: int, document: Mapping[str, Any], reason: str = "Error") -> ApiError:
    """The `ApiError` of an error document (an answer's body, or a batch's result)."""
    problems = tuple(
        (str(p.get("path", "")), str(p.get("message", "")))
        for p in document.get("problems", [])
        if isinstance(p, dict)
    )
    return ApiError(
        status, str(document.get("title", reason)), str(document.get("description", "")), problems
    )
