"""Retiring a cloud from the command line: `delete NAMES --orphan` and `delete region NAMES
--cascade-orphan` (`vertice_core.service.orphans` says what orphaning does).

Each orphaned assembly prints one line naming what it abandoned, since nothing else
will: vertice no longer manages those instances, and their owner must delete them in
the cloud by hand when it answers again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import kinds

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
    """The action of `delete --orphan` on one assembly (see `acting.run`)."""
    return document, line(client.delete(document["uri"], orphan="true"))


def retire(client: Client, names: Sequence[str], *, ask: bool) -> None:
    """`delete region NAMES --cascade-orphan` (administrators): orphan every assembly homed
    in each region, then delete it, a line per orphaned assembly and per region. Every
    region is found first, so a typo orphans nothing; `ask` confirms before anything is."""
    found = [kinds.REGIONS.get_one(client, name, kinds.Query()) for name in dict.fromkeys(names)]
    if ask:
        listed = ", ".join(str(region["name"]) for region in found)
        click.confirm(
            f"Delete region {listed} and orphan every assembly in it (their instances keep "
            "running in the cloud, unmanaged)?",
            abort=True,
        )
    for region in found:
        answer = client.delete(region["uri"], cascade="orphan")
        for orphaned in (answer or {}).get("orphaned", []):
            click.echo(line(orphaned))
        click.echo(f"region {region['name']}: deleted")
