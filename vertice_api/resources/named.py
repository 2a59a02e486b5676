"""What the resources keyed by a name (plans, regions, flavors) do alike, and `created`."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import falcon

from vertice_core.errors import Conflict, NotFound

RowT = TypeVar("RowT")


class NamedRows(Protocol[RowT]):
    """The part of a name-keyed repository these helpers use."""

    def get(self, name: str) -> RowT | None: ...

    def used_by(self, name: str, limit: int = 20) -> list[str]: ...

    def delete(self, row: RowT) -> None: ...


def existing(rows: NamedRows[RowT], name: str, what: str) -> RowT:
    """The row called `name`, or a 404 saying there is no such `what`."""
    row = rows.get(name)
    if row is None:
        raise NotFound(f"there is no {what} named {name!r}")
    return row


def ensure_free(rows: NamedRows[Any], name: str, what: str) -> None:
    """A 409 if a `what` called `name` already exists."""
    if rows.get(name) is not None:
        raise Conflict(f"a {what} named {name!r} already exists")


def delete_unused(rows: NamedRows[Any], name: str, what: str, hint: str = "") -> None:
    """Delete the row called `name`: 404 if missing, 409 naming the assemblies that use it
    (and ending with `hint`, what else the caller may do)."""
    row = existing(rows, name, what)
    users = rows.used_by(name)
    if users:
        raise Conflict(f"{what} {name!r} is still used by assemblies: {', '.join(users)}{hint}")
    rows.delete(row)


def created(resp: falcon.Response, document: dict[str, Any]) -> None:
    """Answer 201 with the new resource and its URI in `Location`."""
    resp.status = falcon.HTTP_201
    resp.location = document["uri"]
    resp.media = document
