"""What the commands of resources named in a project (snapshots, disks) share: finding
one by its name or id, and following its changes until it is where it should be."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.connect import Failure, TimedOut
from vertice_api.cli.wait import INTERVAL

if TYPE_CHECKING:
    from vertice_api.client import Client


def find(
    client: Client, collection: str, kind: str, ref: str, project: str | None, listing: str
) -> dict[str, Any]:
    """The caller's `kind` at `collection` named (or with id) `ref`; a one-line failure if
    none (naming the `listing` command), or if the name is used in several projects."""
    params: dict[str, Any] = {"project": project} if project else {}
    found = [
        dict(s) for s in client.items(collection, **params) if ref in (s.get("name"), s.get("id"))
    ]
    if not found:
        where = f" in project {project!r}" if project else ""
        raise Failure(f"there is no {kind} named {ref!r}{where} ({listing})")
    if len(found) > 1:
        projects = ", ".join(sorted(str(s.get("project")) for s in found))
        raise Failure(f"{ref!r} names {len(found)} {kind}s (in projects {projects}); pass "
                      "--project to say which")  # fmt: skip
    return found[0]


def show(
    collection: str,
    filters: Mapping[str, str | None],
    fmt: str,
    table: Callable[[list[Any]], str],
    nothing: str,
) -> None:
    """List the caller's items at `collection` (narrowed by the `filters` given) as a
    `table`, or dumped in `fmt`; `nothing` (on stderr) when there are none."""
    from vertice_api.cli import output
    from vertice_api.cli.connect import open_client

    params: dict[str, Any] = {k: v for k, v in filters.items() if v}
    with open_client(click.get_current_context()) as client:
        items = list(client.items(collection, **params))
    if fmt != "table":
        click.echo(output.dump(items, fmt))
    elif items:
        click.echo(table(items))
    else:
        click.echo(nothing, err=True)


def follow(
    client: Client,
    document: Mapping[str, Any],
    line: Callable[[Mapping[str, Any]], str],
    done: Callable[[Mapping[str, Any]], bool],
    timeout: float,
) -> None:
    """Show each change of the resource (one `line` each) until `done` holds for it
    (`Failure` once its phase is FAILED, `TimedOut` after `timeout` seconds; a resource
    that is gone (404) is done when `done({})` holds)."""
    from vertice_api.client import ApiError

    shown = line(document)
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = client.get(str(document["uri"]))
        except ApiError as exc:
            if exc.status != 404 or not done({}):
                raise
            return
        now = line(current)
        if now != shown:
            click.echo(now)
            shown = now
        if done(current):
            return
        if current.get("phase") == "FAILED":
            raise Failure(now)
        if time.monotonic() >= deadline:
            raise TimedOut(f"timed out after {timeout:g}s waiting for {now}")
        time.sleep(min(INTERVAL, max(0.0, deadline - time.monotonic())))
