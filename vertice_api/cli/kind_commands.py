"""`get KIND`, `describe KIND NAME` and `delete KIND NAMES`, made from a kind of the table
in `vertice_api.cli.kinds`: every kind lists, prints (`-o json|yaml|name|wide`),
watches (`--watch`) and deletes alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import output
from vertice_api.cli.assemblies import Document
from vertice_api.cli.connect import Failure, client_command, open_client, until_interrupted
from vertice_api.cli.formats import OUTPUT
from vertice_api.cli.kinds import ASSEMBLIES, Kind, Query, described

if TYPE_CHECKING:
    from vertice_api.client import Client

#: Seconds between two looks of `get --watch`.
WATCH_INTERVAL = 2.0


def completer(collection: str, key: str = "name") -> Callable[..., list[str]]:
    """Shell completion of the `key`s of a collection's items (nothing when the API cannot
    be asked)."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        try:
            with open_client(ctx, timeout=3) as client:
                names = [str(item.get(key)) for item in client.items(collection)]
        except Exception:  # completion must never print a traceback into the shell
            return []
        return [name for name in names if name.startswith(incomplete)]

    return complete


def show(kind: Kind, documents: list[Document], fmt: str, *, one: bool = False) -> None:
    """Print documents as `fmt` says; `one` prints the first as an object, not a list."""
    if fmt in ("json", "yaml"):
        click.echo(output.dump(documents[0] if one and documents else documents, fmt))
    elif fmt == "name":
        for document in documents:
            click.echo(f"{kind.singular}/{kind.name_of(document)}")
    elif documents:
        click.echo(kind.render(documents, wide=fmt == "wide"))
    else:
        click.echo(f"no {kind.name}", err=True)


def _options(kind: Kind, func: Any, *, listing: bool) -> Any:
    """`--project`, `--user` and `-l` where the kind has them (`-l` when `listing`)."""
    if kind.tagged and listing:
        func = click.option(
            "-l", "--selector", "selectors", multiple=True, metavar="KEY=VALUE",
            help="Only items with tag KEY=VALUE (KEY!=VALUE: without; KEY: any value); "
                 "repeat, or separate with commas, to require all.",
        )(func)  # fmt: skip
    if kind.user:
        func = click.option("--user", metavar="NAME", help="Another user's (administrators).")(func)
    if kind.project:
        func = click.option("--project", metavar="NAME", help="Of this project only.")(func)
    return func


def get_command(kind: Kind) -> click.Command:
    """`get KIND [NAMES]`: list the kind, or the named items."""

    @click.command(kind.name, help=kind.summary)
    @click.argument(
        "refs",
        nargs=-1,
        metavar="[NAMES]...",
        # events are named by their assemblies
        shell_complete=completer(
            kind.collection or ASSEMBLIES.collection, kind.key if kind.collection else "name"
        ),
    )
    @OUTPUT
    @click.option(
        "-w", "--watch", is_flag=True,
        help=f"Print again whenever it changes (looking every {WATCH_INTERVAL:g}s; Ctrl-C stops).",
    )  # fmt: skip
    @client_command
    def command(refs: tuple[str, ...], fmt: str, watch: bool, **narrowing: Any) -> None:
        """List the kind's items (again whenever they change, with --watch)."""
        query = Query(narrowing.get("project"), narrowing.get("user"),
                      tuple(narrowing.get("selectors") or ()))  # fmt: skip
        one = len(refs) == 1 and kind.describable
        with open_client(click.get_current_context()) as client, until_interrupted() as stop:
            last = None
            while not stop.is_set():  # Ctrl-C is how one stops watching
                documents = kind.get_many(client, refs, query)
                seen = json.dumps(documents, sort_keys=True, default=str)
                if seen != last:
                    if last is not None:
                        click.echo("")
                    show(kind, documents, fmt, one=one)
                    last = seen
                if not watch or stop.wait(WATCH_INTERVAL):
                    return

    return _options(kind, command, listing=True)  # type: ignore[no-any-return]


def describe_command(kind: Kind) -> click.Command:
    """`describe KIND NAME`: one item in detail."""

    @click.command(kind.name, help=f"Show one {kind.singular} in detail (NAME: its {kind.key}).")
    @click.argument("ref", metavar="NAME", shell_complete=completer(kind.collection, kind.key))
    @client_command
    def command(ref: str, **narrowing: Any) -> None:
        """Print the item's page."""
        query = Query(narrowing.get("project"), narrowing.get("user"))
        with open_client(click.get_current_context()) as client:
            document = kind.get_one(client, ref, query)
            click.echo(kind.describe(client, document) if kind.describe else described(document))

    return _options(kind, command, listing=False)  # type: ignore[no-any-return]


def delete(client: Client, kind: Kind, refs: Sequence[str], query: Query) -> None:
    """Delete the named items of `kind`, a line each; every name is found first, so that a
    typo deletes nothing. The API decides who may (403: an administrator's kind)."""
    if not kind.deletable:
        raise Failure(f"{kind.name} cannot be deleted")
    if kind.remove is not None:
        kind.remove(client, refs)
        return
    found = [kind.get_one(client, ref, query) for ref in dict.fromkeys(refs)]
    for document in found:
        client.delete(document["uri"])
        click.echo(f"{kind.singular} {kind.name_of(document)}: {kind.deleted}")
