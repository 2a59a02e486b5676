"""Client commands: talk to a vertice API over HTTP (`plans`, `apply`, `get`, `stop`...).

Assemblies are named as people name them; `assemblies.Directory` finds their
ids. Every command takes `--url`/`--token` (see `connect`), shows API errors
as one line, and the commands that change an assembly take `--wait`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import builds, declare, kind_commands, kinds, manifests, output
from vertice_api.cli.assemblies import Directory, Document, events_of
from vertice_api.cli.connect import Failure, client_command, open_client, until_interrupted
from vertice_api.cli.wait import wait_for, wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client


def _client() -> Client:
    return open_client(click.get_current_context())


#: Shell completion of assembly names.
complete_names = kind_commands.completer("/v3/assembly_factory")


project_option = click.option(
    "--project", metavar="NAME", help="The project of the assemblies (when a name is ambiguous)."
)
names_argument = click.argument("names", nargs=-1, required=True, shell_complete=complete_names)


def listing(path: str, fmt: str, render: Callable[[list[Document]], str], **params: Any) -> None:
    """Print every item of the collection at `path`: a table, or JSON/YAML with `-o`."""
    with _client() as client:
        items = list(client.items(path, **params))
    if fmt != "table":
        click.echo(output.dump(items, fmt))
    elif items:
        click.echo(render(items))
    else:
        click.echo("(none)", err=True)


@click.command()
@output.output_option
@client_command
def plans(fmt: str) -> None:
    """List the plans assemblies are made from."""
    listing("/v3/plan_factory", fmt, output.plans_table)


@click.command()
@output.output_option
@client_command
def regions(fmt: str) -> None:
    """List the regions to launch in, with their cloud type (`delete region NAME` deletes
    one; `--cascade-orphan` retires one still in use)."""
    listing("/v3/regions", fmt, output.regions_table)


@click.command()
@click.option("--region", metavar="NAME", help="Only the flavors offered in this region.")
@output.output_option
@client_command
def flavors(region: str | None, fmt: str) -> None:
    """List flavors: CPUs, RAM (MiB), disk (GiB), price per hour running and stopped."""
    params = {"region": region} if region else {}
    listing("/v3/flavors", fmt, output.flavors_table, **params)


def files_options(func: Any) -> Any:
    """`-f FILE|DIR` (repeatable, required) and `-R`: the files of `apply` and `diff`."""
    func = click.option("-R", "--recursive", is_flag=True,
                        help="With a directory: its subdirectories too.")(func)  # fmt: skip
    return click.option(
        "-f", "--filename", "sources", required=True, multiple=True,
        type=click.Path(allow_dash=True), help=manifests.FILES_HELP,
    )(func)  # fmt: skip


@click.command("apply")
@files_options
@click.option(
    "--project", metavar="NAME",
    help="Declare assemblies, routes, scalers and SSH keys in this project (where the file "
         "names none).",
)  # fmt: skip
@click.option(
    "--dry-run", is_flag=True,
    help="Change nothing: print what would be created, configured or replaced, and for "
         "assemblies what the reconciler would then do, as the server computes it.",
)  # fmt: skip
@click.option(
    "--replace", is_flag=True,
    help="Delete and declare anew an assembly whose plan, region, flavor (or another field "
         "that cannot change in place) the file changes: its plan is shown first; its "
         "instances are gone in between and its id changes.",
)  # fmt: skip
@wait_options
@client_command
def apply_command(
    *, sources: tuple[str, ...], recursive: bool, project: str | None, dry_run: bool,
    replace: bool, wait: bool, timeout: float,
) -> None:  # fmt: skip
    """Declare or update what files declare: assemblies (documents without `kind`), and
    documents with `kind: project|region|flavor|plan|sshkey|route|scaler`.

    Documents are applied kinds-first (projects, regions, flavors, plans, SSH
    keys, then assemblies, routes, scalers), so one file can set up a region
    and launch into it; each prints one line: `region/east created`,
    `configured` (replaced: the file said otherwise) or `unchanged`. A failure
    is one line naming the document; the others are still tried, and the exit
    is 1. An assembly whose name the project already uses gets the file's
    description, tags, desired_state, replicas and inputs through a JSON
    Patch; a file changing its plan, region, flavor (or another field that
    cannot change in place) is refused. SSH keys and projects are never
    replaced: a change is refused too.

    Secrets stay out of the files: in any document, any string value that is
    exactly ${VAR} is replaced by the environment variable VAR (unset: an
    error naming it), and any object {fromFile: PATH} by that file's content
    (PATH relative to the document's file; whitespace at the end stripped).
    This applies to every value, not only credentials and passwords; the
    values are never printed.

    `--dry-run` changes nothing and prints each line with `(dry run)`; `vertice
    diff -f` shows the fields too.
    """
    declared = manifests.collect(sources, recursive=recursive)
    options = declare.Options(dry_run=dry_run, replace=replace, timeout=timeout)
    with _client() as client:
        outcome = declare.apply_all(client, declared, project, options)
        if wait and outcome.tracked and not dry_run:
            wait_for(client, outcome.tracked, timeout)
    outcome.finish("failed")


class DiffFailed(Failure):
    """A document `diff` could not compare (exit 2: 1 means differences)."""

    exit_code = 2


@click.command("diff")
@files_options
@click.option("--project", metavar="NAME", help="As for apply.")
@click.option("--replace", is_flag=True, help="As for apply: show a replacement, not an error.")
@client_command
def diff_command(sources: tuple[str, ...], recursive: bool, project: str | None,
                 replace: bool) -> None:  # fmt: skip
    """Show what `apply -f` would change, changing nothing: for each document that differs,
    its line, each field as `name: before -> after`, and for assemblies what the reconciler
    would then do and why (`would create instance 3 (east): ...`), as the server computes
    it. An assembly the files leave as it is shows only the work its reconciler has pending.

    Exit status: 0 when nothing differs, 1 when something does, 2 when a document could
    not be compared (one line each)."""
    declared = manifests.collect(sources, recursive=recursive)
    options = declare.Options(diff=True, replace=replace)
    with _client() as client:
        outcome = declare.apply_all(client, declared, project, options)
    if outcome.failed:
        try:
            outcome.finish("could not be compared")
        except Failure as exc:
            raise DiffFailed(exc.message) from None
    if outcome.differs:
        raise SystemExit(1)


class _Kinds(click.Group):
    """A group of kinds (`kinds.KINDS`, and builds), each named in the plural, the singular
    or an alias (`assemblies`, `assembly`, `asm`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, singular, plural or alias."""
        kind = kinds.lookup(cmd_name)
        if kind is not None:
            cmd_name = kind.name
        elif cmd_name == "build":
            cmd_name = "builds"
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Kinds)
def get() -> None:
    """List any kind: assemblies, routes, scalers, builds, plans, regions, flavors, sshkeys,
    projects, users, tokens, events (`vertice get assemblies`, `vertice get plans NAME -o
    yaml`); `-o wide|json|yaml|name`, `--watch`."""


@click.group(cls=_Kinds)
def describe() -> None:
    """Show an item of any kind in detail (`vertice describe assembly NAME`, `vertice describe
    route HOSTNAME`, `vertice describe scaler ASSEMBLY`, `vertice describe build ID`, `vertice
    describe region NAME`...)."""


@click.command()
@click.argument("name", shell_complete=complete_names)
@project_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events (Ctrl-C stops).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="With --follow: seconds between two looks.",
)
@client_command
def events(name: str, project: str | None, follow: bool, interval: float) -> None:
    """Show an assembly's events, oldest first; --follow for new ones."""
    from vertice_api.client import ApiError

    with _client() as client:
        document, _ = Directory(client).find(name, project)
        found = events_of(client, document)
        for line in output.events_lines(found):
            click.echo(line)
        last = int(found[-1]["id"]) if found else 0
        with until_interrupted() as stop:  # Ctrl-C is how one stops following
            while follow and not stop.wait(interval):
                try:
                    found = events_of(client, document, after=last)
                except ApiError as exc:
                    if exc.status != 404:
                        raise
                    click.echo(f"{name} is gone")
                    return
                for line in output.events_lines(found):
                    click.echo(line)
                last = int(found[-1]["id"]) if found else last


for kind in kinds.KINDS:
    get.add_command(kind_commands.get_command(kind))
    if kind.describable:
        describe.add_command(kind_commands.describe_command(kind))
get.add_command(builds.builds)
describe.add_command(builds.describe_build)


COMMANDS = [plans, regions, flavors, apply_command, diff_command, get, describe, events]
