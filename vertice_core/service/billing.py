"""The ledger: usage records, credits and balances; and the refusal of launches a project
cannot pay for (issue 13, `vertice_core.billing`).

A project's balance, in each currency it has credits or charges in, is what
administrators credited minus what was metered. Users read their projects' usage and
balances; administrators read every project's and add credits. Amounts leave the
service as decimal strings of their micro-units (`money`), never as floats.

With enforcement on (`VERTICE_BILLING_ENFORCE`), a write that raises what a project
runs of priced flavors (declares, scales up, starts, moves to a dearer flavor) is
refused while its balance is zero or below, in the transaction of the write
(`balance_refusal`, part of admission): the live balance, not the meter's last
standing, so a new project with no credit cannot launch either.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, Inexact, localcontext
from typing import TYPE_CHECKING

import attrs

from vertice_core.billing.meter import HOUR, MICROS
from vertice_core.errors import InvalidInput, Problem
from vertice_core.model.assembly import AssemblySpec, DesiredState
from vertice_core.model.types import currency_problem
from vertice_core.service.resolve import one_project
from vertice_core.store.repositories import ProjectRepository
from vertice_core.store.repositories.billing import BillingRepository, price_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import CreditRow, UsageRow

#: How usage may be grouped (`/v3/billing/usage?by=`).
GROUPS = ("assembly", "region", "day", "flavor", "state")
#: The most days one usage request may span (bounded work).
MAX_DAYS = 366
#: The largest credit one request may add (micro-units fit a 64-bit integer with room).
MAX_CREDIT = Decimal(10) ** 12
#: A credit's amount given as a string: a plain decimal (no exponent, `+`, blank or `_`).
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
AMOUNT_PROBLEM = (
    "must be a number or a decimal string such as '25.50', not zero, at most "
    f"{MAX_CREDIT} in size and with at most 6 decimals"
)


def money(micros: int) -> str:
    """Micro-units as a decimal string with two to six decimals: `12.50`, `0.000125`."""
    text = f"{Decimal(micros) / MICROS:.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


@attrs.frozen
class CurrencyBalance:
    """A project's ledger in one currency, in micro-units."""

    currency: str
    credited: int
    charged: int

    @property
    def balance(self) -> int:
        return self.credited - self.charged


@attrs.frozen
class ProjectBalance:
    """A project's balances and where it stands under the balance policy."""

    project: str
    project_id: str
    currencies: tuple[CurrencyBalance, ...]
    standing: str = "ok"
    exhausted_since: float | None = None

    @property
    def lowest(self) -> int:
        """The lowest balance over its currencies (0 with no ledger at all)."""
        return min((c.balance for c in self.currencies), default=0)


@attrs.frozen
class UsageLine:
    """Usage summed over a group (`GROUPS`) and currency."""

    group: dict[str, str]
    seconds: float
    currency: str
    micros: int


def balances_of(
    repository: BillingRepository, projects: Sequence[tuple[str, str]]
) -> list[ProjectBalance]:
    """The balances of `(id, name)` projects: two grouped reads in all."""
    ids = [i for i, _ in projects]
    credited, charged = repository.credited(ids), repository.charges(ids)
    standings = repository.standings(ids)
    found = []
    for project_id, name in projects:
        currencies = sorted({c for p, c in (*credited, *charged) if p == project_id})
        standing = standings.get(project_id)
        found.append(ProjectBalance(
            name, project_id,
            tuple(CurrencyBalance(c, credited.get((project_id, c), 0),
                                  charged.get((project_id, c), 0)) for c in currencies),
            standing.state if standing else "ok",
            standing.exhausted_since if standing else None,
        ))  # fmt: skip
    return found


def balance_refusal(
    session: Session,
    project_id: str,
    project: str,
    spec: AssemblySpec,
    previous: AssemblySpec | None,
) -> str | None:
    """Why `spec` (replacing `previous`) may not run more of priced flavors while the
    project's balance is zero or below, or None (see the module's docstring)."""
    repository = BillingRepository(session)
    prices = repository.prices()

    def rate(of: AssemblySpec | None) -> float:
        if of is None or of.desired_state is not DesiredState.RUNNING:
            return 0.0
        price = price_of(prices.get(of.flavor), of.region)
        return of.replicas * (price.running if price else 0.0)

    if rate(spec) <= rate(previous):
        return None
    (found,) = balances_of(repository, [(project_id, project)])
    if found.lowest > 0:
        return None
    currency = min(found.currencies, key=lambda c: c.balance).currency if found.currencies \
        else "USD"  # fmt: skip
    return (
        f"the balance of project {project!r} is {money(found.lowest)} {currency}: it cannot "
        f"launch more of flavor {spec.flavor!r}, which is priced, until it is credited"
    )


