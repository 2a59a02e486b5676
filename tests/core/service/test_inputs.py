"""A plan's inputs: checked when the plan is stored, resolved at launch (defaults, generated
secrets shown once, 422s naming the input), and reaching the instance's environment."""

from __future__ import annotations

import pytest

from vertice_core.crypto import SecretBox
from vertice_core.model.camp import Plan
from vertice_core.model.inputs import InputType, LaunchInput, plan_input_problems, resolve
from vertice_core.reconcile.specs import instance_spec
from vertice_core.store.repositories.work import SpecRow
from vertice_core.store.tables import AssemblyRow, FlavorRow

INPUTS = [
    {"name": "http.port", "type": "port", "default": "8080", "description": "where it listens"},
    {"name": "user", "default": "app", "env": "DB_USER"},
    {"name": "password", "secret": True, "generate": True, "env": "DB_PASSWORD"},
    {"name": "debug", "type": "boolean", "default": "false"},
    {"name": "title", "description": "the page's title"},
]
PLAN = {
    "name": "inputs-app",
    "camp_version": "1.2",
    "services": [{"name": "web", "characteristics": [
        {"type": "org.vertice::env", "http.port": "8080"}]}],
    "inputs": INPUTS,
}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (LaunchInput("1bad"), "$.inputs[0].name"),
        (LaunchInput("ok", env="9x"), "$.inputs[0].env"),
        (LaunchInput("ok", generate=True), "$.inputs[0].generate"),
        (LaunchInput("ok", InputType.PORT, default="70000"), "$.inputs[0].default"),
        (LaunchInput("ok", InputType.BOOLEAN, default="yes"), "$.inputs[0].default"),
    ],
)
def test_a_plan_with_a_bad_input_is_refused(given, problem):
    assert [p.path for p in plan_input_problems("$.inputs", [given])] == [problem]


def test_two_inputs_of_one_name_or_one_variable_are_refused():
    found = plan_input_problems("$.inputs", [LaunchInput("a.b"), LaunchInput("a_b"),
                                             LaunchInput("a.b")])  # fmt: skip
    assert [p.path for p in found] == ["$.inputs[1].env", "$.inputs[2].name"]


def test_values_are_defaulted_generated_typed_and_required():
    inputs = [LaunchInput("port", InputType.PORT, default="80"),
              LaunchInput("secret", secret=True, generate=True), LaunchInput("must")]  # fmt: skip
    resolved, problems = resolve(inputs, {"port": 8081, "must": True})
    assert problems == []
    assert resolved.values["port"] == "8081" and resolved.values["must"] == "true"
    assert resolved.generated == ("secret",) and len(resolved.values["secret"]) == 24
    _, problems = resolve(inputs, {"port": "x", "nope": 1})
    assert sorted(p.path for p in problems) == ["$.inputs['must']", "$.inputs['nope']",
                                               "$.inputs['port']"]  # fmt: skip


def test_a_plan_s_inputs_are_shown_and_a_bad_plan_is_a_422(admin):
    created = admin.post("/v3/plan_factory", PLAN)
    assert created.status_code == 201, created.json
    assert [i["name"] for i in admin.get("/v3/plan/inputs-app").json["inputs"]] == [
        i["name"] for i in INPUTS
    ]
    bad = admin.post("/v3/plan_factory", {**PLAN, "name": "bad",
                                          "inputs": [{"name": "x", "type": "port",
                                                      "default": "0"}]})  # fmt: skip
    assert bad.status_code == 422 and bad.json["problems"][0]["path"] == "$.inputs[0].default"


def test_a_launch_resolves_the_inputs_and_they_reach_the_instance_s_environment(admin, alice, ctx):
    admin.post("/v3/plan_factory", PLAN)
    missing = alice.declare("app", plan_uri="/v3/plan/inputs-app")
    assert missing.status_code == 422
    assert [p["path"] for p in missing.json["problems"]] == ["$.inputs['title']"]
    assert "the page's title" in missing.json["problems"][0]["message"]
    wrong = alice.declare("app", plan_uri="/v3/plan/inputs-app",
                          inputs={"title": "x", "http.port": "0", "other": "1"})  # fmt: skip
    assert sorted(p["path"] for p in wrong.json["problems"]) == ["$.inputs['http.port']",
                                                                "$.inputs['other']"]  # fmt: skip
    assert alice.get("/v3/assembly_factory").json["items"] == []

    answer = alice.declare("app", plan_uri="/v3/plan/inputs-app",
                           inputs={"title": "Hello", "http.port": 9090})  # fmt: skip
    assert answer.status_code == 201, answer.json
    generated = answer.json["generated_inputs"]
    assert list(generated) == ["password"]
    document = alice.get(answer.json["uri"]).json
    assert "generated_inputs" not in document
    assert document["inputs"] == {"http.port": "9090", "user": "app", "debug": "false",
                                  "title": "Hello"}  # fmt: skip
    assert document["secret_inputs"] == ["password"]
    assert generated["password"] not in alice.get(answer.json["uri"]).text

    with ctx.store.read() as session:
        row = session.get(AssemblyRow, document["id"])
        flavor = session.get(FlavorRow, "small")
        assert generated["password"] not in str(row.spec)
        spec_row = SpecRow(row.id, row.name, row.project_id, row.plan_name, row.flavor_name,
                           row.spec)  # fmt: skip
    plan = ctx.converter.structure(PLAN, Plan)
    spec = instance_spec(spec_row, "k", plan=plan, flavor=flavor, project="p",
                         installation_id="i", box=SecretBox(ctx.config.secret_key))  # fmt: skip
    assert spec.ports == (9090,)
    assert {k: spec.env[k] for k in ("HTTP_PORT", "DB_USER", "DB_PASSWORD", "DEBUG", "TITLE")} == {
        "HTTP_PORT": "9090", "DB_USER": "app", "DB_PASSWORD": generated["password"],
        "DEBUG": "false", "TITLE": "Hello"}  # fmt: skip
