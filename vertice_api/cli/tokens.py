"""`vertice tokens list` and `vertice tokens revoke ID...`: the caller's API tokens.

Both are the `tokens` kind of `kinds` (what `get tokens` and `delete token` do),
under the name people look for. A revoked token is refused from then on.
"""

from __future__ import annotations

import click

from vertice_api.cli import kind_commands, kinds
from vertice_api.cli.connect import client_command, open_client


@click.group("tokens")
def tokens() -> None:
    """List or revoke your API tokens (`vertice tokens list`, `vertice tokens revoke ID`)."""


tokens.add_command(kind_commands.get_command(kinds.TOKENS), "list")


@tokens.command("revoke")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.pass_context
@client_command
def revoke(ctx: click.Context, ids: tuple[str, ...]) -> None:
    """Revoke tokens ID...: the API refuses them from now on (yours, or anyone's for an
    administrator)."""
    with open_client(ctx) as client:
        kind_commands.delete(client, kinds.TOKENS, ids, kinds.Query())


COMMANDS = [tokens]
