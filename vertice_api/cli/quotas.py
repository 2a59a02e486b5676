"""`vertice quotas [--project P]`, `vertice quotas set PROJECT ...` and `vertice quotas
lift PROJECT`: what projects may declare, and what they declare (`/v3/quotas`).

The table shows one line per resource of each quota: `used/limit` (`-` for no
limit), so a user sees what is left before a launch is refused. Administrators set
and lift quotas, over all regions or in one (`--region`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import click

from vertice_api.cli import output
from vertice_api.cli.client import listing
from vertice_api.cli.connect import client_command, open_client


def quotas_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`quotas`: project, region, then `used/limit` of each resource."""
    # Here, not at the top: the model package costs `vertice --help` about 0.1 s.
    from vertice_core.model.quota import RESOURCES, UNITS

    rows = []
    for item in items:
        limits, usage = item.get("limits") or {}, item.get("usage") or {}
        cells = []
        for resource in RESOURCES:
            limit = limits.get(resource)
            cells.append(f"{usage.get(resource, 0)}/{'-' if limit is None else limit}")
        rows.append([item.get("project"), item.get("region") or "(all)", *cells])
    headers = ["PROJECT", "REGION", *(f"{r.upper()}{UNITS[r].upper()}" for r in RESOURCES)]
    return output.table(headers, rows)


@click.group(invoke_without_command=True)
@click.option("--project", metavar="NAME", help="Only this project's.")
@output.output_option
@click.pass_context
@client_command
def quotas(ctx: click.Context, project: str | None, fmt: str) -> None:
    """Your projects' quotas (administrators: every project's): used/limit of instances,
    vCPUs, RAM (MiB), disk (GiB) and routes; `-` is no limit."""
    if ctx.invoked_subcommand is None:
        listing("/v3/quotas", fmt, quotas_table, **({"project": project} if project else {}))


def _uri(project: str, region: str | None) -> str:
    uri = f"/v3/quotas/{quote(project, safe='')}"
    return uri if region is None else f"{uri}/{quote(region, safe='')}"


@quotas.command("set")
@click.argument("project")
@click.option("--region", metavar="NAME", help="Limit this region only (else all together).")
@click.option("--instances", type=click.IntRange(min=0), help="Instances (replicas).")
@click.option("--vcpus", type=click.IntRange(min=0), help="vCPUs.")
@click.option("--ram", type=click.IntRange(min=0), metavar="MIB", help="RAM in MiB.")
@click.option("--disk", type=click.IntRange(min=0), metavar="GIB", help="Disk in GiB.")
@click.option("--routes", type=click.IntRange(min=0), help="Routes (not with --region).")
@click.pass_context
@client_command
def set_quota(
    ctx: click.Context, /, project: str, region: str | None, **limits: int | None
) -> None:
    """Set PROJECT's quota (administrators): the limits given; those not given are lifted.
    A launch, scale or route that would go over a limit is refused (403)."""
    with open_client(ctx) as client:
        answer = client.request("PUT", _uri(project, region), body=limits).json()
    click.echo(quotas_table([answer]))


@quotas.command("lift")
@click.argument("project")
@click.option("--region", metavar="NAME", help="The quota of this region.")
@click.pass_context
@client_command
def lift_quota(ctx: click.Context, project: str, region: str | None) -> None:
    """Lift PROJECT's quota (administrators)."""
    with open_client(ctx) as client:
        client.delete(_uri(project, region))
    where = f" in region {region}" if region else ""
    click.echo(f"quota of project {project}{where} lifted")


COMMANDS = [quotas]
