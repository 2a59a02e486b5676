"""`vertice usage`, `vertice balance` and `vertice credit` through a real `vertice serve`
(issue 13): a user reads their projects' metered usage as a table (a total line per
currency) or as the API's CSV, and their balance; an administrator credits a project and
sees the new balance in one line; errors are one line naming the problem.

The usage comes out of the real meter: spans of the status history, written a day and
more ago at whole hours, metered by `MeterController` on the server's database (the
server's own meter may meter the same hours: the ledger comes out the same).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest

from vertice_api.client import Client
from vertice_api.context import build_context
from vertice_core.billing.controller import MeterController
from vertice_core.config import Config
from vertice_core.store.tables import InstanceSpanRow
from vertice_testing.cli import VerticeCli, lines
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

HOUR = 3600
#: Where the history begins: a whole hour, 30 hours ago (every hour of it has closed).
BASE = (int(time.time()) // HOUR - 30) * HOUR


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


RANGE = ("--from", iso(BASE), "--to", iso(BASE + 30 * HOUR))


@attrs.frozen
class World:
    """erin's and frank's projects (names) and commands; the admin's commands."""

    erin: VerticeCli
    erin_project: str
    frank_project: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-billing")) as live:
        yield live


def user(api: Client, server: LiveServer, name: str, folder) -> tuple[VerticeCli, str, str]:
    """A new user's commands, and their project's name and id."""
    token = api.post("/v3/users", {"name": name})["token"]
    with Client(server.url, token) as theirs:
        (project,) = list(theirs.items("/v3/projects"))
    return VerticeCli(server.url, token, folder / name), project["name"], project["id"]


def span(project_id, assembly, begin, end, *, ordinal=0, state="running", flavor="small"):
    return InstanceSpanRow(
        project_id=project_id, assembly_id=f"asm-{assembly}", assembly_name=assembly,
        ordinal=ordinal, key=f"{assembly}-{ordinal}", region_name="local",
        flavor_name=flavor, state=state, started_at=BASE + begin * HOUR,
        ended_at=BASE + end * HOUR,
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> World:
    """erin: `web` (small, 0.01 USD/h) 2 instances 3 h, `db` (`priced`: 1.00 USD/h
    running, 0.25 stopped) running 2 h then stopped 2 h: 2.56 USD; frank: `site` 1 h."""
    folder = tmp_path_factory.mktemp("users")
    with Client(server.url, server.token) as api:
        priced = {"price_per_hour": 1.0, "stopped_price_per_hour": 0.25}
        api.post("/v3/flavors", {"name": "priced", "cpu": 1, "ram": 512, "disk": 1, **priced})
        erin, erin_project, erin_id = user(api, server, "erin", folder)
        _, frank_project, frank_id = user(api, server, "frank", folder)
    ctx = build_context(Config.from_env(server.env), load_plugins=False)
    try:
        with ctx.store.write() as session:
            session.add_all([
                span(erin_id, "web", 0, 3), span(erin_id, "web", 0, 3, ordinal=1),
                span(erin_id, "db", 2, 4, flavor="priced"),
                span(erin_id, "db", 4, 6, flavor="priced", state="stopped"),
                span(frank_id, "site", 1, 2),
            ])  # fmt: skip
        MeterController(ctx.store, service=ctx.service, batch=100).meter_closed(time.time())
    finally:
        ctx.store.dispose()
    return World(erin, erin_project, frank_project)


def test_a_user_reads_their_usage_as_a_table_with_a_total_per_currency(world):
    shown = lines(world.erin("usage", *RANGE).stdout)
    assert [line.split() for line in shown] == [
        ["PROJECT", "ASSEMBLY", "INSTANCE-HOURS", "AMOUNT", "CURRENCY"],
        [world.erin_project, "db", "4.0000", "2.50", "USD"],
        [world.erin_project, "web", "6.0000", "0.06", "USD"],
        ["TOTAL", "10.0000", "2.56", "USD"],
    ]
    by_state = lines(world.erin("usage", *RANGE, "--by", "assembly,state").stdout)
    assert [line.split() for line in by_state] == [
        ["PROJECT", "ASSEMBLY", "STATE", "INSTANCE-HOURS", "AMOUNT", "CURRENCY"],
        [world.erin_project, "db", "running", "2.0000", "2.00", "USD"],
        [world.erin_project, "db", "stopped", "2.0000", "0.50", "USD"],
        [world.erin_project, "web", "running", "6.0000", "0.06", "USD"],
        ["TOTAL", "10.0000", "2.56", "USD"],
    ]
    report = json.loads(world.erin("usage", *RANGE, "-o", "json").stdout)
    assert report["totals"] == [{"currency": "USD", "amount": "2.56"}]


def test_usage_as_csv_is_the_api_s_csv(world, server):
    printed = world.erin("usage", *RANGE, "--by", "flavor", "--csv").stdout
    with Client(server.url, world.erin.token) as client:
        params = {"from": RANGE[1], "to": RANGE[3], "by": "flavor"}
        sent = client.request("GET", "/v3/billing/usage", params=params,
                              headers={"Accept": "text/csv"}).text  # fmt: skip
    assert printed == sent
    assert list(csv.reader(io.StringIO(printed))) == [
        ["project", "flavor", "instance_hours", "amount", "currency"],
        [world.erin_project, "priced", "4.0000", "2.50", "USD"],
        [world.erin_project, "small", "6.0000", "0.06", "USD"],
    ]


def test_an_administrator_sees_every_project_s_usage(cli, world):
    shown = [line.split() for line in lines(cli("usage", *RANGE).stdout)]
    assert [row[:2] for row in shown[1:-1]] == sorted(
        [[world.erin_project, "db"], [world.erin_project, "web"], [world.frank_project, "site"]]
    )
    assert shown[-1] == ["TOTAL", "11.0000", "2.57", "USD"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--by", "colour"), "by names unknown group(s): 'colour'"),
        (("--from", "yesterday"), "from must be an ISO 8601 date"),
        (("--from", "2024-05-03", "--to", "2024-05-01"), "$.to: must be after 'from'"),
    ],
)
def test_bad_usage_options_are_one_line_naming_them(world, args, named):
    result = world.erin("usage", *args, code=1)
    assert len(lines(result.output)) == 1 and result.output.startswith("error: "), result.output
    assert named in result.output


