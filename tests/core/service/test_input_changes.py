"""Changing plan inputs after a launch (`PATCH /inputs/...`): checked against the plan, secrets
never shown nor probed, a removed generated secret made anew and shown once, the instances
replaced to run with the new values; bad changes are 422s that change nothing."""

from __future__ import annotations

import pytest

from vertice_core.crypto import SecretBox
from vertice_core.service.input_changes import HIDDEN
from vertice_core.store.tables import AssemblyRow

from .test_inputs import PLAN


@pytest.fixture
def launched(admin, alice):
    """The inputs plan launched as `app`: (its uri, its generated password)."""
    assert admin.post("/v3/plan_factory", PLAN).status_code == 201
    answer = alice.declare("app", plan_uri="/v3/plan/inputs-app", inputs={"title": "Hello"})
    assert answer.status_code == 201, answer.json
    return answer.json["uri"], answer.json["generated_inputs"]["password"]


def stored(ctx, uri):
    """(the plain inputs, the opened secret ones, generation, replace_count) as stored."""
    with ctx.store.read() as session:
        row = session.get(AssemblyRow, uri.rsplit("/", 1)[1])
        box = SecretBox(ctx.config.secret_key)
        secrets = {k: box.open(v) for k, v in row.spec["sealed_inputs"].items()}
        return row.spec["inputs"], secrets, row.generation, row.replace_count


def test_a_plain_and_a_secret_input_change_and_the_instances_are_replaced(alice, ctx, launched):
    uri, password = launched
    _, _, generation, replace_count = stored(ctx, uri)
    answer = alice.patch(uri, [
        {"op": "test", "path": "/inputs/password", "value": HIDDEN},  # what a reader sees
        {"op": "replace", "path": "/inputs/title", "value": "Bonjour"},
        {"op": "replace", "path": "/inputs/password", "value": "n3w-passw0rd"},
    ])  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert answer.json["inputs"]["title"] == "Bonjour"
    assert answer.json["secret_inputs"] == ["password"]
    assert "n3w-passw0rd" not in answer.text and "generated_inputs" not in answer.json
    inputs, secrets, new_generation, new_replace_count = stored(ctx, uri)
    assert inputs["title"] == "Bonjour" and secrets == {"password": "n3w-passw0rd"}
    assert (new_generation, new_replace_count) == (generation + 1, replace_count + 1)
    assert password != "n3w-passw0rd"

    # the same values again change nothing
    again = alice.patch(uri, [{"op": "replace", "path": "/inputs/title", "value": "Bonjour"}])
    assert again.status_code == 200
    assert stored(ctx, uri)[2:] == (new_generation, new_replace_count)


def test_a_secret_can_be_neither_read_nor_probed_through_a_patch(alice, ctx, launched):
    uri, password = launched
    probe = alice.patch(uri, [{"op": "test", "path": "/inputs/password", "value": password}])
    # a 409 as for any other value (the patch sees only HIDDEN): no oracle
    assert probe.status_code == 409 and f'is "{HIDDEN}" (string)' in probe.json["title"] + str(
        probe.json.get("description")
    ), probe.json
    copied = alice.patch(uri, [{"op": "copy", "from": "/inputs/password", "path": "/description"}])
    assert copied.status_code == 200, copied.json
    assert copied.json["description"] == HIDDEN and password not in copied.text
    assert stored(ctx, uri)[1] == {"password": password}  # kept while it reads HIDDEN


def test_a_removed_generated_secret_is_made_anew_and_shown_once(alice, ctx, launched):
    uri, password = launched
    answer = alice.patch(uri, [{"op": "remove", "path": "/inputs/password"},
                               {"op": "remove", "path": "/inputs/http.port"}])  # fmt: skip
    assert answer.status_code == 200, answer.json
    fresh = answer.json["generated_inputs"]["password"]
    assert fresh != password and len(fresh) == len(password)
    inputs, secrets, _, _ = stored(ctx, uri)
    assert secrets == {"password": fresh} and inputs["http.port"] == "8080"  # the default
    assert "generated_inputs" not in alice.get(uri).json and fresh not in alice.get(uri).text


@pytest.mark.parametrize(
    ("operations", "path"),
    [
        ([{"op": "remove", "path": "/inputs/title"}], "$.inputs['title']"),  # required
        ([{"op": "replace", "path": "/inputs/http.port", "value": "99999"}],
         "$.inputs['http.port']"),
        ([{"op": "add", "path": "/inputs/nope", "value": "1"}], "$.inputs['nope']"),
        ([{"op": "replace", "path": "/inputs/debug", "value": {"a": 1}}], "$.inputs['debug']"),
        ([{"op": "replace", "path": "/inputs", "value": []}], "$.inputs"),
    ],
)  # fmt: skip
def test_a_bad_change_is_a_422_naming_the_input_and_changes_nothing(
    alice, ctx, launched, operations, path
):
    uri, _ = launched
    before = stored(ctx, uri)
    answer = alice.patch(uri, [{"op": "replace", "path": "/description", "value": "x"},
                               *operations])  # fmt: skip
    assert answer.status_code == 422, answer.json
    assert path in [p["path"] for p in answer.json["problems"]], answer.json
    assert stored(ctx, uri) == before
    assert alice.get(uri).json["description"] == ""


def test_inputs_are_changed_only_where_the_metadata_allows_it(admin, alice, ctx):
    assert admin.post("/v3/plan_factory", PLAN).status_code == 201
    fixed = {"type_definition": "/v3/type_definitions/assembly", "mutable": ["/inputs"],
             "consumer_mutable": ["/replicas"]}  # fmt: skip
    answer = alice.declare("app", plan_uri="/v3/plan/inputs-app", inputs={"title": "Hello"},
                           metadata=fixed)  # fmt: skip
    assert answer.status_code == 201, answer.json
    uri = answer.json["uri"]
    refused = alice.patch(uri, [{"op": "replace", "path": "/inputs/title", "value": "x"}])
    assert refused.status_code == 422 and "may not be changed" in refused.text
    allowed = admin.patch(uri, [{"op": "replace", "path": "/inputs/title", "value": "y"}])
    assert allowed.json["inputs"]["title"] == "y"
