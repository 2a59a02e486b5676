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

import importlib

import click

#: Each module of a command (under `vertice_api.cli`) and the names of its commands, in
#: its `COMMANDS`. A module is imported when one of its commands runs (or for `--help`,
#: which lists them all), not at start: `vertice serve` and `vertice reconcile` then load
#: the server commands alone, in the API workers and the reconciler alike (the client
#: commands and what they import were 1.4 MB of Python objects in each).
#: `tests/test_cli_lazy.py` holds this table equal to the modules' `COMMANDS`.
MODULES: dict[str, tuple[str, ...]] = {
    "local": ("login", "logout", "completion"),
    "client": ("plans", "regions", "flavors", "apply", "diff", "get", "describe", "events"),
    "routes": ("routes",),
    "scalers": ("scalers",),
    "builds": ("build", "deploy", "rollback", "webhook", "builds", "logs", "cancel"),
    "power": ("stop", "start", "restart", "suspend", "resume"),
    "actions": ("replace", "delete", "scale", "resize", "rotate"),
    "projects": ("projects", "invitations"),
    "tokens": ("tokens",),
    "quotas": ("quotas",),
    "billing": ("usage", "balance", "credit"),
    "snapshots": ("snapshot",),
    "disks": ("disks",),
    "server": ("db", "init", "users", "drivers", "serve", "reconcile", "adopt"),
}
_MODULE_OF = {name: module for module, names in MODULES.items() for name in names}


class _Commands(click.Group):
    """Finds a command in its module on first use (`MODULES`), and lists the client
    commands and the server-side commands apart in `--help`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted (as click's own groups list them)."""
        return sorted(set(_MODULE_OF) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, its module imported the first time."""
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            module = importlib.import_module(f"{__name__}.{_MODULE_OF[cmd_name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the two sections of commands."""
        server_side = set(MODULES["server"])
        names = self.list_commands(ctx)
        for title, chosen in (
            (
                "Client commands (a vertice API over HTTP)",
                [n for n in names if n not in server_side],
            ),
            ("Server commands (this installation)", [n for n in names if n in server_side]),
        ):
            limit = formatter.width - 6 - max((len(n) for n in chosen), default=0)
            rows = []
            for name in chosen:
                command = self.get_command(ctx, name)
                if command is not None:
                    rows.append((name, command.get_short_help_str(limit)))
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vertice-core")
def main() -> None:
    """vertice: declare what should run where; vertice makes the clouds match."""
