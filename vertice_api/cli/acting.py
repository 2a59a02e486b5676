"""The building blocks of the commands that change assemblies' desired state.

An action is a function `(client, document, etag) -> (changed document, line)`: `run`
resolves every name first (so a typo changes nothing), applies the action to each and
prints its line, then waits if asked; `action` makes a click command of one;
`raise_counter` raises a counter (`restart_count`, `replace_count`) with `If-Match`,
retried when someone changed the assembly meanwhile (`patch_current`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from vertice_api.cli.assemblies import Directory, Document
from vertice_api.cli.client import names_argument, project_option
from vertice_api.cli.connect import client_command, open_client
from vertice_api.cli.wait import Tracked, wait_for, wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client


#: How often restart and scale re-read and retry when someone changed the assembly
#: meanwhile (412).
ATTEMPTS = 3

Act = Callable[["Client", Document, "str | None"], tuple[Document, str]]


def run(
    names: tuple[str, ...],
    project: str | None,
    wait: bool,
    timeout: float,
    act: Act,
    until: str = "ready",
) -> None:
    """Resolve every name, act on each (a line each), then wait until `until` if asked."""
    with open_client(click.get_current_context()) as client:
        directory = Directory(client)
        found = [directory.find(name, project) for name in dict.fromkeys(names)]
        tracked = []
        for document, etag in found:
            changed, line = act(client, document, etag)
            click.echo(line)
            tracked.append(changed)
        if wait:
            wait_for(client, [Tracked.of(d, until) for d in tracked], timeout)


#: `(field, value)` of a power mode a command sets (`stop_mode`, `restart_mode`), or None.
Mode = tuple[str, str] | None


def mode_operations(document: Document, mode: Mode) -> list[dict[str, object]]:
    """The operation setting the power mode, when the assembly has another (none when it
    has it already: its metadata need not let it be patched then)."""
    if mode is None or document.get(mode[0], "soft") == mode[1]:
        return []
    return [{"op": "replace", "path": f"/{mode[0]}", "value": mode[1]}]


def patch_current(
    client: Client,
    document: Document,
    etag: str | None,
    operations: Callable[[Document], list[dict[str, object]]],
) -> Document:
    """PATCH what `operations` makes of the document, with `If-Match`; when someone changed
    the assembly meanwhile (412), read it again and retry, up to `ATTEMPTS` times."""
    from vertice_api.client import ApiError

    attempts = 1
    while True:
        try:
            patched: Document = client.patch(document["uri"], operations(document), etag)
        except ApiError as exc:
            if exc.status != 412 or attempts == ATTEMPTS:
                raise
            attempts += 1
            document, etag = client.get_with_etag(document["uri"])
            continue
        return patched


def raise_counter(field: str, verb: str, mode: Mode = None) -> Act:
    """An action that raises the counter `field` by one (with `If-Match`, retried), with
    the restart mode when given."""

    def act(client: Client, document: Document, etag: str | None) -> tuple[Document, str]:
        def raised(current: Document) -> list[dict[str, object]]:
            count = int(current.get(field, 0)) + 1
            return [*mode_operations(current, mode),
                    {"op": "replace", "path": f"/{field}", "value": count}]  # fmt: skip

        patched = patch_current(client, document, etag, raised)
        how = f", {mode[1]}" if mode is not None and mode[1] == "hard" else ""
        return patched, f"{document['name']}: {verb} requested ({field} {patched[field]}{how})"

    return act


def action(
    name: str,
    act_for: Callable[[bool], Act],
    summary: str,
    until: str = "ready",
    hard: str = "",
) -> click.Command:
    """A command acting on the named assemblies; with `hard` (its help), a `--hard` flag
    given to `act_for`."""

    def command(
        names: tuple[str, ...], project: str | None, wait: bool, timeout: float, **flags: bool
    ) -> None:
        """Act on every named assembly, then wait if asked."""
        run(names, project, wait, timeout, act_for(flags.get("hard", False)), until)

    decorated = client_command(command)
    if hard:
        decorated = click.option("--hard", is_flag=True, help=hard)(decorated)
    decorated = wait_options(project_option(names_argument(decorated)))
    return click.command(name, help=summary)(decorated)
