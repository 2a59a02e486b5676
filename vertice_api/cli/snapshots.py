"""`vertice snapshot create|list|delete|restore`: images of instances' disks (issue 14, day 2).

A snapshot is named by its name (unique in its project) or its id. `create` asks
for one of an assembly's instance (`--wait`: until it is AVAILABLE), `restore`
declares a new assembly launched from one, with the source assembly's plan and
flavor (`--flavor` another) in the snapshot's region. Every failure is one
`error:` line.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import output
from vertice_api.cli.assemblies import Directory
from vertice_api.cli.connect import Failure, TimedOut, client_command, open_client
from vertice_api.cli.wait import INTERVAL, Tracked, wait_for, wait_options

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
    """The caller's snapshot named (or with id) `ref`; a one-line failure if none, or if
    the name is used in several of the caller's projects."""
    params: dict[str, Any] = {"project": project} if project else {}
    found = [
        dict(s) for s in client.items(COLLECTION, **params) if ref in (s.get("name"), s.get("id"))
    ]
    if not found:
        where = f" in project {project!r}" if project else ""
        raise Failure(f"there is no snapshot named {ref!r}{where} (vertice snapshot list)")
    if len(found) > 1:
        projects = ", ".join(sorted(str(s.get("project")) for s in found))
        raise Failure(f"{ref!r} names {len(found)} snapshots (in projects {projects}); pass "
                      "--project to say which")  # fmt: skip
    return found[0]


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
    shown = line(snapshot)
    deadline = time.monotonic() + timeout
    while True:
        current = client.get(str(snapshot["uri"]))
        now = line(current)
        if now != shown:
            click.echo(now)
            shown = now
        if current.get("phase") == "AVAILABLE":
            return
        if current.get("phase") == "FAILED":
            raise Failure(now)
        if time.monotonic() >= deadline:
            raise TimedOut(f"timed out after {timeout:g}s waiting for {now}")
        time.sleep(min(INTERVAL, max(0.0, deadline - time.monotonic())))


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
    params: dict[str, Any] = {k: v for k, v in (("assembly", assembly), ("project", project)) if v}
    with open_client(click.get_current_context()) as client:
        items = list(client.items(COLLECTION, **params))
    if fmt != "table":
        click.echo(output.dump(items, fmt))
    elif items:
        click.echo(table(items))
    else:
        click.echo("no snapshots", err=True)


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
