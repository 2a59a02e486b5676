"""What a change would do, computed by the server (issue 16): `GET /v3/assembly/{id}/plan`
shows what the next pass would do and why; `?dry_run=true` on a declaration or a patch
checks it as the real request would, answers what would change and the plan, and stores
nothing."""

from __future__ import annotations

import attrs
import pytest

from vertice_core.errors import TransientError


def steps(plan: dict) -> list[tuple[str, int, str]]:
    """`(verb, ordinal, reason)` of a plan's steps, in order."""
    return [(s["verb"], s["ordinal"], s["reason"]) for s in plan["steps"]]


def replace(path: str, value) -> list[dict]:
    return [{"op": "replace", "path": path, "value": value}]


@pytest.fixture
def running(alice, make_reconciler, converge):
    """An assembly of two instances, both running in the simulated cloud."""
    created = alice.declare("web-plan", replicas=2)
    assert created.status_code == 201, created.json
    uri = created.headers["location"]
    converge(make_reconciler(), lambda: alice.status(uri)["ready_replicas"] == 2)
    return uri


def test_a_fresh_declaration_plans_its_creates_with_their_reasons(alice):
    uri = alice.declare("web-new", replicas=2).headers["location"]
    plan = alice.get(f"{uri}/plan")
    assert plan.status_code == 200, plan.json
    assert steps(plan.json) == [("create", 0, "Creating"), ("create", 1, "Creating")]
    assert plan.json["steps"][0]["why"] == "it has no instance in the cloud"
    assert plan.json["steps"][0]["region"] == "local"
    assert (plan.json["generation"], plan.json["observed_generation"]) == (1, 0)
    assert plan.json["phase"] == "LAUNCHING"


def test_an_assembly_as_declared_plans_nothing(alice, running):
    plan = alice.get(f"{running}/plan").json
    assert plan["steps"] == []
    assert (plan["phase"], plan["reason"]) == ("RUNNING", "Running")


def test_a_backoff_is_said(alice, make_reconciler, failing_cloud):
    failing_cloud("create", TransientError)
    uri = alice.declare("web-failing").headers["location"]
    # A backoff of seconds, not the test settings' 0.05 s: under load, a fresh-clone run's
    # plan was read after that short one had already run out (nothing left to say).
    reconciler = make_reconciler()
    slow = make_reconciler(attrs.evolve(reconciler.settings, backoff_base=30.0, backoff_cap=60.0))
    slow.run_pass()
    plan = alice.get(f"{uri}/plan").json
    assert plan["waiting"].startswith("retrying after a failure in ")
    assert steps(plan) == [("create", 0, "Creating")]


@pytest.mark.parametrize(
    ("patch", "changed", "planned"),
    [
        (replace("/replicas", 4), ["replicas"],
         [("create", 2, "Creating"), ("create", 3, "Creating")]),
        (replace("/replicas", 1), ["replicas"], [("delete", 1, "ScalingDown")]),
        (replace("/desired_state", "stopped"), ["desired_state"],
         [("stop", 0, "Stopping"), ("stop", 1, "Stopping")]),
        (replace("/restart_count", 1), ["restart_count"],
         [("reboot", 0, "Restarting"), ("reboot", 1, "Restarting")]),
        (replace("/description", "the same instances"), ["description"], []),
        (replace("/flavor", "large"), ["flavor"],
         [("resize", 0, "Resizing"), ("resize", 1, "Resizing")]),
    ],
)  # fmt: skip
def test_a_dry_run_patch_answers_the_change_and_the_plan_and_stores_nothing(
    alice, running, snapshot, patch, changed, planned
):
    before = snapshot()
    etag = alice.get(running).headers["etag"]
    answer = alice.patch(running, patch, params={"dry_run": "true"}, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.json
    assert answer.json["dry_run"] is True
    assert answer.json["changed"] == changed
    assert steps(answer.json["plan"]) == planned
    assert answer.json["assembly"]["generation"] == answer.json["plan"]["generation"]
    assert snapshot() == before
    assert alice.get(running).headers["etag"] == etag


def test_a_dry_run_declaration_plans_the_creates_and_stores_nothing(alice, snapshot):
    before = snapshot()
    answer = alice.post(
        "/v3/assembly_factory",
        {"name": "web-rehearsed", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
         "region": "local", "flavor": "small", "replicas": 3},
        params={"dry_run": "true"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert answer.json["changed"] == ["created"]
    assert answer.json["assembly"]["name"] == "web-rehearsed"
    assert [s[:2] for s in steps(answer.json["plan"])] == [("create", 0), ("create", 1),
                                                          ("create", 2)]  # fmt: skip
    assert snapshot() == before
    assert alice.get("/v3/assembly_factory").json["items"] == []


def test_a_dry_run_does_not_show_generated_secrets(alice):
    answer = alice.post(
        "/v3/assembly_factory",
        {"name": "db-rehearsed", "plan_uri": "/v3/plan/6_database_postgresql",
         "region": "local", "flavor": "small"},
        params={"dry_run": "true"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert "generated_inputs" not in answer.json["assembly"]


def test_a_wrong_dry_run_is_refused_as_the_real_one_would_be(alice, running, snapshot):
    before = snapshot()
    bad = alice.patch(running, replace("/replicas", -1), params={"dry_run": "true"})
    assert bad.status_code == 422
    assert bad.json["problems"][0]["path"] == "$.replicas"
    stale = alice.patch(running, replace("/replicas", 3), params={"dry_run": "true"},
                        headers={"If-Match": '"asm-0000000000000000-1-0"'})  # fmt: skip
    assert stale.status_code == 412
    unknown = alice.post(
        "/v3/assembly_factory",
        {"name": "web-x", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "atlantis",
         "flavor": "small"},
        params={"dry_run": "true"},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert snapshot() == before


def test_a_dry_run_value_other_than_true_or_false_is_a_400(alice, running):
    answer = alice.patch(running, replace("/replicas", 3), params={"dry_run": "yes"})
    assert answer.status_code == 400
    assert "dry_run" in answer.json["description"]


def test_the_plan_of_an_assembly_one_cannot_see_is_a_404(alice, bob, running):
    assert bob.get(f"{running}/plan").status_code == 404
    assert alice.get("/v3/assembly/asm-0000000000000000/plan").status_code == 404


def test_a_placed_assembly_plans_each_region_s_share(alice, admin, make_reconciler, converge):
    east = admin.post(
        "/v3/regions", {"name": "east", "cloud_type": "sim", "settings": {"account": "east"}}
    )
    assert east.status_code == 201, east.json
    uri = alice.declare(
        "web-spread", region=None, replicas=2,
        placement={"policy": "spread", "regions": ["local", "east"]},
    ).headers["location"]  # fmt: skip
    fresh = alice.get(f"{uri}/plan").json
    assert [(s["verb"], s["ordinal"], s["region"]) for s in fresh["steps"]] == [
        ("create", 0, "local"), ("create", 1, "east"),
    ]  # fmt: skip
    converge(make_reconciler(), lambda: alice.status(uri)["ready_replicas"] == 2)
    assert alice.get(f"{uri}/plan").json["steps"] == []
    more = alice.patch(uri, replace("/replicas", 4), params={"dry_run": "true"})
    assert [(s["verb"], s["ordinal"], s["region"]) for s in more.json["plan"]["steps"]] == [
        ("create", 2, "local"), ("create", 3, "east"),
    ]  # fmt: skip
