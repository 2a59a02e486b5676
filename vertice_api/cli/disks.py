"""`vertice disks [list|create|attach|detach|resize|delete]`: disks of their own (issue 14).

A disk is named by its name (unique in its project) or its id. `vertice disks`
alone lists yours. Every change is desired state the disk controller carries out;
`--wait` follows it until the cloud shows it (attached to the instance, the new
size, gone). Every failure is one `error:` line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import named, output
from vertice_api.cli.assemblies import Directory
from vertice_api.cli.connect import client_command, open_client
from vertice_api.cli.wait import wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client

COLLECTION = "/v3/disks"
Doc = Mapping[str, Any]


def _attachment(disk: Doc) -> str:
    """`assembly/ordinal` of the instance the disk should be attached to, or '-'."""
    attach = disk.get("attach") or {}
    if not attach:
        return "-"
    return f"{(attach.get('assembly') or {}).get('name')}/{attach.get('instance')}"


#: The columns of `disks list`.
COLUMNS: tuple[output.Column, ...] = (
    ("NAME", lambda d: d.get("name")),
    ("REGION", lambda d: d.get("region")),
    ("SIZE", lambda d: f"{d.get('size_gb')}G"),
    ("ATTACH", _attachment),
    ("PHASE", lambda d: d.get("phase")),
    ("DEVICE", lambda d: (d.get("observed") or {}).get("device") or "-"),
    ("AGE", lambda d: output.age(d.get("created_at"))),
    ("MESSAGE", lambda d: d.get("message") or ""),
)


def table(items: Sequence[Doc]) -> str:
    """Disks as a table (`COLUMNS`)."""
    return output.columns_table(COLUMNS, items)


def line(disk: Doc) -> str:
    """One line of a disk's state."""
    observed = disk.get("observed") or {}
    text = f"disk {disk.get('name')} ({observed.get('size_gb') or disk.get('size_gb')} GiB): "
    text += str(disk.get("phase"))
    if observed.get("attached_to"):
        text += f" to {_attachment(disk)} as {observed.get('device') or '?'}"
    if disk.get("message"):
        text += f": {disk['message']}"
    return text


def _find(client: Client, ref: str, project: str | None) -> dict[str, Any]:
    return named.find(client, COLLECTION, "disk", ref, project, "vertice disks")


def _target(client: Client, disk: Doc) -> Callable[[Doc], bool]:
    """Whether a disk shows the attachment it should have: attached to the cloud id its
    assembly's instance runs under, or to nothing."""

    def shown(current: Doc) -> bool:
        attach = current.get("attach") or {}
        observed = (current.get("observed") or {}).get("attached_to")
        if not attach:
            return current.get("phase") == "AVAILABLE" and not observed
        status = client.get(str((attach.get("assembly") or {}).get("uri"))).get("status") or {}
        instances = {i.get("ordinal", n): i for n, i in enumerate(status.get("instances", []))}
        instance = instances.get(attach.get("instance")) or {}
        return current.get("phase") == "ATTACHED" and observed == instance.get("cloud_id")

    return shown


def _attach_body(
    client: Client, assembly: str, instance: int, project: str | None
) -> dict[str, Any]:
    """The `attach` of a change: the assembly's id (found by name) and the ordinal."""
    document, _ = Directory(client).find(assembly, project)
    return {"assembly": str(document["id"]), "instance": instance}


@click.group("disks", invoke_without_command=True)
@click.pass_context
def disks(context: click.Context) -> None:
    """Disks of their own: list (the default), create, attach, detach, resize, delete."""
    if context.invoked_subcommand is None:  # `list`, its options read as given (none)
        with list_disks.make_context("list", [], parent=context) as listing:
            list_disks.invoke(listing)


_project = click.option(
    "--project", metavar="NAME", help="The project (when a name is in several)."
)


@disks.command("list")
@click.option("--assembly", metavar="NAME", help="Only the disks attached to this assembly.")
@click.option("--region", metavar="NAME", help="Only the disks in this region.")
@_project
@output.output_option
@client_command
def list_disks(assembly: str | None = None, region: str | None = None,
               project: str | None = None, fmt: str = "table") -> None:  # fmt: skip
    """Your disks: name, region, size, the instance it is attached to, phase, device."""
    filters = {"assembly": assembly, "region": region, "project": project}
    named.show(COLLECTION, filters, fmt, table, "no disks")


