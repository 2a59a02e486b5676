"""Route commands: `vertice routes`, `get routes`, `describe route`, `delete route`, and
the routes of `apply -f` (documents with `kind: route`).

A route is named by its hostname (unique in the installation) or its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import output
from vertice_api.cli.connect import Failure, client_command, find_item, list_items, open_client

if TYPE_CHECKING:
    from vertice_api.client import Client

Document = dict[str, Any]

#: The `kind` that marks a route in a file given to `apply -f`.
KIND = "route"


def find(client: Client, ref: str) -> Document:
    """The caller's route with hostname (or id) `ref`; a one-line error when there is none."""
    missing = f"no route {ref!r} (vertice routes lists yours)"
    return find_item(client, "/v3/routes", ref, ("hostname", "id"), missing)


#: The columns of `routes`: hostname, path, assembly, port, TLS, phase, upstreams, URL.
COLUMNS: tuple[output.Column, ...] = (
    ("HOSTNAME", lambda r: r.get("hostname")),
    ("PATH", lambda r: r.get("path_prefix") or "/"),
    ("ASSEMBLY", lambda r: str(r.get("assembly_uri", "")).rsplit("/", 1)[-1]),
    ("PORT", lambda r: r.get("port")),
    ("TLS", lambda r: r.get("tls")),
    ("PHASE", lambda r: r.get("status", {}).get("phase")),
    ("UPSTREAMS", lambda r: len(r.get("status", {}).get("upstreams", []))),
    ("URL", lambda r: r.get("url")),
)
#: What `-o wide` adds: the project, the balancing and the id.
WIDE: tuple[output.Column, ...] = (
    ("PROJECT", lambda r: r.get("project")),
    ("BALANCING", lambda r: r.get("balancing")),
    ("ID", lambda r: r.get("id")),
)


def table(items: Sequence[Mapping[str, Any]], *, wide: bool = False) -> str:
    """Routes as a table: `COLUMNS` (and `WIDE` when `wide`)."""
    return output.columns_table(COLUMNS + (WIDE if wide else ()), items)


def describe_text(route: Mapping[str, Any]) -> str:
    """`describe route`: the declaration, where it is reached, and how the proxy serves it."""
    status = route.get("status", {})
    field = output.field
    lines = [
        field("Hostname", route.get("hostname")),
        field("ID", route.get("id")),
        field("Project", route.get("project")),
        field("Path prefix", route.get("path_prefix") or "(every path)"),
        field("Assembly", route.get("assembly_uri")),
        field("Port", route.get("port")),
        field("TLS", route.get("tls")),
        field("Balancing", route.get("balancing")),
        field("Health check", _health(route.get("health_check"))),
        field("URL", route.get("url")),
        field("Router", status.get("router") or "-"),
        field("Phase", status.get("phase")),
        field("Message", status.get("message") or ""),
        "Upstreams:",
        *(f"  {u}" for u in status.get("upstreams", []) or ["(none)"]),
        "Conditions:",
        output.indent(output.conditions_table(status.get("conditions", []))),
    ]
    return "\n".join(line.rstrip() for line in lines)


def apply(client: Client, declaration: Mapping[str, Any]) -> tuple[Document, str]:
    """Declare the route of a file; one with the same declaration already there is unchanged."""
    from vertice_api.client import ApiError

    body = {k: v for k, v in declaration.items() if k != "kind"}
    hostname = body.get("hostname")
    try:
        created = client.post("/v3/routes", body)
    except ApiError as exc:
        if exc.status != 409 or not isinstance(hostname, str):
            raise
        existing = _mine(client, hostname)
        if existing is None or not same(existing, body):
            raise
        return existing, f"route {hostname} unchanged"
    return created, f"route {hostname} created ({created.get('id')})"


def _mine(client: Client, hostname: str) -> Document | None:
    try:
        return find(client, hostname)
    except Failure:
        return None


def _health(check: Any) -> str:
    """A route's active health check on one line, or `-`."""
    if not isinstance(check, Mapping):
        return "-"
    return (
        f"GET {check.get('path')} every {check.get('interval')}s (timeout {check.get('timeout')}s)"
    )


def same(existing: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether a declared route says what the file does (the assembly by name or id)."""
    defaults = {"path_prefix": "", "tls": "internal", "balancing": "round_robin"}
    for key in ("port", "path_prefix", "tls", "balancing"):
        if body.get(key, defaults.get(key)) != existing.get(key):
            return False
    given, stored = body.get("health_check"), existing.get("health_check")
    if not isinstance(given, Mapping) or not isinstance(stored, Mapping):
        return given == stored
    return {"interval": 5.0, "timeout": 2.0, **given} == stored


def delete(client: Client, refs: Sequence[str]) -> None:
    """Delete the named routes, one line each."""
    for ref in refs:
        route = find(client, ref)
        client.delete(route["uri"])
        click.echo(f"route {route['hostname']}: deleted")


@click.command("routes")
@output.output_option
@client_command
def routes(fmt: str) -> None:
    """List your routes: hostname, path, assembly, port, TLS, phase, upstreams, URL."""
    list_items("/v3/routes", fmt, table, "routes")


@click.command("routes")
@click.argument("ref", metavar="HOSTNAME")
@client_command
def describe_route(ref: str) -> None:
    """Show a route: its declaration, URL, upstreams and conditions."""
    with open_client(click.get_current_context()) as client:
        click.echo(describe_text(find(client, ref)))


COMMANDS = [routes]