class BillingService:
    """Usage, balances and credits (see the module's docstring)."""

    def usage(
        self,
        session: Session,
        caller: Caller,
        *,
        start: datetime,
        end: datetime,
        project: str | None = None,
        by: Sequence[str] = ("assembly",),
    ) -> list[UsageLine]:
        """The metered usage of the caller's projects (or of `project`) in `[start, end)`,
        summed by `by` (each of `GROUPS`) and currency."""
        if end <= start:
            raise InvalidInput.at("$.to", "must be after 'from'")
        if (end - start).days > MAX_DAYS:
            raise InvalidInput.at("$.to", f"a request may span at most {MAX_DAYS} days")
        for group in by:
            if group not in GROUPS:
                raise InvalidInput.at("$.by", f"{group!r} is not one of {', '.join(GROUPS)}")
        projects = _projects(session, caller, project)
        scope = None if caller.admin and project is None else [i for i, _ in projects]
        rows = BillingRepository(session).usage(
            scope, int(start.timestamp()) // HOUR * HOUR, _ceil_hour(end.timestamp())
        )
        names = dict(projects)
        seconds: dict[tuple[tuple[tuple[str, str], ...], str], float] = {}
        micros: dict[tuple[tuple[tuple[str, str], ...], str], int] = {}
        for row in rows:
            values = {"project": names.get(row.project_id, row.project_id)}
            values.update((name, _group_value(name, row)) for name in by)
            key = (tuple(values.items()), row.currency)
            seconds[key] = seconds.get(key, 0.0) + row.seconds
            micros[key] = micros.get(key, 0) + row.amount_micros
        return [
            UsageLine(dict(key[0]), seconds[key], key[1], micros[key]) for key in sorted(seconds)
        ]

    def balances(
        self, session: Session, caller: Caller, project: str | None = None
    ) -> list[ProjectBalance]:
        """The balances of the caller's projects (an administrator's: every project's)."""
        return balances_of(BillingRepository(session), _projects(session, caller, project))

    def credits(self, session: Session, caller: Caller, project: str) -> list[CreditRow]:
        """The credits of a project the caller may read."""
        found = one_project(session, caller, project)
        return BillingRepository(session).credits(found.id)

    def credit(
        self,
        session: Session,
        caller: Caller,
        project: str,
        amount: object,
        currency: object = "USD",
        note: object = "",
    ) -> tuple[CreditRow, ProjectBalance]:
        """Add a credit to a project (administrators); the credit and the new balance."""
        caller.require_admin()
        found = one_project(session, caller, project)
        micros = _micros(amount)
        code = currency if isinstance(currency, str) and not currency_problem(currency) else None
        text = note if isinstance(note, str) and len(note) <= 1000 and "\x00" not in note else None
        if micros is None or code is None or text is None:
            raise InvalidInput(
                Problem(path, message)
                for path, value, message in (
                    ("$.amount", micros, AMOUNT_PROBLEM),
                    ("$.currency", code, "must be a currency code such as 'USD'"),
                    ("$.note", text, "must be a text of at most 1000 characters (no NUL)"),
                )
                if value is None
            )
        repository = BillingRepository(session)
        row = repository.add_credit(found.id, micros, code, text, caller.name)
        (balance,) = balances_of(repository, [(found.id, found.name)])
        return row, balance


def usage_csv(lines: Iterable[UsageLine], by: Sequence[str]) -> str:
    """Usage lines as CSV: a header, then one row per line (amounts as decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["project", *by, "instance_hours", "amount", "currency"])
    for line in lines:
        writer.writerow([line.group["project"], *(line.group[g] for g in by),
                         f"{line.seconds / HOUR:.4f}", money(line.micros),
                         line.currency])  # fmt: skip
    return out.getvalue()


_COLUMNS = {"assembly": "assembly_name", "region": "region_name", "flavor": "flavor_name",
            "state": "state"}  # fmt: skip


def _group_value(name: str, row: UsageRow) -> str:
    if name == "day":
        return datetime.fromtimestamp(row.hour, UTC).date().isoformat()
    return str(getattr(row, _COLUMNS[name]))


def _ceil_hour(at: float) -> int:
    return -(-int(at) // HOUR) * HOUR


def _micros(amount: object) -> int | None:
    """A credit's amount (a number or a decimal string) in micro-units; None when it is not
    one (`AMOUNT_PROBLEM`)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        return None
    if isinstance(amount, str) and not DECIMAL.fullmatch(amount):
        return None
    value = Decimal(str(amount))  # a float by its shortest repr: 25.5, not 25.4999...
    if not value.is_finite() or value == 0 or abs(value) > MAX_CREDIT:
        return None
    with localcontext() as exact:  # digits beyond the context's precision must not round away
        exact.prec, exact.traps[Inexact] = 40, True
        try:
            micros = value * MICROS
        except Inexact:
            return None
    return int(micros) if micros == micros.to_integral_value() else None


def _projects(session: Session, caller: Caller, project: str | None) -> list[tuple[str, str]]:
    """`(id, name)` of `project`, or of every project the caller may read."""
    if project is not None:
        found = one_project(session, caller, project)
        return [(found.id, found.name)]
    repository = ProjectRepository(session)
    rows = repository.all() if caller.admin else repository.by_ids(list(caller.scope or ()))
    return [(p.id, p.name) for p in rows]
