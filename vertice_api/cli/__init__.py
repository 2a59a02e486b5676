"""The `vertice` command line.

Server-side commands (`serve`, `reconcile`, `db`, `init`, `users`, `drivers`)
work on the local installation (`VERTICE_HOME`, `VERTICE_DATABASE_URL`).
Client commands (`login`, `plans`, `apply`, `get`, `describe`, `routes`, `scalers`, `build`,
`logs`, `stop`, `quotas`, `usage`, `balance`, `snapshot`...)
talk to a vertice API over HTTP (`--url`/`--token`, `VERTICE_URL`/
`VERTICE_TOKEN`, or what `vertice login` saved).
Heavy modules are imported inside each command, so `vertice --help` stays fast
and imports no cloud SDK nor the HTTP client.
"""

from __future__ import annotations

import click

from vertice_api.cli import (
    actions,
    billing,
    builds,
    client,
    disks,
    local,
    power,
    projects,
    quotas,
    routes,
    scalers,
    server,
    snapshots,
    tokens,
)


class _Sections(click.Group):
    """Lists the client commands and the server-side commands apart in `--help`."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the two sections of commands."""
        server_side = {command.name for command in server.COMMANDS}
        names = self.list_commands(ctx)
        for title, chosen in (
            (
                "Client commands (a vertice API over HTTP)",
                [n for n in names if n not in server_side],
            ),
            ("Server commands (this installation)", [n for n in names if n in server_side]),
        ):
            limit = formatter.width - 6 - max((len(n) for n in chosen), default=0)
            rows = [(n, self.commands[n].get_short_help_str(limit)) for n in chosen]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


@click.group(cls=_Sections, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vertice-core")
def main() -> None:
    """vertice: declare what should run where; vertice makes the clouds match."""


for command in [
    *local.COMMANDS,
    client.plans,
    client.regions,
    client.flavors,
    client.apply_command,
    client.diff_command,
    client.get,
    client.describe,
    routes.routes,
    scalers.scalers,
    builds.build,
    builds.deploy,
    builds.rollback,
    builds.webhook,
    builds.builds,
    builds.logs,
    builds.cancel,
    *power.COMMANDS,
    *actions.COMMANDS,
    client.events,
    *projects.COMMANDS,
    *tokens.COMMANDS,
    *quotas.COMMANDS,
    *billing.COMMANDS,
    *snapshots.COMMANDS,
    *disks.COMMANDS,
    *server.COMMANDS,
]:
    main.add_command(command)
