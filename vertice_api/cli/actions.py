"""`replace`, `delete`, `scale`, `resize`, `rotate`: desired state.

Actions are desired state, not commands (the power ones, `stop`, `start`, `restart`,
`suspend` and `resume`, are in `vertice_api.cli.power`): replace raises `replace_count`
by one (with `If-Match`: every instance replaced, one at a time), delete asks for
deletion (202), scale replaces `replicas` (with `If-Match`), resize replaces `flavor`
the same way (the instances are resized in place), rotate removes plan inputs so that
they are generated anew (or defaulted). Every name is resolved before anything is
changed, so a typo changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from vertice_api.cli import declare, kind_commands, kinds, manifests, orphans
from vertice_api.cli.acting import action, patch_current, raise_counter, run
from vertice_api.cli.assemblies import Directory, Document
from vertice_api.cli.client import complete_names, project_option
from vertice_api.cli.connect import Failure, client_command, open_client
from vertice_api.cli.wait import Tracked, wait_for, wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client


def _delete(client: Client, document: Document, _etag: str | None) -> tuple[Document, str]:
    answer = client.delete(document["uri"])
    return answer or document, f"{document['name']}: delete requested"


def _deleting_with(*what: str) -> Callable[[Client, Document, str | None], tuple[Document, str]]:
    """The delete of an assembly with its `what` (`snapshots`, `disks`) too."""

    def act(client: Client, document: Document, _etag: str | None) -> tuple[Document, str]:
        answer = client.delete(document["uri"], **{f"with_{w}": "true" for w in what})
        return answer or document, (f"{document['name']}: delete requested, with its "
                                    f"{' and '.join(what)}")  # fmt: skip

    return act


replace = action(
    "replace",
    lambda _hard: raise_counter("replace_count", "replacement"),
    "Replace every instance of assemblies NAMES, one at a time: each new instance runs "
    "before the old one is drained and deleted (replace_count + 1). With --wait, until "
    "every instance is new.",
    until="replaced",
)


@click.command("delete")
@click.argument("names", nargs=-1, shell_complete=complete_names)
@click.option(
    "-f", "--filename", "sources", multiple=True, type=click.Path(allow_dash=True),
    help=f"Delete what files declare instead. {manifests.FILES_HELP}",
)  # fmt: skip
@click.option("-R", "--recursive", is_flag=True, help="With a directory: its subdirectories too.")
@project_option
@wait_options
@click.option(
    "--orphan",
    is_flag=True,
    help="Remove the assemblies now, calling no cloud (unreachable or retired): their "
    "instances keep running there, no longer managed nor billed.",
)
@click.option(
    "--cascade-orphan",
    is_flag=True,
    help="With `delete region NAMES`: orphan every assembly of the regions first (as "
    "--orphan does), then delete them. Asks first, unless --yes.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask before --cascade-orphan.")
@click.option(
    "--with-snapshots",
    is_flag=True,
    help="Delete the snapshots made of the assemblies too (kept otherwise); refused, "
    "deleting nothing, while another assembly was restored from one.",
)
@click.option(
    "--with-disks",
    is_flag=True,
    help="Delete the disks attached to the assemblies too, data and all (detached and "
    "kept otherwise).",
)
@client_command
def delete(
    names: tuple[str, ...],
    *,
    sources: tuple[str, ...],
    recursive: bool,
    project: str | None,
    wait: bool,
    timeout: float,
    orphan: bool,
    cascade_orphan: bool,
    yes: bool,
    with_snapshots: bool,
    with_disks: bool,
) -> None:
    """Delete assemblies NAMES, in any phase; `delete KIND NAMES...` deletes items of another
    kind: `delete route HOSTNAME...`, `delete scaler ASSEMBLY...`, `delete sshkey NAME`,
    `delete token ID`, `delete project NAME`; regions, flavors, plans and users are the
    administrators' (the API refuses others).

    A region still in use is retired with `delete region NAME --cascade-orphan`:
    every assembly homed there is orphaned (see --orphan), then the region is
    deleted.

    `delete -f FILE|DIR` deletes what the files of `apply -f` declare, in the
    reverse order (scalers, routes, assemblies first; then, once the
    assemblies are gone, SSH keys, plans, flavors, regions, projects); what
    is already gone is a `not found` line, not an error."""
    kind = kinds.lookup(names[0]) if len(names) > 1 else None
    _check_orphaning(kind, orphan, cascade_orphan)
    for flag, given in (("snapshots", with_snapshots), ("disks", with_disks)):
        if given and (orphan or sources or kind not in (None, kinds.ASSEMBLIES)):
            raise Failure(f"--with-{flag} deletes the assemblies named, with their {flag}: "
                          "not with --orphan, -f or another kind")  # fmt: skip
    if sources:
        if names or orphan:
            raise click.UsageError("-f deletes what files declare: give no NAMES nor --orphan")
        _delete_files(sources, recursive, project, wait, timeout)
        return
    if not names:
        raise click.UsageError("give the NAMES to delete, or -f FILE")
    if kind is not None and kind is not kinds.ASSEMBLIES:
        with open_client(click.get_current_context()) as client:
            if cascade_orphan:
                orphans.retire(client, names[1:], ask=not yes)
            else:
                kind_commands.delete(client, kind, names[1:], kinds.Query(project))
        return
    if kind is kinds.ASSEMBLIES:
        names = names[1:]
    extra = [w for w, given in (("snapshots", with_snapshots), ("disks", with_disks)) if given]
    act = orphans.act if orphan else _deleting_with(*extra) if extra else _delete
    run(names, project, wait and not orphan, timeout, act, "gone")


def _check_orphaning(kind: kinds.Kind | None, orphan: bool, cascade_orphan: bool) -> None:
    """`--orphan` deletes assemblies, `--cascade-orphan` regions: either with another kind
    is one error line, rather than a delete that is not the one asked for."""
    if cascade_orphan and kind is not kinds.REGIONS:
        raise Failure(
            "--cascade-orphan deletes regions only: vertice delete region NAME --cascade-orphan"
        )
    if orphan and kind is not None and kind is not kinds.ASSEMBLIES:
        raise Failure(
            f"--orphan deletes assemblies only, not {kind.name}"
            + (": a region takes --cascade-orphan" if kind is kinds.REGIONS else "")
        )


def _delete_files(
    sources: tuple[str, ...], recursive: bool, project: str | None, wait: bool, timeout: float
) -> None:
    """`delete -f`: every document of the files, last kind first."""
    declared = manifests.collect(sources, recursive=recursive)
    with open_client(click.get_current_context()) as client:
        outcome = declare.delete_all(client, declared, project, wait, timeout)
    outcome.finish("could not be deleted")


@click.command("scale")
@click.argument("name", shell_complete=complete_names)
@click.option(
    "--replicas",
    type=click.IntRange(min=0),
    required=True,
    metavar="N",
    help="How many instances should run (0 stops and removes them all).",
)
@project_option
@wait_options
@client_command
def scale(name: str, replicas: int, project: str | None, wait: bool, timeout: float) -> None:
    """Scale assembly NAME to N instances.

    With --wait, waits until N instances are ready and the assembly is Ready
    and Synced, showing each change.
    """
    _set(name, project, "replicas", replicas, wait, timeout,
         already=f"already {replicas} replicas", requested=f"scale to {replicas} requested",
         until=replicas)  # fmt: skip


def _set(
    name: str,
    project: str | None,
    field: str,
    value: object,
    wait: bool,
    timeout: float,
    *,
    already: str,
    requested: str,
    until: int | None = None,
) -> None:
    """Replace `field` of assembly `name` with `value` (with `If-Match`, retried), unless
    it has it already; with `wait`, until it is Ready (with `until` ready instances)."""
    with open_client(click.get_current_context()) as client:
        document, etag = Directory(client).find(name, project)
        if document.get(field) == value:
            click.echo(f"{name}: {already}")
        else:
            document = patch_current(
                client,
                document,
                etag,
                lambda _: [{"op": "replace", "path": f"/{field}", "value": value}],
            )
            click.echo(f"{name}: {requested}")
        if wait:
            wait_for(client, [Tracked.of(document, replicas=until)], timeout)


@click.command("resize")
@click.argument("name", shell_complete=complete_names)
@click.argument("flavor")
@project_option
@wait_options
@client_command
def resize(name: str, flavor: str, project: str | None, wait: bool, timeout: float) -> None:
    """Resize the instances of assembly NAME to FLAVOR, in place: each keeps its disk and
    identity (the cloud stops it for the change where it must, then starts it again). The
    region's driver must support it (the `resize` capability: `vertice regions` lists
    them); quotas count the new flavor. With --wait, until the assembly is Ready again."""
    _set(name, project, "flavor", flavor, wait, timeout, already=f"already flavor {flavor}",
         requested=f"resize to {flavor} requested")  # fmt: skip


@click.command("rotate")
@click.argument("name", shell_complete=complete_names)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@project_option
@wait_options
@client_command
def rotate(
    name: str, inputs: tuple[str, ...], project: str | None, wait: bool, timeout: float
) -> None:
    """Give the inputs INPUT... of assembly NAME new values: a generated secret (a database's
    password) is generated anew and printed this once; any other input goes back to the
    plan's default. The instances are then replaced one at a time, and assemblies bound to
    NAME follow with the new values. With --wait, until every instance is new."""
    with open_client(click.get_current_context()) as client:
        document, etag = Directory(client).find(name, project)
        known = [*(document.get("inputs") or {}), *(document.get("secret_inputs") or [])]
        unknown = [i for i in inputs if i not in known]
        if unknown:
            raise Failure(
                f"{name} has no input {', '.join(unknown)} (it has: {', '.join(known) or 'none'})"
            )
        removals: list[dict[str, object]] = [
            {"op": "remove", "path": f"/inputs/{i}"} for i in dict.fromkeys(inputs)
        ]
        patched = patch_current(client, document, etag, lambda _: removals)
        generated = patched.get("generated_inputs") or {}
        for key in dict.fromkeys(inputs):
            if key in generated:
                click.echo(f"{name}: {key}: {generated[key]}  (generated: shown this once)")
            else:
                value = (patched.get("inputs") or {}).get(key, "")
                click.echo(f"{name}: {key}: back to the plan's default {value!r}")
        click.echo(f"{name}: replacement requested (replace_count {patched['replace_count']})")
        if wait:
            wait_for(client, [Tracked.of(patched, "replaced")], timeout)


COMMANDS = [replace, delete, scale, resize, rotate]
