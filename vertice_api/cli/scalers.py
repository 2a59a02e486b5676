"""Scaler commands: `vertice scalers`, `get scalers`, `describe scaler`, `delete scaler`, and
the scalers of `apply -f` (documents with `kind: scaler`).

A scaler is named by its assembly's name (an assembly has at most one) or its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import output
from vertice_api.cli.connect import client_command, find_item, list_items, open_client

if TYPE_CHECKING:
    from vertice_api.client import Client

Document = dict[str, Any]

#: The `kind` that marks a scaler in a file given to `apply -f`.
KIND = "scaler"

#: What `apply -f` of an existing scaler may change (the API's PATCH).
CHANGEABLE = ("min", "max", "query", "target", "tolerance", "scale_up_window",
              "scale_down_window", "cooldown", "max_step")  # fmt: skip


def find(client: Client, ref: str) -> Document:
    """The caller's scaler of the assembly named `ref` (or with id `ref`); a one-line error."""
    missing = f"no scaler {ref!r} (vertice scalers lists yours)"
    return find_item(client, "/v3/scalers", ref, ("assembly", "id"), missing)


def _active(scaler: Mapping[str, Any]) -> str:
    """The `ScalingActive` condition in a word: `yes`, or its reason."""
    for cond in scaler.get("status", {}).get("conditions", []):
        if cond.get("type") == "ScalingActive":
            return "yes" if cond.get("status") == "True" else str(cond.get("reason"))
    return "-"


#: The columns of `scalers`: assembly, bounds, target, last value, replicas, whether active.
COLUMNS: tuple[output.Column, ...] = (
    ("ASSEMBLY", lambda s: s.get("assembly") or "(gone)"),
    ("MIN", lambda s: s.get("min")),
    ("MAX", lambda s: s.get("max")),
    ("TARGET", lambda s: f"{s.get('target'):g} {s.get('target_type')}"),
    ("VALUE", lambda s: "-" if s["status"].get("value") is None else f"{s['status']['value']:g}"),
    ("REPLICAS", lambda s: "-" if s["status"].get("replicas") is None else s["status"]["replicas"]),
    ("ACTIVE", _active),
    ("ID", lambda s: s.get("id")),
)
#: What `-o wide` adds: the project, the query and the last scale.
WIDE: tuple[output.Column, ...] = (
    ("PROJECT", lambda s: s.get("project")),
    ("QUERY", lambda s: s.get("query")),
    ("LAST SCALE", lambda s: s.get("status", {}).get("last_scale_time") or "never"),
)


def table(items: Sequence[Mapping[str, Any]], *, wide: bool = False) -> str:
    """Scalers as a table: `COLUMNS` (and `WIDE` when `wide`)."""
    return output.columns_table(COLUMNS + (WIDE if wide else ()), items)


def describe_text(scaler: Mapping[str, Any]) -> str:
    """`describe scaler`: the declaration, the last value and decision, and the conditions."""
    status = scaler.get("status", {})
    field = output.field
    lines = [
        field("Assembly", scaler.get("assembly") or "(gone)"),
        field("ID", scaler.get("id")),
        field("Project", scaler.get("project")),
        field("Query", scaler.get("query")),
        field("Target", f"{scaler.get('target'):g} ({scaler.get('target_type')})"),
        field("Replicas", f"{scaler.get('min')} to {scaler.get('max')}, at most "
                          f"{scaler.get('max_step')} per change"),
        field("Windows", f"up {scaler.get('scale_up_window'):g}s, down "
                         f"{scaler.get('scale_down_window'):g}s, cooldown "
                         f"{scaler.get('cooldown'):g}s, tolerance {scaler.get('tolerance'):g}"),
        field("Prometheus", status.get("prometheus") or "-"),
        field("Value", "-" if status.get("value") is None else f"{status['value']:g}"),
        field("Decided", "-" if status.get("replicas") is None else status["replicas"]),
        field("Last scale", status.get("last_scale_time") or "never"),
        "Conditions:",
        output.indent(output.conditions_table(status.get("conditions", []))),
    ]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)


def apply(client: Client, declaration: Mapping[str, Any]) -> tuple[Document, str]:
    """Declare the scaler of a file; one already on the assembly gets the file's fields."""
    from vertice_api.client import ApiError, document_of

    body = {k: v for k, v in declaration.items() if k != "kind"}
    name = body.get("assembly")
    try:
        created = client.post("/v3/scalers", body)
    except ApiError as exc:
        if exc.status != 409 or not isinstance(name, str):
            raise
        existing = find(client, name)
        changes = {k: body[k] for k in CHANGEABLE if k in body and body[k] != existing.get(k)}
        if not changes:
            return existing, f"scaler of {name} unchanged"
        changed: Document = document_of(client.request("PATCH", existing["uri"], body=changes))
        return changed, f"scaler of {name} changed ({', '.join(sorted(changes))})"
    return created, f"scaler of {name} created ({created.get('id')})"


def delete(client: Client, refs: Sequence[str]) -> None:
    """Delete the named scalers, one line each (the replicas stay as they are)."""
    for ref in refs:
        scaler = find(client, ref)
        client.delete(scaler["uri"])
        click.echo(f"scaler of {scaler.get('assembly') or scaler['id']}: deleted")


@click.command("scalers")
@output.output_option
@client_command
def scalers(fmt: str) -> None:
    """List your scalers: assembly, bounds, target, last value, replicas, whether active."""
    list_items("/v3/scalers", fmt, table, "scalers")


@click.command("scalers")
@click.argument("ref", metavar="ASSEMBLY")
@client_command
def describe_scaler(ref: str) -> None:
    """Show a scaler: its declaration, last value and decision, and conditions."""
    with open_client(click.get_current_context()) as client:
        click.echo(describe_text(find(client, ref)))


COMMANDS = [scalers]
