"""`vertice projects [create [NAME]|invite]` and `vertice invitations [accept|decline]`.

A project's members invite users by name; a user joins by accepting (the API's
`/v3/invitations`). Every command prints one line of what it did, or the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from vertice_api.cli import output
from vertice_api.cli.client import listing
from vertice_api.cli.connect import client_command, open_client
from vertice_api.cli.kinds import PROJECTS


def invitations_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`invitations`: id, project, who invited, when."""
    rows = [[i.get("name"), i.get("project"), i.get("invited_by"), i.get("created_at")]
            for i in items]  # fmt: skip
    return output.table(["ID", "PROJECT", "INVITED BY", "SINCE"], rows)


@click.group(invoke_without_command=True)
@output.output_option
@click.pass_context
@client_command
def projects(ctx: click.Context, fmt: str) -> None:
    """List your projects (administrators: all): members and invited users."""
    if ctx.invoked_subcommand is None:
        listing("/v3/projects", fmt, PROJECTS.render)


@projects.command("create")
@click.argument("name", required=False)
@click.option("--description", default="", help="What the project is for.")
@click.pass_context
@client_command
def create_project(ctx: click.Context, name: str | None, description: str) -> None:
    """Create project NAME (none given: the API makes one up); you are its first member."""
    body = {"description": description} | ({"name": name} if name else {})
    with open_client(ctx) as client:
        made = client.post("/v3/projects", body)
    click.echo(f"project {made['name']} created")


@projects.command("invite")
@click.argument("project")
@click.argument("users", nargs=-1, required=True)
@click.pass_context
@client_command
def invite(ctx: click.Context, project: str, users: tuple[str, ...]) -> None:
    """Invite USERS to PROJECT: each joins by accepting (`vertice invitations accept ID`)."""
    with open_client(ctx) as client:
        for user in users:
            client.post(f"/v3/projects/{project}/members", {"user": user})
            click.echo(f"{user} invited to {project}")


@click.group(invoke_without_command=True)
@output.output_option
@click.pass_context
@client_command
def invitations(ctx: click.Context, fmt: str) -> None:
    """List the invitations to join a project that wait for your answer."""
    if ctx.invoked_subcommand is None:
        listing("/v3/invitations", fmt, invitations_table)


@invitations.command("accept")
@click.argument("invitation_id", metavar="ID")
@click.pass_context
@client_command
def accept(ctx: click.Context, invitation_id: str) -> None:
    """Accept invitation ID: you become a member of its project."""
    with open_client(ctx) as client:
        joined = client.post(f"/v3/invitations/{invitation_id}/accept", None)
    click.echo(f"you are a member of {joined['name']}")


@invitations.command("decline")
@click.argument("invitation_id", metavar="ID")
@click.pass_context
@client_command
def decline(ctx: click.Context, invitation_id: str) -> None:
    """Decline invitation ID."""
    with open_client(ctx) as client:
        client.delete(f"/v3/invitations/{invitation_id}")
    click.echo(f"invitation {invitation_id} declined")


COMMANDS = [projects, invitations]