def test_another_project_s_usage_and_balance_are_not_found(world):
    for args in (("usage", "--project", world.frank_project), ("balance", world.frank_project)):
        result = world.erin(*args, code=1)
        assert lines(result.output) == [
            f"error: 404 Not found: there is no project named {world.frank_project!r}"
        ], result.output


def test_an_administrator_credits_a_project_and_its_user_sees_the_balance(cli, world):
    before = [line.split() for line in lines(world.erin("balance").stdout)]
    assert before == [
        ["PROJECT", "STANDING", "CURRENCY", "CREDITED", "CHARGED", "BALANCE"],
        [world.erin_project, "ok", "USD", "0.00", "2.56", "-2.56"],
    ]
    refused = world.erin("credit", world.erin_project, "100", code=1)
    assert lines(refused.output) == ["error: 403 Forbidden: this is for administrators only"]

    done = cli("credit", world.erin_project, "10", "--note", "welcome").stdout
    assert lines(done) == [
        f"credited 10.00 USD to project {world.erin_project}: balance 7.44 USD "
        "(credited 10.00, charged 2.56)"
    ]
    back = cli("credit", world.erin_project, "-0.44", "--note", "taken back").stdout
    assert "balance 7.00 USD" in back
    euro = cli("credit", world.erin_project, "3", "--currency", "EUR").stdout
    assert lines(euro)[0].endswith("balance 3.00 EUR (credited 3.00, charged 0.00)")

    after = [line.split() for line in lines(world.erin("balance", world.erin_project).stdout)]
    assert after[1:] == [
        [world.erin_project, "ok", "EUR", "3.00", "0.00", "3.00"],
        [world.erin_project, "ok", "USD", "9.56", "2.56", "7.00"],
    ]
    credits = json.loads(world.erin("balance", world.erin_project, "-o", "json").stdout)
    assert [(c["amount"], c["note"]) for c in credits["credits"]] == [
        ("10.00", "welcome"), ("-0.44", "taken back"), ("3.00", ""),
    ]  # fmt: skip
    everyone = {line.split()[0] for line in lines(cli("balance").stdout)[1:]}
    assert {world.erin_project, world.frank_project} <= everyone


def test_a_bad_credit_is_one_line_naming_the_field(cli, world):
    for amount, currency in (("0", "USD"), ("1.1234567", "USD"), ("abc", "USD"), ("5", "usd")):
        result = cli("credit", world.erin_project, amount, "--currency", currency, code=1)
        assert len(lines(result.output)) == 1, result.output
        field = "$.currency" if currency == "usd" else "$.amount"
        assert result.output.startswith(f"error: 422 Invalid input: {field}: "), result.output
    missing = cli("credit", "no-such-project", "5", code=1)
    assert lines(missing.output) == ["error: 404 Not found: there is no project named "
                                     "'no-such-project'"]  # fmt: skip
