"""What an assembly runs: `command`, `args` and `env` at declaration, a plan's `::command`.

The env values are sealed at rest and never returned (reads show `env_names`);
bad values are 422s naming the field, and nothing is stored.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vertice_core.store.tables import AssemblyRow, PlanRow

SECRET = "Greeting-S3cret-5512"


def test_declared_command_args_and_env_names_are_shown_and_values_never(admin, alice):
    created = alice.declare(
        "run-1",
        command=["sh", "-c"],
        args=['echo "$GREETING"'],
        env={"GREETING": SECRET, "MODE": "quiet"},
    )
    assert created.status_code == 201, created.json
    document = alice.get(created.headers["location"]).json
    assert (document["command"], document["args"]) == (["sh", "-c"], ['echo "$GREETING"'])
    assert document["env_names"] == ["GREETING", "MODE"]
    assert "env" not in document
    texts = [created.text, alice.get("/v3/assembly_factory").text]
    texts += [api.get(created.headers["location"]).text for api in (admin, alice)]
    assert not any(SECRET in text for text in texts)


def test_an_assembly_declared_without_them_shows_none(alice):
    created = alice.declare("plain-1")
    assert created.status_code == 201, created.json
    assert (created.json["command"], created.json["args"], created.json["env_names"]) == (
        None,
        None,
        [],
    )


def test_env_values_are_sealed_at_rest(ctx, store, snapshot, alice):
    created = alice.declare("sealed-1", env={"GREETING": SECRET})
    assert created.status_code == 201, created.json
    assert SECRET not in repr(snapshot())
    with store.read() as session:
        row = session.get(AssemblyRow, created.json["id"])
        sealed = row.spec["sealed_env"]
    assert list(sealed) == ["GREETING"]
    assert ctx.box.open(sealed["GREETING"]) == SECRET


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"command": []}, "$.command"),
        ({"args": ["x"] * 65}, "$.args"),
        ({"args": ["ok", "x" * 4097]}, "$.args[1]"),
        ({"env": {"not-a-name": "1"}}, "$.env"),
        ({"env": {"X": "v" * 4097}}, "$.env['X']"),
        ({"env": {f"V{i}": "" for i in range(129)}}, "$.env"),
        ({"env": {"X": 1}}, "$.env['X']"),
        ({"command": "sh -c"}, "$.command"),
    ],
)
def test_bad_command_args_or_env_is_a_422_naming_the_field_and_stores_nothing(
    store, alice, fields, path
):
    refused = alice.declare("bad-1", **fields)
    assert refused.status_code == 422, refused.json
    assert path in [p["path"] for p in refused.json["problems"]], refused.json
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(AssemblyRow)) == 0


def test_command_args_and_env_are_not_patchable(alice):
    created = alice.declare("fixed-1", command=["true"])
    uri = created.headers["location"]
    for path, value in (("/command", ["false"]), ("/env", {"X": "1"})):
        refused = alice.patch(uri, [{"op": "replace", "path": path, "value": value}])
        assert refused.status_code in (403, 422), refused.json
    assert alice.get(uri).json["command"] == ["true"]


PLAN = {
    "name": "9_container_run",
    "camp_version": "1.2",
    "services": [{"name": "web", "characteristics": [
        {"type": "org.vertice.container::command", "command": ["httpd"], "args": ["-f"]},
    ]}],
}  # fmt: skip


def test_a_plan_with_a_command_characteristic_is_stored(admin):
    created = admin.post("/v3/plan_factory", PLAN)
    assert created.status_code == 201, created.json


def test_a_plan_with_a_bad_command_characteristic_is_a_422_and_not_stored(store, admin):
    bad = {**PLAN, "services": [{"name": "web", "characteristics": [
        {"type": "org.vertice.container::command", "command": "httpd -f"},
    ]}]}  # fmt: skip
    refused = admin.post("/v3/plan_factory", bad)
    assert refused.status_code == 422, refused.json
    assert [p["path"] for p in refused.json["problems"]] == [
        "$.services[0].characteristics[0].command"
    ]
    with store.read() as session:
        assert session.get(PlanRow, PLAN["name"]) is None
