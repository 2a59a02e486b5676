"""Client commands: talk to a vertice API over HTTP (`plans`, `apply`, `get`, `stop`...).

Assemblies are named as people name them; `assemblies.Directory` finds their
ids. Every command takes `--url`/`--token` (see `connect`), shows API errors
as one line, and the commands that change an assembly take `--wait`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import builds, kinds, orphans, output, routes, scalers
from vertice_api.cli.assemblies import Directory, Document, apply, events_of, label, load
from vertice_api.cli.connect import Failure, client_command, explain, open_client
from vertice_api.cli.wait import Tracked, wait_for, wait_options

if TYPE_CHECKING:
    from vertice_api.client import Client


def _client() -> Client:
    return open_client(click.get_current_context())


#: Shell completion of assembly names.
complete_names = kinds.completer("/v3/assembly_factory")


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


@click.group(invoke_without_command=True)
@output.output_option
@click.pass_context
@client_command
def regions(ctx: click.Context, fmt: str) -> None:
    """List the regions to launch in, with their cloud type; `regions delete NAME`."""
    if ctx.invoked_subcommand is None:
        listing("/v3/regions", fmt, output.regions_table)


regions.add_command(orphans.delete_region)


@click.command()
@click.option("--region", metavar="NAME", help="Only the flavors offered in this region.")
@output.output_option
@client_command
def flavors(region: str | None, fmt: str) -> None:
    """List flavors: CPUs, RAM (MiB), disk (GiB), price per hour."""
    params = {"region": region} if region else {}
    listing("/v3/flavors", fmt, output.flavors_table, **params)


@click.command("apply")
@click.option(
    "-f",
    "--filename",
    "source",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="JSON or YAML file of one declaration, a list, or YAML documents (- reads stdin).",
)
@click.option(
    "--project", metavar="NAME", help="Declare in this project (where the file names none)."
)
@wait_options
@client_command
def apply_command(source: str, project: str | None, wait: bool, timeout: float) -> None:
    """Declare or update assemblies (and routes and scalers: documents with `kind: route` or
    `kind: scaler`) from a JSON or YAML file.

    Each declaration is POSTed to the API. An assembly whose name the
    project already uses gets the file's description, tags, desired_state and
    replicas through a JSON Patch instead; plan, region and flavor cannot
    change in place (a warning says so).
    """
    declarations = load(source)
    tracked, failed = [], []
    with _client() as client:
        from vertice_api.client import ApiError

        directory = Directory(client)
        for number, declaration in enumerate(declarations, 1):
            if project and "project" not in declaration:
                declaration["project"] = project
            try:
                kind = declaration.get("kind")
                if kind in (routes.KIND, scalers.KIND):
                    module = routes if kind == routes.KIND else scalers
                    _, line = module.apply(client, declaration)
                    click.echo(line)
                    continue
                document, line = apply(client, directory, declaration)
            except (ApiError, Failure) as exc:
                message = explain(exc) if isinstance(exc, ApiError) else exc.message
                failed.append(f"{label(declaration, number)}: {message}")
                if len(declarations) > 1:
                    Failure(failed[-1]).show()
                continue
            click.echo(line)
            # A file that names replicas waits for that many ready instances too.
            replicas = declaration.get("replicas")
            tracked.append(
                Tracked.of(document, replicas=replicas if type(replicas) is int else None)
            )
        if wait and tracked:
            wait_for(client, tracked, timeout)
    if len(declarations) == 1 and failed:
        raise Failure(failed[0])
    if failed:
        raise Failure(f"{len(failed)} of {len(declarations)} declarations failed")


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
        try:
            while follow:
                time.sleep(interval)
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
        except KeyboardInterrupt:
            return  # Ctrl-C is how one stops following


for kind in kinds.KINDS:
    get.add_command(kinds.get_command(kind))
    if kind.describable:
        describe.add_command(kinds.describe_command(kind))
get.add_command(builds.builds)
describe.add_command(builds.describe_build)
