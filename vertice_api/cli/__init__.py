"""The `vertice` command line.

Server-side commands (`serve`, `reconcile`, `db`, `init`, `users`, `drivers`)
work on the local installation (`VERTICE_HOME`, `VERTICE_DATABASE_URL`).
Heavy modules are imported inside each command, so `vertice --help` stays fast
and imports no cloud SDK.
"""

from __future__ import annotations

import click

from vertice_api.cli import server


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vertice")
def main() -> None:
    """vertice: declare what should run where; vertice makes the clouds match."""


for command in server.COMMANDS:
    main.add_command(command)
