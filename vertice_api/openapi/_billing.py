"""The OpenAPI pieces of usage, balances and credits: `/v3/billing/usage`,
`/v3/balances[/{project}[/credits]]` (issue 13; `vertice_api.resources.billing`)."""

from __future__ import annotations

from vertice_api.openapi._build import (
    JSON,
    Json,
    array,
    enum,
    nullable,
    obj,
    operation,
    param_ref,
    path_param,
    query_param,
    ref,
    response,
    string,
    text,
    time,
)
from vertice_api.openapi._paths import NAME, create
from vertice_api.openapi._resources import record
from vertice_api.resources.billing import CSV, FORMATS, TIME_EXAMPLE, TIME_PATTERN
from vertice_core.billing.policy import DELETED, EXHAUSTED, LOW, OK, STOPPED
from vertice_core.model.types import CURRENCY_PATTERN
from vertice_core.service.billing import GROUPS, MAX_CREDIT

#: An amount as the API writes it: a decimal string with two to six decimals.
MONEY = string("A decimal amount, such as `12.50` (never a float).",
               pattern="^-?[0-9]+\\.[0-9]{2,6}$")  # fmt: skip
CURRENCY = string("ISO 4217 code, such as `USD`.", pattern=f"^{CURRENCY_PATTERN.pattern}$")
#: The largest credit one request may add, as a JSON number.
LIMIT = int(MAX_CREDIT)
GROUPED = {
    "assembly": "The assembly's name (when `by` names `assembly`).",
    "region": "The region (when `by` names `region`).",
    "day": "The day, `YYYY-MM-DD` in UTC (when `by` names `day`).",
    "flavor": "The flavor (when `by` names `flavor`).",
    "state": "The observed state, `running` or `stopped` (others are free), when `by` names "
    "`state`.",
}


def billing_resources() -> dict[str, Json]:
    """The usage report, balances, credits, and what a credit's `POST` sends."""
    line = record(
        {"project": string(), **{g: string(GROUPED[g]) for g in GROUPS},
         "instance_hours": {"type": "number", "minimum": 0,
                            "description": "Instance-hours metered (4 decimals)."},
         "amount": MONEY, "currency": CURRENCY},
        optional=GROUPS,
        description="What the group used in one currency.",
    )  # fmt: skip
    report = record(
        {
            "from": time("The start of the range (UTC); usage is metered by whole hours."),
            "to": time("The end of the range (UTC)."),
            "by": array(enum(GROUPS), "What the lines are grouped by (besides the project)."),
            "lines": array(ref("UsageLine")),
            "totals": array(ref("UsageTotal"), "The sum of the lines, by currency."),
        }
    )
    total = record({"currency": CURRENCY, "amount": MONEY})
    in_currency = record(
        {"currency": CURRENCY, "credited": MONEY, "charged": MONEY,
         "balance": string("Credited minus charged (negative: owed).",
                           pattern="^-?[0-9]+\\.[0-9]{2,6}$")},
    )  # fmt: skip
    standing = {
        "project": string(),
        "standing": enum((OK, LOW, EXHAUSTED, STOPPED, DELETED),
                         "Where the project stands under the balance policy."),
        "exhausted_since": nullable(time("Since when the balance has been zero or below.")),
        "balances": array(ref("CurrencyBalance"), "One per currency the project has "
                          "credits or charges in (none: a balance of zero)."),
    }  # fmt: skip
    credit = record(
        {"id": string(), "amount": MONEY, "currency": CURRENCY, "note": string(),
         "created_by": string("The administrator who added it."), "created_at": time()},
    )  # fmt: skip
    given = obj(
        {
            "amount": {
                "anyOf": [
                    string(pattern="^-?[0-9]+(\\.[0-9]+)?$"),
                    {"type": "number", "minimum": -LIMIT, "maximum": LIMIT},
                ],
                "description": "The amount: a decimal string (`25.50`) or a number; not zero, "
                f"at most {LIMIT} in size, at most 6 decimals; negative: taken back.",
            },
            "currency": {**CURRENCY, "description": "ISO 4217 code (default USD)."},
            "note": text("Why (at most 1000 characters).", maxLength=1000),
        },
        ("amount",),
    )
    added = record({"credit": ref("Credit"), "balance": ref("Balance")})
    return {
        "UsageReport": report, "UsageLine": line, "UsageTotal": total,
        "CurrencyBalance": in_currency, "Balance": record(standing),
        "BalanceCollection": record({"balances": array(ref("Balance"))}),
        "BalanceWithCredits": record({**standing, "credits": array(ref("Credit"))}),
        "Credit": credit, "CreditInput": given, "CreditAdded": added,
    }  # fmt: skip


def billing_paths() -> dict[str, Json]:
    """Read the usage and balances of one's projects; credit a project (administrators)."""
    project = path_param("project", "The project's name (yours first, then those you are a "
                         "member of; administrators: any) or id.", NAME)  # fmt: skip
    when = {"type": "string", "pattern": f"^{TIME_PATTERN.pattern}$"}
    parameters = [
        query_param("from", f"The start, an ISO 8601 date or date-time such as {TIME_EXAMPLE} "
                    "(UTC without an offset); default: the first day of this month.", when),
        query_param("to", "The end, after `from`, at most 366 days later; default: now.", when),
        param_ref("project"),
        query_param("by", "What to group by besides the project (comma-separated or "
                    "repeated; blank entries are ignored); default: assembly.",
                    {"type": "array", "items": {"type": "string", "enum": [*GROUPS, ""]}},
                    style="form", explode=False),
        query_param("format", "`csv`: the answer is CSV, as with `Accept: text/csv`.",
                    {"type": "string", "enum": list(FORMATS)}),
    ]  # fmt: skip
    report = {
        "description": "The usage, as JSON or (`Accept: text/csv`, `format=csv`) as CSV: a "
        "header, then a line per group and currency.",
        "headers": {
            "Content-Disposition": {
                "description": 'With CSV: `attachment; filename="usage-<from>-<to>.csv"`.',
                "required": False,
                "schema": string(),
            }
        },
        "content": {JSON: {"schema": ref("UsageReport")}, CSV: {"schema": string()}},
    }
    return {
        "/v3/billing/usage": {
            "get": operation("getUsage", "The metered usage of the caller's projects "
                             "(administrators: every project's), summed by group and currency",
                             tag="billing", parameters=parameters, errors=[404, 409, 422],
                             ok={200: report}),
        },
        "/v3/balances": {
            "get": operation("listBalances", "The balances of the caller's projects "
                             "(administrators: every project's)", tag="billing",
                             ok={200: response(200, ref("BalanceCollection"))}),
        },
        "/v3/balances/{project}": {
            "parameters": [project],
            "get": operation("getBalance", "A project's balance and its credits",
                             tag="billing", errors=[404, 409],
                             ok={200: response(200, ref("BalanceWithCredits"))}),
        },
        "/v3/balances/{project}/credits": {
            "parameters": [project],
            "post": create("addCredit", "Credit a project (administrators)", "billing",
                           "CreditInput", "CreditAdded", errors=[403, 404, 409]),
        },
    }  # fmt: skip
