"""Retiring a cloud from the command line: `delete NAMES --orphan` and `regions delete NAME
[--cascade-orphan]` (`vertice_core.service.orphans` says what orphaning does).

Each orphaned assembly prints one line naming what it abandoned, since nothing else
will: vertice no longer manages those instances, and their owner must delete them in
the cloud by hand when it answers again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.connect import client_command, open_client

if TYPE_CHECKING:
    from vertice_api.client import Client

Document = dict[str, Any]


def line(orphaned: Mapping[str, Any]) -> str:
    """One line of an orphaned assembly: the instances it left running, by region."""
    abandoned = orphaned.get("abandoned") or []
    if not abandoned:
        return f"{orphaned['name']}: orphaned (it had no instance)"
    listed = ", ".join(
        f"{i['region']}/{i['cloud_id'] or '(never observed, key ' + i['key'] + ')'}"
        for i in abandoned
    )
    return f"{orphaned['name']}: orphaned; abandoned {listed} (no longer managed nor billed)"


def act(client: Client, document: Document, _etag: str | None) -> tuple[Document, str]:
    """The action of `delete --orphan` on one assembly (see `actions._run`)."""
    return document, line(client.delete(document["uri"], orphan="true"))


@click.command("delete")
@click.argument("name")
@click.option(
    "--cascade-orphan",
    is_flag=True,
    help="Delete every assembly of the region first, with --orphan: their instances keep "
    "running in the cloud, no longer managed nor billed.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@client_command
def delete_region(ctx: click.Context, name: str, cascade_orphan: bool, yes: bool) -> None:
    """Delete region NAME (administrators); one still in use needs --cascade-orphan."""
    if cascade_orphan and not yes:
        click.confirm(
            f"Delete region {name} and orphan every assembly in it (their instances keep "
            "running in the cloud, unmanaged)?",
            abort=True,
        )
    params = {"cascade": "orphan"} if cascade_orphan else {}
    with open_client(ctx) as client:
        answer = client.delete(f"/v3/regions/{name}", **params)
    for orphaned in (answer or {}).get("orphaned", []):
        click.echo(line(orphaned))
    click.echo(f"region {name} deleted")
