"""`vertice snapshot create|list|delete|restore`: images of instances' disks (issue 14, day 2).

A snapshot is named by its name (unique in its project) or its id. `create` asks
for one of an assembly's instance (`--wait`: until it is AVAILABLE), `restore`
declares a new assembly launched from one, with the source assembly's plan and
flavor (`--flavor` another) in the snapshot's region. Every failure is one
`error:` line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import named, output
from vertice_api.cli.assemblies import Directory
from vertice_api.cli.connect import Failure, client_command, open_client
from vertice_api.cli.wait import Tracked, wait_for, wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client

COLLECTION = "/v3/snapshots"

#: The columns of `snapshot list`.
COLUMNS: tuple[output.Column, ...] = (
    ("NAME", lambda s: s.get("name")),
    ("ASSEMBLY", lambda s: (s.get("assembly") or {}).get("name")),
    ("INSTANCE", lambda s: s.get("instance")),
    ("REGION", lambda s: s.get("region")),
    ("PHASE", lambda s: s.get("phase")),
    ("IMAGE", lambda s: s.get("image_id") or "-"),
    ("AGE", lambda s: output.age(s.get("created_at"))),
    ("MESSAGE", lambda s: s.get("message") or ""),
)


def table(items: Sequence[Mapping[str, Any]]) -> str:
    """Snapshots as a table (`COLUMNS`)."""
    return output.columns_table(COLUMNS, items)


def find(client: Client, ref: str, project: str | None) -> dict[str, Any]:
    """The caller's snapshot named (or with id) `ref` (`named.find`)."""
    return named.find(client, COLLECTION, "snapshot", ref, project, "vertice snapshot list")


def line(snapshot: Mapping[str, Any]) -> str:
    """One line of a snapshot's state."""
    source = snapshot.get("assembly") or {}
    text = (f"snapshot {snapshot.get('name')} of {source.get('name')}/{snapshot.get('instance')}: "
            f"{snapshot.get('phase')}")  # fmt: skip
    if snapshot.get("image_id"):
        text += f" (image {snapshot['image_id']})"
    if snapshot.get("message"):
        text += f": {snapshot['message']}"
    return text


def wait_until_made(client: Client, snapshot: Mapping[str, Any], timeout: float) -> None:
    """Show each change of the snapshot until it is AVAILABLE (`Failure` if it FAILED,
    `TimedOut` after `timeout` seconds)."""
    named.follow(client, snapshot, line, lambda s: s.get("phase") == "AVAILABLE", timeout)


@click.group("snapshot")
def snapshot() -> None:
    """Snapshots of instances' disks: create, list, delete, restore into a new assembly."""


_project = click.option(
    "--project", metavar="NAME", help="The project (when a name is in several)."
)


@snapshot.command("create")
@click.argument("assembly")
@click.argument("name")
@click.option("--instance", type=click.IntRange(min=0), default=0, show_default=True,
              help="Which instance of the assembly (its ordinal).")  # fmt: skip
@_project
@wait_options
@client_command
def create(assembly: str, name: str, instance: int, project: str | None, wait: bool,
           timeout: float) -> None:  # fmt: skip
    """Snapshot an instance of ASSEMBLY as NAME (the cloud copies its disk; --wait: until
    the image is AVAILABLE)."""
    with open_client(click.get_current_context()) as client:
        document, _ = Directory(client).find(assembly, project)
        made = client.post(f"{document['uri']}/snapshots", {"name": name, "instance": instance})
        click.echo(line(made))
        if wait:
            wait_until_made(client, made, timeout)


@snapshot.command("list")
@click.option("--assembly", metavar="NAME", help="Only the snapshots of this assembly.")
@_project
@output.output_option
@client_command
def list_snapshots(assembly: str | None, project: str | None, fmt: str) -> None:
    """Your snapshots: name, source assembly and instance, region, phase, image."""
    filters = {"assembly": assembly, "project": project}
    named.show(COLLECTION, filters, fmt, table, "no snapshots")


@snapshot.command("delete")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@_project
@client_command
def delete(names: tuple[str, ...], project: str | None) -> None:
    """Delete snapshots and their images (the snapshot controller deletes them in the cloud)."""
    with open_client(click.get_current_context()) as client:
        found = [find(client, name, project) for name in names]  # every name first
        for item in found:
            client.delete(str(item["uri"]))
            click.echo(f"snapshot {item['name']}: deleting")


@snapshot.command("restore")
@click.argument("name")
@click.argument("assembly")
@click.option("--flavor", metavar="NAME", help="The new assembly's flavor [default: the source's].")
@_project
@wait_options
@client_command
def restore(name: str, assembly: str, flavor: str | None, project: str | None, wait: bool,
            timeout: float) -> None:  # fmt: skip
    """Declare ASSEMBLY launched from snapshot NAME, in the snapshot's region, with the source
    assembly's plan and flavor (--wait: until it runs)."""
    from vertice_api.client import ApiError

    with open_client(click.get_current_context()) as client:
        found = find(client, name, project)
        source = found.get("assembly") or {}
        try:
            original = client.get(str(source.get("uri")))
        except ApiError as exc:
            if exc.status != 404:
                raise
            raise Failure(
                f"the assembly snapshot {name} was made from ({source.get('name')}) is gone: "
                f"declare {assembly} with `snapshot: {name}` and its plan and flavor "
                "(vertice apply -f)"
            ) from None
        declared = client.declare(
            {"name": assembly, "plan_uri": original["plan_uri"], "region": found["region"],
             "flavor": flavor or original["flavor"], "project": found["project"],
             "snapshot": found["id"]}
        )  # fmt: skip
        click.echo(f"{assembly} created ({declared.get('id')}) from snapshot {name}")
        if wait:
            wait_for(client, [Tracked.of(declared)], timeout)


COMMANDS = [snapshot]
