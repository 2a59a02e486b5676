"""Usage, balances and credits (issue 13): `/v3/billing/usage`, `/v3/balances`,
`/v3/balances/{project}` and `/v3/balances/{project}/credits`.

Everyone reads the metered usage and the balances of their projects (administrators:
every project's); administrators add credits. Amounts leave as decimal strings
(`money`), never as floats. What is metered, and how a balance is counted, is
`vertice_core.service.billing`. A query parameter of the wrong shape (a date that is
not ISO 8601, an unknown group or format) is a 400 naming it, as elsewhere; a range
that cannot be read (`to` not after `from`, too long, a day that does not exist) a 422.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import falcon

from vertice_api import views
from vertice_api.auth import caller_of
from vertice_api.http import param_values, read_body
from vertice_core.billing.meter import HOUR
from vertice_core.convert import format_time
from vertice_core.errors import InvalidInput, Problem
from vertice_core.service.billing import (
    GROUPS,
    BillingService,
    ProjectBalance,
    UsageLine,
    money,
    usage_csv,
)

if TYPE_CHECKING:
    from vertice_api.context import AppContext
    from vertice_core.store.tables import CreditRow

SERVICE = BillingService()
#: What `from` and `to` may look like: an ISO 8601 date, or a date-time to the minute,
#: second or microsecond with an optional offset (a `+` sent unencoded arrives as a space).
TIME_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+ -][0-9]{2}:[0-9]{2})?)?"
)
TIME_EXAMPLE = "2024-05-01 or 2024-05-01T12:00:00Z"
FORMATS = ("json", "csv")
CSV = "text/csv"
#: The fields of a credit's body.
CREDIT_FIELDS = ("amount", "currency", "note")


def balance(found: ProjectBalance) -> dict[str, Any]:
    """A project's balance in each currency, and where it stands under the balance policy."""
    since = found.exhausted_since
    return {
        "project": found.project,
        "standing": found.standing,
        "exhausted_since": None if since is None else _iso(since),
        "balances": [
            {"currency": c.currency, "credited": money(c.credited), "charged": money(c.charged),
             "balance": money(c.balance)}
            for c in found.currencies
        ],
    }  # fmt: skip


def credit(row: CreditRow) -> dict[str, Any]:
    """A credit an administrator added (a negative amount: taken back)."""
    return {"id": row.id, "amount": money(row.amount_micros), "currency": row.currency,
            "note": row.note, "created_by": row.created_by,
            "created_at": format_time(row.created_at)}  # fmt: skip


