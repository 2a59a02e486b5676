"""`vertice usage`, `vertice balance [PROJECT]` and `vertice credit PROJECT AMOUNT`: what
projects used and what they have left (`/v3/billing/usage`, `/v3/balances`).

Amounts are shown as the API writes them: decimal strings, never floats. `usage`
prints a line per group and currency and a total line per currency, or with `--csv`
the API's CSV as it comes; `balance` a line per project and currency; administrators
add credits with `credit` (a negative amount takes some back: `credit P -5`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import click

from vertice_api.cli import output
from vertice_api.cli.connect import client_command, open_client

#: The groups `--by` may name (`vertice_core.service.billing.GROUPS`; the API judges).
GROUPS = ("assembly", "region", "day", "flavor", "state")


def usage_table(report: Mapping[str, Any]) -> str:
    """`usage`: project, the groups, instance-hours, amount, currency; then a `TOTAL` line
    per currency (its instance-hours summed here, its amount the API's)."""
    by = [str(g) for g in report.get("by") or []]
    lines = report.get("lines") or []
    rows = [[line.get("project"), *(line.get(g) for g in by), _hours(line.get("instance_hours")),
             line.get("amount"), line.get("currency")] for line in lines]  # fmt: skip
    for total in report.get("totals") or []:
        currency = total.get("currency")
        hours = sum(float(x.get("instance_hours") or 0) for x in lines
                    if x.get("currency") == currency)  # fmt: skip
        rows.append(["TOTAL", *("" for _ in by), _hours(hours), total.get("amount"), currency])
    headers = ["PROJECT", *(g.upper() for g in by), "INSTANCE-HOURS", "AMOUNT", "CURRENCY"]
    return output.table(headers, rows)


def balances_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`balance`: project, standing, then currency, credited, charged and balance (a line
    per currency; a project with no ledger shows a balance of zero)."""
    rows = []
    for item in items:
        head = [item.get("project"), item.get("standing")]
        ledger = item.get("balances") or []
        if not ledger:
            rows.append([*head, "-", "0.00", "0.00", "0.00"])
        for entry in ledger:
            rows.append([*head, entry.get("currency"), entry.get("credited"),
                         entry.get("charged"), entry.get("balance")])  # fmt: skip
    return output.table(["PROJECT", "STANDING", "CURRENCY", "CREDITED", "CHARGED", "BALANCE"], rows)


def _hours(value: Any) -> str:
    return f"{float(value or 0):.4f}"


@click.command()
@click.option("--from", "start", metavar="DATE",
              help="From this ISO 8601 date or time (UTC without an offset) [default: the "
                   "first day of this month].")  # fmt: skip
@click.option("--to", "end", metavar="DATE", help="Up to this date or time [default: now].")
@click.option("--project", metavar="NAME", help="Only this project's.")
@click.option(
    "--by",
    metavar="GROUPS",
    help=f"Group by these, comma-separated: {', '.join(GROUPS)} [default: assembly].",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print the API's CSV as it comes.")
@output.output_option
@client_command
def usage(start: str | None, end: str | None, project: str | None, by: str | None,
          as_csv: bool, fmt: str) -> None:  # fmt: skip
    """The metered usage of your projects (administrators: every project's): instance-hours
    and amounts by group and currency, and the total of each currency."""
    params = {"from": start, "to": end, "project": project, "by": by}
    sent = {k: v for k, v in params.items() if v is not None}
    with open_client(click.get_current_context()) as client:
        if as_csv:
            answer = client.request("GET", "/v3/billing/usage", params=sent,
                                    headers={"Accept": "text/csv"})  # fmt: skip
            click.echo(answer.text, nl=False)
            return
        report = client.get("/v3/billing/usage", **sent)
    if fmt != "table":
        click.echo(output.dump(report, fmt))
    elif report.get("lines"):
        click.echo(usage_table(report))
    else:
        click.echo(f"no usage from {report.get('from')} to {report.get('to')}", err=True)


@click.command()
@click.argument("project", required=False)
@output.output_option
@client_command
def balance(project: str | None, fmt: str) -> None:
    """The balance of PROJECT, or of each of your projects (administrators: every project's):
    credited, charged and what is left, per currency, and the project's standing."""
    with open_client(click.get_current_context()) as client:
        if project is None:
            items = client.get("/v3/balances").get("balances", [])
        else:
            items = [client.get(f"/v3/balances/{quote(project, safe='')}")]
    if fmt != "table":
        click.echo(output.dump(items if project is None else items[0], fmt))
    elif items:
        click.echo(balances_table(items))
    else:
        click.echo("(none)", err=True)


@click.command(context_settings={"ignore_unknown_options": True})  # AMOUNT may be `-5`
@click.argument("project")
@click.argument("amount")
@click.option("--currency", default="USD", show_default=True, metavar="CODE",
              help="ISO 4217 code of the amount.")  # fmt: skip
@click.option("--note", default="", metavar="TEXT", help="Why (kept with the credit).")
@client_command
def credit(project: str, amount: str, currency: str, note: str) -> None:
    """Credit PROJECT with AMOUNT, such as 25.50 (administrators); a negative amount, such
    as -5, takes some back. Prints the project's new balance."""
    body = {"amount": amount, "currency": currency, "note": note}
    with open_client(click.get_current_context()) as client:
        made = client.post(f"/v3/balances/{quote(project, safe='')}/credits", body)
    added, found = made["credit"], made["balance"]
    code = added["currency"]
    ledger: Mapping[str, Any] = next(
        (b for b in found.get("balances", []) if b.get("currency") == code), {}
    )
    credited, charged, left = (ledger.get(k, "0.00") for k in ("credited", "charged", "balance"))
    click.echo(f"credited {added['amount']} {code} to project {found['project']}: balance "
               f"{left} {code} (credited {credited}, charged {charged})")  # fmt: skip


COMMANDS = [usage, balance, credit]