@disks.command("create")
@click.argument("name")
@click.option("--region", required=True, metavar="NAME", help="The region whose cloud holds it.")
@click.option("--size", "size_gb", required=True, type=click.IntRange(min=1), metavar="GIB",
              help="Its size in GiB.")  # fmt: skip
@click.option("--attach", "assembly", metavar="ASSEMBLY", help="Attach it to this assembly.")
@click.option("--instance", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --attach: which instance (its ordinal).")  # fmt: skip
@_project
@wait_options
@client_command
def create(name: str, *, region: str, size_gb: int, assembly: str | None, instance: int,
           project: str | None, wait: bool, timeout: float) -> None:  # fmt: skip
    """Create disk NAME (--wait: until the cloud made it, and attached it with --attach)."""
    with open_client(click.get_current_context()) as client:
        body: dict[str, Any] = {"name": name, "region": region, "size_gb": size_gb}
        if project:
            body["project"] = project
        if assembly:
            body["attach"] = _attach_body(client, assembly, instance, project)
        made = client.post(COLLECTION, body)
        click.echo(line(made))
        if wait:
            named.follow(client, made, line, _target(client, made), timeout)


def _change(name: str, project: str | None, body: dict[str, Any], *, wait: bool,
            timeout: float, done: Callable[[Client, Doc], Callable[[Doc], bool]],
            attach: tuple[str, int] | None = None) -> None:  # fmt: skip
    """PATCH disk `name` with `body` (and `attach`: to that assembly's instance), and with
    `wait` follow it until `done`."""
    with open_client(click.get_current_context()) as client:
        found = _find(client, name, project)
        if attach is not None:
            body["attach"] = _attach_body(client, attach[0], attach[1], project)
        changed = client.change(str(found["uri"]), body)
        click.echo(line(changed))
        if wait:
            named.follow(client, changed, line, done(client, changed), timeout)


@disks.command("attach")
@click.argument("name")
@click.argument("assembly")
@click.option("--instance", type=click.IntRange(min=0), default=0, show_default=True,
              help="Which instance of the assembly (its ordinal).")  # fmt: skip
@_project
@wait_options
@client_command
def attach(name: str, assembly: str, instance: int, project: str | None, wait: bool,
           timeout: float) -> None:  # fmt: skip
    """Attach disk NAME to an instance of ASSEMBLY (moving it from where it is)."""
    _change(
        name, project, {}, wait=wait, timeout=timeout, done=_target, attach=(assembly, instance)
    )


@disks.command("detach")
@click.argument("name")
@_project
@wait_options
@client_command
def detach(name: str, project: str | None, wait: bool, timeout: float) -> None:
    """Detach disk NAME from its instance, and keep it."""
    _change(name, project, {"detach": True}, wait=wait, timeout=timeout, done=_target)


@disks.command("resize")
@click.argument("name")
@click.argument("size_gb", type=click.IntRange(min=1), metavar="GIB")
@_project
@wait_options
@client_command
def resize(name: str, size_gb: int, project: str | None, wait: bool, timeout: float) -> None:
    """Grow disk NAME to GIB GiB (a disk never shrinks; the guest grows its file system)."""

    def grown(client: Client, disk: Doc) -> Callable[[Doc], bool]:
        return lambda d: int((d.get("observed") or {}).get("size_gb") or 0) >= size_gb

    _change(name, project, {"size_gb": size_gb}, wait=wait, timeout=timeout, done=grown)


@disks.command("delete")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@_project
@wait_options
@client_command
def delete(names: tuple[str, ...], project: str | None, wait: bool, timeout: float) -> None:
    """Delete disks and their data (detached first; --wait: until they are gone)."""
    with open_client(click.get_current_context()) as client:
        found = [_find(client, name, project) for name in names]  # every name first
        for item in found:
            client.delete(str(item["uri"]))
            click.echo(f"disk {item['name']}: deleting")
        if wait:
            for item in found:
                named.follow(client, item, line, lambda d: not d, timeout)
                click.echo(f"disk {item['name']}: deleted")


COMMANDS = [disks]