def usage(
    start: datetime, end: datetime, by: Sequence[str], lines: Sequence[UsageLine]
) -> dict[str, Any]:
    """The usage document: a line per group and currency, and the total of each currency."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, 0) + line.micros
    return {
        "from": format_time(start),
        "to": format_time(end),
        "by": list(by),
        "lines": [
            {"project": line.group["project"], **{g: line.group[g] for g in by},
             "instance_hours": round(line.seconds / HOUR, 4), "amount": money(line.micros),
             "currency": line.currency}
            for line in lines
        ],
        "totals": [{"currency": c, "amount": money(totals[c])} for c in sorted(totals)],
    }  # fmt: skip


class Usage:
    """`/v3/billing/usage`: the metered usage of the caller's projects (`?project=`: one),
    from `from` (default: the first day of this month, UTC) to `to` (default: now), summed
    by `by` (default: assembly); JSON, or CSV with `Accept: text/csv` or `?format=csv`."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        now = datetime.now(UTC)
        start = _time(req, "from", now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
        end = _time(req, "to", now)
        by = _groups(req)
        csv = _wants_csv(req)
        with self.ctx.store.read() as session:
            lines = SERVICE.usage(session, caller_of(req), start=start, end=end,
                                  project=req.get_param("project"), by=by)  # fmt: skip
        resp.vary = ("Accept",)
        if not csv:
            resp.media = usage(start, end, by, lines)
            return
        resp.content_type = f"{CSV}; charset=utf-8"
        resp.downloadable_as = f"usage-{_stamp(start)}-{_stamp(end)}.csv"
        resp.text = usage_csv(lines, by)


class Balances:
    """`/v3/balances`: the balances of the caller's projects (administrators: every one's)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            found = SERVICE.balances(session, caller_of(req))
        resp.media = {"balances": [balance(b) for b in found]}


class BalanceItem:
    """`/v3/balances/{project}`: one project's balance and its credits."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, project: str) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            (found,) = SERVICE.balances(session, caller, project)
            credits = [credit(row) for row in SERVICE.credits(session, caller, project)]
        resp.media = {**balance(found), "credits": credits}


class Credits:
    """`/v3/balances/{project}/credits`: add a credit (administrators): 201 with the credit
    and the project's new balance."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response, project: str) -> None:
        caller = caller_of(req)
        caller.require_admin()
        given = _credit_fields(read_body(req))
        with self.ctx.store.write() as session:
            row, found = SERVICE.credit(session, caller, project, **given)
            document = {"credit": credit(row), "balance": balance(found)}
        resp.status = falcon.HTTP_201
        resp.location = f"{views.V3}/balances/{quote(found.project_id, safe='')}"
        resp.media = document


def _iso(at: float) -> str:
    return format_time(datetime.fromtimestamp(at, UTC))


def _bad_param(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Invalid query parameter", description=description)


def _time(req: falcon.Request, name: str, default: datetime) -> datetime:
    """The time query parameter `name` in UTC (no offset: UTC); a 400 naming it when it is
    not of the ISO 8601 shape, a 422 when it names no time (`2024-02-30`)."""
    raw = req.get_param(name)
    if raw is None:
        return default
    if not TIME_PATTERN.fullmatch(raw):
        raise _bad_param(f"{name} must be an ISO 8601 date or date-time such as {TIME_EXAMPLE}, "
                         f"not {raw[:64]!r}")  # fmt: skip
    try:
        parsed = datetime.fromisoformat(raw.replace(" ", "+"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput.at(f"$.{name}", f"{raw!r} is not a time: {exc}") from None


def _groups(req: falcon.Request) -> list[str]:
    """The groups `by` names, each once (none: by assembly); a 400 naming unknown ones."""
    by = list(dict.fromkeys(param_values(req, "by"))) or ["assembly"]
    unknown = [g for g in by if g not in GROUPS]
    if unknown:
        raise _bad_param(f"by names unknown group(s): {', '.join(repr(g[:64]) for g in unknown)}"
                         f"; known: {', '.join(GROUPS)}")  # fmt: skip
    return by


def _wants_csv(req: falcon.Request) -> bool:
    """CSV when `format=csv`, or when no format is named and `Accept` prefers CSV to JSON."""
    fmt = req.get_param("format")
    if fmt is not None and fmt not in FORMATS:
        raise _bad_param(f"format must be json or csv, not {fmt[:64]!r}")
    if fmt is not None:
        return fmt == "csv"
    return req.client_prefers([falcon.MEDIA_JSON, CSV]) == CSV


def _stamp(at: datetime) -> str:
    """A time in a file name: its date at midnight, else to the second (no colons)."""
    if at == at.replace(hour=0, minute=0, second=0, microsecond=0):
        return at.date().isoformat()
    return at.strftime("%Y-%m-%dT%H%M%SZ")


def _credit_fields(body: Any) -> dict[str, Any]:
    """The fields of a credit's body (their values are the service's to judge)."""
    if not isinstance(body, Mapping):
        raise InvalidInput.at("$", "must be an object: {amount, currency, note}")
    unknown = [k for k in body if k not in CREDIT_FIELDS]
    problems = [Problem(f"$.{k}", f"unknown field; known fields: {', '.join(CREDIT_FIELDS)}")
                for k in unknown]  # fmt: skip
    if "amount" not in body:
        problems.append(Problem("$.amount", "required field missing"))
    if problems:
        raise InvalidInput(problems)
    return {k: body[k] for k in CREDIT_FIELDS if k in body}
