"""Usage, balances and credits through the API (issue 13): users read the metered usage
and the balances of their projects only (another project named is a 404), grouped by
each group, as JSON or CSV; administrators add credits, which change the balance; a
user's credit is a 403 and a bad one a 422 naming the field, both storing nothing; a
query parameter of the wrong shape is a 400 naming it, a range that cannot be a 422.

The usage comes out of the real meter: the status history of two days in May 2024 is
written as spans, then `MeterController.meter_closed` meters it.

* alice's `web` (flavor `small`, 0.01 USD/h): two instances running 3 h and 1.5 h, a
  third pending 1 h (free): 5.5 instance-hours, 0.045 USD;
* alice's `db` (`priced`: 1.00 USD/h running, 0.25 stopped): running from 22:00 on the
  1st to 02:00 on the 2nd, then stopped 2 h: 6 instance-hours, 4.50 USD;
* alice's `cache` (`euro`: 2.00 EUR/h) in region `east`: 1 h, 2.00 EUR;
* bob's `site` (`small`): 5 h, 0.05 USD.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import attrs
import pytest

from vertice_core.billing.controller import MeterController
from vertice_core.store.repositories.billing import BillingRepository
from vertice_core.store.tables import InstanceSpanRow

START = datetime(2024, 5, 1, tzinfo=UTC).timestamp()
HOUR = 3600.0
#: The meter runs two days (and its settling time) after the history begins.
NOW = START + 48 * HOUR + 600
RANGE = {"from": "2024-05-01", "to": "2024-05-03"}


@attrs.frozen
class Projects:
    """alice's and bob's projects: (name, id) each."""

    alice: str
    alice_id: str
    bob: str
    bob_id: str


def project_of(api) -> tuple[str, str]:
    (project,) = api.get("/v3/projects").json["items"]
    return project["name"], project["id"]


def span(project_id, assembly, hours, *, ordinal=0, state="running", flavor="small",
         region="local") -> InstanceSpanRow:  # fmt: skip
    """One stretch of `assembly`'s instance `ordinal` in `state`, from and to hours after
    START."""
    begin, end = hours
    return InstanceSpanRow(
        project_id=project_id, assembly_id=f"asm-{assembly}", assembly_name=assembly,
        ordinal=ordinal, key=f"{assembly}-{ordinal}", region_name=region, flavor_name=flavor,
        state=state, started_at=START + begin * HOUR, ended_at=START + end * HOUR,
    )  # fmt: skip


@pytest.fixture
def projects(ctx, admin, alice, bob) -> Projects:
    """The history above, metered."""
    assert admin.post("/v3/regions", {"name": "east", "cloud_type": "sim"}).status_code == 201
    size = {"cpu": 1, "ram": 512, "disk": 1}
    for flavor in ({"name": "priced", "price_per_hour": 1.0, "stopped_price_per_hour": 0.25},
                   {"name": "euro", "price_per_hour": 2.0, "currency": "EUR"}):  # fmt: skip
        made = admin.post("/v3/flavors", {**flavor, **size})
        assert made.status_code == 201, made.json
    (a, a_id), (b, b_id) = project_of(alice), project_of(bob)
    with ctx.store.write() as session:
        session.add_all([
            span(a_id, "web", (0, 3)),
            span(a_id, "web", (0, 1.5), ordinal=1),
            span(a_id, "web", (0, 1), ordinal=2, state="pending"),
            span(a_id, "db", (22, 26), flavor="priced"),
            span(a_id, "db", (26, 28), flavor="priced", state="stopped"),
            span(a_id, "cache", (5, 6), flavor="euro", region="east"),
            span(b_id, "site", (0, 5)),
        ])  # fmt: skip
    meter = MeterController(ctx.store, service=ctx.service, clock=lambda: NOW, batch=100)
    assert meter.meter_closed(NOW) == 48
    return Projects(a, a_id, b, b_id)


def usage(api, **params):
    answer = api.get("/v3/billing/usage", params={**RANGE, **params})
    assert answer.status_code == 200, answer.json
    return answer.json


def shown(lines, *groups):
    """The lines as tuples: the groups, instance-hours, amount, currency."""
    return [(*(line[g] for g in groups), line["instance_hours"], line["amount"],
             line["currency"]) for line in lines]  # fmt: skip


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("assembly", [("cache", 1.0, "2.00", "EUR"), ("db", 6.0, "4.50", "USD"),
                      ("web", 5.5, "0.045", "USD")]),
        ("region", [("east", 1.0, "2.00", "EUR"), ("local", 11.5, "4.545", "USD")]),
        ("day", [("2024-05-01", 1.0, "2.00", "EUR"), ("2024-05-01", 7.5, "2.045", "USD"),
                 ("2024-05-02", 4.0, "2.50", "USD")]),
        ("flavor", [("euro", 1.0, "2.00", "EUR"), ("priced", 6.0, "4.50", "USD"),
                    ("small", 5.5, "0.045", "USD")]),
        ("state", [("pending", 1.0, "0.00", "USD"), ("running", 1.0, "2.00", "EUR"),
                   ("running", 8.5, "4.045", "USD"), ("stopped", 2.0, "0.50", "USD")]),
    ],
)  # fmt: skip
def test_a_user_reads_the_metered_usage_of_their_project_by_each_group(
    alice, projects, by, expected
):
    report = usage(alice, by=by)
    assert report["by"] == [by]
    assert (report["from"], report["to"]) == ("2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z")
    assert {line["project"] for line in report["lines"]} == {projects.alice}
    assert shown(report["lines"], by) == expected
    assert set(report["lines"][0]) == {"project", by, "instance_hours", "amount", "currency"}
    assert report["totals"] == [{"currency": "EUR", "amount": "2.00"},
                                {"currency": "USD", "amount": "4.545"}]  # fmt: skip


def test_usage_is_grouped_by_several_groups_and_defaults_to_the_assembly(alice, projects):
    report = usage(alice, by="assembly,day")
    assert report["by"] == ["assembly", "day"]
    assert shown(report["lines"], "assembly", "day") == [
        ("cache", "2024-05-01", 1.0, "2.00", "EUR"),
        ("db", "2024-05-01", 2.0, "2.00", "USD"),
        ("db", "2024-05-02", 4.0, "2.50", "USD"),
        ("web", "2024-05-01", 5.5, "0.045", "USD"),
    ]
    assert usage(alice)["by"] == ["assembly"]
    # a range inside the history: whole hours (the meter's), a time zone's offset honoured
    evening = usage(alice, **{"from": "2024-05-02T00:00:00+02:00", "to": "2024-05-02T01:00Z"})
    assert evening["from"] == "2024-05-01T22:00:00Z"
    assert shown(evening["lines"], "assembly") == [("db", 3.0, "3.00", "USD")]


def test_the_default_range_is_this_month_up_to_now(alice, projects):
    answer = alice.get("/v3/billing/usage")
    assert answer.status_code == 200, answer.json
    today = datetime.now(UTC)
    assert answer.json["from"] == today.strftime("%Y-%m-01T00:00:00Z")
    assert answer.json["to"].startswith(today.strftime("%Y-%m-%d"))
    assert answer.json["lines"] == [] and answer.json["totals"] == []


@pytest.mark.parametrize("how", [{"headers": {"Accept": "text/csv"}}, {"format": "csv"}])
def test_usage_as_csv_is_a_download_of_the_same_lines(alice, projects, how):
    params = {**RANGE, "by": "assembly,state", **({"format": "csv"} if "format" in how else {})}
    answer = alice.get("/v3/billing/usage", params=params, headers=how.get("headers"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="usage-2024-05-01-2024-05-03.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [
        ["project", "assembly", "state", "instance_hours", "amount", "currency"],
        [projects.alice, "cache", "running", "1.0000", "2.00", "EUR"],
        [projects.alice, "db", "running", "4.0000", "4.00", "USD"],
        [projects.alice, "db", "stopped", "2.0000", "0.50", "USD"],
        [projects.alice, "web", "pending", "1.0000", "0.00", "USD"],
        [projects.alice, "web", "running", "4.5000", "0.045", "USD"],
    ]
    as_json = alice.get("/v3/billing/usage", params={**RANGE, "format": "json"},
                        headers={"Accept": "text/csv"})  # fmt: skip
    assert as_json.headers["content-type"].startswith("application/json")


def test_users_see_their_projects_only_and_administrators_every_one(alice, bob, admin, projects):
    assert {line["assembly"] for line in usage(bob)["lines"]} == {"site"}
    hidden = alice.get("/v3/billing/usage", params={**RANGE, "project": projects.bob})
    assert hidden.status_code == 404, hidden.json
    assert alice.get(f"/v3/balances/{projects.bob}").status_code == 404
    assert alice.get(f"/v3/balances/{projects.bob_id}").status_code == 404
    assert [b["project"] for b in alice.get("/v3/balances").json["balances"]] == [projects.alice]

    everyone = usage(admin)
    assert {(line["project"], line["assembly"]) for line in everyone["lines"]} == {
        (projects.alice, "cache"), (projects.alice, "db"), (projects.alice, "web"),
        (projects.bob, "site"),
    }  # fmt: skip
    assert everyone["totals"] == [{"currency": "EUR", "amount": "2.00"},
                                  {"currency": "USD", "amount": "4.595"}]  # fmt: skip
    only_bob = usage(admin, project=projects.bob)
    assert shown(only_bob["lines"], "assembly") == [("site", 5.0, "0.05", "USD")]
    listed = {b["project"] for b in admin.get("/v3/balances").json["balances"]}
    assert {projects.alice, projects.bob} <= listed


def test_a_balance_is_what_was_credited_minus_what_was_metered(alice, admin, projects):
    (mine,) = alice.get("/v3/balances").json["balances"]
    assert mine == {
        "project": projects.alice, "standing": "ok", "exhausted_since": None,
        "balances": [
            {"currency": "EUR", "credited": "0.00", "charged": "2.00", "balance": "-2.00"},
            {"currency": "USD", "credited": "0.00", "charged": "4.545", "balance": "-4.545"},
        ],
    }  # fmt: skip
    made = admin.post(f"/v3/balances/{projects.alice}/credits",
                      {"amount": "10", "note": "welcome"})  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.headers["location"] == f"/v3/balances/{projects.alice_id}"
    added = made.json["credit"]
    fields = (added["amount"], added["currency"], added["note"], added["created_by"])
    assert fields == ("10.00", "USD", "welcome", "admin")
    assert made.json["balance"]["balances"][1] == {
        "currency": "USD", "credited": "10.00", "charged": "4.545", "balance": "5.455"
    }  # fmt: skip
    euro = admin.post(f"/v3/balances/{projects.alice_id}/credits",
                      {"amount": 2.5, "currency": "EUR"})  # fmt: skip
    assert euro.status_code == 201, euro.json
    assert euro.json["balance"]["balances"][0]["balance"] == "0.50"
    back = admin.post(f"/v3/balances/{projects.alice}/credits", {"amount": "-0.455"})
    assert back.json["credit"]["amount"] == "-0.455"

    item = alice.get(f"/v3/balances/{projects.alice}")
    assert item.status_code == 200, item.json
    assert [b["balance"] for b in item.json["balances"]] == ["0.50", "5.00"]
    assert [(c["amount"], c["currency"]) for c in item.json["credits"]] == [
        ("10.00", "USD"), ("2.50", "EUR"), ("-0.455", "USD"),
    ]  # fmt: skip
    assert item.json["credits"][0]["id"] == added["id"]
    assert item.json["credits"][0]["created_at"] == added["created_at"]


def test_a_project_s_standing_and_since_when_its_balance_ran_out(ctx, alice, projects):
    with ctx.store.write() as session:
        BillingRepository(session).put_standing(projects.alice_id, "exhausted", NOW)
    item = alice.get(f"/v3/balances/{projects.alice}").json
    assert (item["standing"], item["exhausted_since"]) == ("exhausted", "2024-05-03T00:10:00Z")
    assert item["credits"] == []


def test_a_project_without_a_ledger_has_no_balance_lines(admin, alice, projects):
    created = admin.post("/v3/projects", {"name": "empty"})
    assert created.status_code == 201, created.json
    item = admin.get("/v3/balances/empty").json
    assert item == {"project": "empty", "standing": "ok", "exhausted_since": None,
                    "balances": [], "credits": []}  # fmt: skip


def test_only_administrators_credit_and_a_refused_credit_stores_nothing(
    alice, bob, projects, snapshot
):
    before = snapshot()
    for api, project in ((alice, projects.alice), (bob, projects.alice), (bob, "nobody")):
        answer = api.post(f"/v3/balances/{project}/credits", {"amount": "1000"})
        assert answer.status_code == 403, answer.json
        assert "administrators" in answer.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "$.amount"),
        ({"amount": "1.1234567"}, "$.amount"),
        ({"amount": "1e3"}, "$.amount"),
        ({"amount": " 5"}, "$.amount"),
        ({"amount": "10000000000000"}, "$.amount"),
        ({"amount": True}, "$.amount"),
        ({"amount": None}, "$.amount"),
        ({"note": "no amount"}, "$.amount"),
        ({"amount": "5", "currency": "usd"}, "$.currency"),
        ({"amount": "5", "currency": 840}, "$.currency"),
        ({"amount": "5", "note": 5}, "$.note"),
        ({"amount": "5", "note": "x" * 1001}, "$.note"),
        ({"amount": "5", "note": "a\x00b"}, "$.note"),
        ({"amount": "5", "by": "me"}, "$.by"),
        (["5"], "$"),
        ({"amount": 0, "currency": "", "note": None}, "$.amount $.currency $.note"),
    ],
)
def test_a_bad_credit_is_a_422_naming_the_field_and_stores_nothing(
    admin, projects, snapshot, body, field
):
    before = snapshot()
    answer = admin.post(f"/v3/balances/{projects.alice}/credits", body)
    assert answer.status_code == 422, answer.json
    assert [p["path"] for p in answer.json["problems"]] == field.split()
    assert snapshot() == before


def test_a_credit_to_no_project_or_with_no_json_is_refused(admin, projects, snapshot):
    before = snapshot()
    assert admin.post("/v3/balances/nobody/credits", {"amount": "1"}).status_code == 404
    uri = f"/v3/balances/{projects.alice}/credits"
    for media, body, status in (("application/json", "{amount: 1", 400),
                                ("text/plain", "amount=1", 415)):  # fmt: skip
        headers = admin.headers({"Content-Type": media})
        answer = admin.client.simulate_post(uri, body=body, headers=headers)
        assert answer.status_code == status, answer.json
    assert snapshot() == before


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"from": "yesterday"}, 400, "from"),
        ({"from": "2024-5-1"}, 400, "from"),
        ({"to": "2024-05-03T25"}, 400, "to"),
        ({"from": "2024-02-30"}, 422, "$.from"),
        ({"to": "2024-05-01T24:00"}, 422, "$.to"),
        ({"from": "0001-01-01T00:00+01:00"}, 422, "$.from"),
        ({"from": "2024-05-03", "to": "2024-05-01"}, 422, "$.to"),
        ({"from": "2024-05-01", "to": "2024-05-01"}, 422, "$.to"),
        ({"from": "2023-01-01", "to": "2024-05-01"}, 422, "$.to"),
        ({"by": "assembly,colour"}, 400, "by"),
        ({"format": "xml"}, 400, "format"),
        ({"project": "nobody"}, 404, "nobody"),
    ],
)
def test_bad_usage_parameters_are_refused_naming_them(alice, projects, params, status, named):
    answer = alice.get("/v3/billing/usage", params={**RANGE, **params})
    assert answer.status_code == status, answer.json
    if status == 422:
        assert [p["path"] for p in answer.json["problems"]] == [named]
    else:
        assert named in answer.json["description"], answer.json


def test_a_plus_sent_unencoded_in_an_offset_is_read_as_one(alice, projects):
    answer = alice.get("/v3/billing/usage",
                       query_string="from=2024-05-01T02:00:00+02:00&to=2024-05-02")  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert answer.json["from"] == "2024-05-01T00:00:00Z"
