"""`PATCH /v3/assembly/{id}`: JSON Patch limited by metadata, test ops, ETag and If-Match.

Issue 20, item 5: a document that is no JSON Patch is a 400, a patch that cannot
be applied or is refused a 422; a missing assembly is a 404 whatever the body; a
failed `test` names JSON types.
"""

from __future__ import annotations

import json

import pytest

from vertice_api.http import MAX_BODY

JSON_PATCH = {"Content-Type": "application/json-patch+json"}


@pytest.fixture
def uri(alice):
    created = alice.declare("web-1", tags=["a"])
    assert created.status_code == 201
    return created.headers["location"]


def replace(path, value):
    return [{"op": "replace", "path": path, "value": value}]


@pytest.mark.parametrize(
    ("operations", "field", "expected"),
    [
        (replace("/name", "web-2"), "name", "web-2"),
        (replace("/description", "new"), "description", "new"),
        (replace("/tags", ["x", "y"]), "tags", ["x", "y"]),
        ([{"op": "add", "path": "/tags/-", "value": "b"}], "tags", ["a", "b"]),
        ([{"op": "remove", "path": "/tags/0"}], "tags", []),
        (replace("/desired_state", "stopped"), "desired_state", "stopped"),
        (replace("/restart_count", 1), "restart_count", 1),
        ([{"op": "copy", "from": "/name", "path": "/description"}], "description", "web-1"),
        (replace("/flavor", "large"), "flavor", "large"),  # resized in place (the sim can)
    ],
)
def test_patchable_attributes(alice, uri, operations, field, expected):
    result = alice.patch(uri, operations)
    assert result.status_code == 200, result.json
    assert result.json[field] == expected
    assert result.json["generation"] == 2
    assert result.headers["etag"].startswith('"2.')
    assert alice.get(uri).json[field] == expected


@pytest.mark.parametrize(
    ("operations", "path"),
    [
        (replace("/plan_uri", "/v3/plan/2_application_java"), "$[0].path"),
        (replace("/region", "elsewhere"), "$[0].path"),
        (replace("/generation", 9), "$[0].path"),
        (replace("/status/phase", "RUNNING"), "$[0].path"),
        (replace("/metadata/consumer_mutable", []), "$[0].path"),
        (replace("/project", "other"), "$[0].path"),
        (replace("", {}), "$[0].path"),
        (replace("/names", "x"), "$[0].path"),
        ([{"op": "copy", "from": "/region", "path": "/description"}], "$[0].from"),
        ([{"op": "test", "path": "/name", "value": "web-1"}, *replace("/metrics_port", 9)],
         "$[1].path"),
    ],
)  # fmt: skip
def test_other_paths_are_422_naming_the_path(alice, uri, snapshot, operations, path):
    before = snapshot()
    result = alice.patch(uri, operations)
    assert result.status_code == 422, result.json
    problem = next(p for p in result.json["problems"] if p["path"] == path)
    field = "from" if path.endswith("from") else "path"
    index = int(path[2])
    assert repr(operations[index][field]) in problem["message"]
    assert snapshot() == before


def test_consumer_mutable_for_users_mutable_for_admins(admin, alice):
    metadata = {"mutable": ["/name", "/description"], "consumer_mutable": ["/description"]}
    uri = alice.declare("locked", metadata=metadata).headers["location"]
    refused = alice.patch(uri, replace("/name", "renamed"))
    assert refused.status_code == 422
    assert "'/name'" in refused.json["problems"][0]["message"]
    assert alice.patch(uri, replace("/description", "ok")).status_code == 200
    assert admin.patch(uri, replace("/name", "renamed")).json["name"] == "renamed"
    assert admin.patch(uri, replace("/desired_state", "stopped")).status_code == 422


def test_a_failed_test_operation_is_409(alice, uri, snapshot):
    before = snapshot()
    operations = [{"op": "test", "path": "/name", "value": "other"}, *replace("/name", "x")]
    result = alice.patch(uri, operations)
    assert result.status_code == 409
    assert snapshot() == before
    operations[0]["value"] = "web-1"
    assert alice.patch(uri, operations).json["name"] == "x"


def test_restart_count_only_grows(alice, uri, snapshot):
    assert alice.patch(uri, replace("/restart_count", 2)).status_code == 200
    before = snapshot()
    for value in (1, 0, -1):
        result = alice.patch(uri, replace("/restart_count", value))
        assert result.status_code == 422, value
        assert result.json["problems"][0]["path"] == "$.restart_count"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("operations", "path"),
    [
        (replace("/name", "not valid"), "$.name"),
        (replace("/desired_state", "deleted"), "$.desired_state"),
        (replace("/tags", {"a": 1}), "$.tags"),
        (replace("/restart_count", "3"), "$.restart_count"),
        (replace("/restart_count", 2**40), "$.restart_count"),
        (replace("/description", 7), "$.description"),
        ([{"op": "remove", "path": "/name"}], "$.name"),
        ([{"op": "copy", "from": "/tags", "path": "/name"}], "$.name"),
    ],
)
def test_values_are_validated_after_patching(alice, uri, snapshot, operations, path):
    before = snapshot()
    result = alice.patch(uri, operations)
    assert result.status_code == 422, result.json
    assert path in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "/name/0", "value": "x"}],
        [{"op": "add", "path": "/name/0", "value": "x"}],
        [{"op": "replace", "path": "/tags/7", "value": "x"}],
        [{"op": "replace", "path": "/tags/x", "value": "x"}],
        [{"op": "move", "from": "/tags", "path": "/tags/0"}],
    ],
)
def test_patches_that_cannot_be_applied_are_422(alice, uri, snapshot, operations):
    before = snapshot()
    result = alice.patch(uri, operations)
    assert result.status_code == 422, result.text
    assert result.json["problems"][0]["path"] == "$[0]"
    assert snapshot() == before


#: Documents that are no JSON Patch (RFC 6902 §4, §5): RFC 5789's "malformed patch
#: document", a 400 (issue 20, item 5: an operation without `path` is one).
MALFORMED = {
    "no path": [{"op": "replace", "value": "x"}],
    "no path after a good one": [
        {"op": "replace", "path": "/description", "value": "x"},
        {"op": "add", "value": "y"},
    ],
    "a path that is not a string": [{"op": "replace", "path": 5, "value": "x"}],
    "a from that is not a string": [{"op": "copy", "from": ["/name"], "path": "/description"}],
    "no op": [{"path": "/name", "value": "x"}],
    "an unknown op": [{"op": "frobnicate", "path": "/name", "value": "x"}],
    "an op that is not a string": [{"op": ["replace"], "path": "/name", "value": "x"}],
    "no value": [{"op": "replace", "path": "/name"}],
    "no from": [{"op": "copy", "path": "/description"}],
    "an operation that is not an object": ["replace /name x"],
    "not an array": {"op": "replace", "path": "/name", "value": "x"},
    "null": None,
}


@pytest.mark.parametrize("operations", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_patches_are_400(alice, uri, snapshot, operations):
    before = snapshot()
    result = alice.patch(uri, operations)
    assert result.status_code == 400, result.text
    assert result.json["title"] == "Malformed patch"
    assert "$" in result.json["description"]
    assert snapshot() == before


def test_an_operation_without_path_is_named_by_its_index(alice, uri):
    result = alice.patch(uri, MALFORMED["no path after a good one"])
    assert result.status_code == 400
    assert result.json["description"] == "$[1]: the 'add' operation needs a 'path'"


def test_an_empty_or_idle_patch_keeps_the_generation(alice, uri):
    assert alice.patch(uri, []).json["generation"] == 1
    assert alice.patch(uri, replace("/name", "web-1")).json["generation"] == 1


def test_renaming_onto_a_sibling_is_409(alice, uri):
    alice.declare("web-2")
    result = alice.patch(uri, replace("/name", "web-2"))
    assert result.status_code == 409
    assert "web-2" in result.json["description"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/merge-patch+json", "text/plain", None],
)
def test_wrong_content_type_is_415(alice, uri, snapshot, content_type):
    before = snapshot()
    headers = alice.headers({"Content-Type": content_type} if content_type else {})
    body = json.dumps(replace("/name", "x"))
    result = alice.client.simulate_patch(uri, body=body, headers=headers)
    assert result.status_code == 415
    assert "application/json-patch+json" in result.json["description"]
    assert snapshot() == before


def test_etag_on_get_and_if_match_on_patch(alice, uri, snapshot):
    first = alice.get(uri).headers["etag"]
    assert first.startswith('"1.')
    ok = alice.patch(uri, replace("/description", "one"), headers={"If-Match": first})
    assert ok.status_code == 200
    assert ok.headers["etag"] == alice.get(uri).headers["etag"]
    assert ok.headers["etag"].startswith('"2.')
    before = snapshot()
    stale = alice.patch(uri, replace("/description", "two"), headers={"If-Match": first})
    assert stale.status_code == 412
    assert stale.json["title"] == "Stale version"
    assert "generation 2" in stale.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize("if_match", ['"1"', "*", '"9", "1"', '"1","3"', '"1.0123456789ab"'])
def test_if_match_accepts_the_current_tag_or_a_star(alice, uri, if_match):
    result = alice.patch(uri, replace("/description", "x"), headers={"If-Match": if_match})
    assert result.status_code == 200, result.json


@pytest.mark.parametrize("if_match", ['"2"', "1", 'W/"1"', '""', '"2.1"', '"x.1"', '"1'])
def test_if_match_refuses_anything_else(alice, uri, if_match):
    result = alice.patch(uri, replace("/description", "x"), headers={"If-Match": if_match})
    assert result.status_code == 412


def test_patching_a_deleted_assembly_is_409(alice, uri, snapshot):
    assert alice.delete(uri).status_code == 202
    before = snapshot()
    result = alice.patch(uri, replace("/desired_state", "running"))
    assert result.status_code == 409
    assert "deleted" in result.json["description"]
    assert snapshot() == before


def test_patching_a_missing_assembly_is_404(alice):
    result = alice.patch("/v3/assembly/asm-0000000000000000", replace("/name", "x"))
    assert result.status_code == 404


MISSING = "/v3/assembly/asm-0000000000000000"
PATCH = "application/json-patch+json"
#: Every kind of bad body, and a good one: none may hide that the assembly is missing.
BODIES = {
    **{f"malformed patch: {name}": (body, PATCH) for name, body in MALFORMED.items()},
    "malformed JSON": ('[{"op": "replace",', PATCH),
    "empty": ("", PATCH),
    "not utf-8": (b'[{"op": "\xff"}]', PATCH),
    "wrong media type": ([], "application/json"),
    "no media type": ([], None),
    "over 1 MiB": ([{"op": "test", "path": "/description", "value": "x" * MAX_BODY}], PATCH),
    "a path not allowed": ([{"op": "add", "path": "/colour", "value": "red"}], PATCH),
    "wrong types": (replace("/name", 1), PATCH),
    "a failing test": ([{"op": "test", "path": "/description", "value": 5}], PATCH),
    "a valid patch": (replace("/description", "x"), PATCH),
}


def send(api, path, body, media):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    headers = api.headers({"Content-Type": media} if media else {})
    result = api.client.simulate_request("PATCH", path, body=body, headers=headers)
    assert result.status_code < 500, result.text
    return result


@pytest.mark.parametrize(("body", "media"), BODIES.values(), ids=BODIES.keys())
def test_a_missing_assembly_is_404_whatever_the_body(alice, snapshot, body, media):
    before = snapshot()
    result = send(alice, MISSING, body, media)
    assert result.status_code == 404, result.text
    assert snapshot() == before


@pytest.mark.parametrize(("body", "media"), BODIES.values(), ids=BODIES.keys())
def test_an_assembly_the_caller_cannot_see_is_404_whatever_the_body(
    bob, uri, snapshot, body, media
):
    before = snapshot()
    result = send(bob, uri, body, media)
    assert result.status_code == 404, result.text
    assert snapshot() == before


#: A failed `test`: the path, the value found and its JSON type, the value tested and its.
TESTS = {
    "integer against string": ("/description", 5, "string", "integer"),
    "number against string": ("/description", 1.5, "string", "number"),
    "boolean against string": ("/description", True, "string", "boolean"),
    "null against string": ("/description", None, "string", "null"),
    "object against array": ("/tags", {}, "array", "object"),
    "array against integer": ("/replicas", [1], "integer", "array"),
    "string against string": ("/name", "other", "string", "string"),
}


@pytest.mark.parametrize(("path", "value", "actual", "tested"), TESTS.values(), ids=TESTS.keys())
def test_a_failed_test_names_json_types(alice, uri, snapshot, path, value, actual, tested):
    before = snapshot()
    result = alice.patch(uri, [{"op": "test", "path": path, "value": value}])
    assert result.status_code == 409, result.text
    message = result.json["description"]
    assert "class" not in message
    assert f"({actual})" in message
    assert f"({tested})" in message
    assert path in message
    assert snapshot() == before


def test_a_failed_test_quotes_both_values(alice, uri):
    result = alice.patch(uri, [{"op": "test", "path": "/name", "value": 5}])
    assert result.json["description"] == (
        'a test operation failed: /name is "web-1" (string), not 5 (integer)'
    )


def test_a_failed_test_sees_the_operations_before_it(alice, uri):
    operations = [*replace("/description", "new"), {"op": "test", "path": "/description",
                                                     "value": "old"}]  # fmt: skip
    result = alice.patch(uri, operations)
    assert result.status_code == 409
    assert '"new" (string), not "old" (string)' in result.json["description"]


def test_a_test_of_a_missing_member_says_so(alice, uri):
    result = alice.patch(uri, [{"op": "test", "path": "/tags/7", "value": "x"}])
    assert result.status_code == 409, result.text
    assert result.json["description"] == "a test operation failed: /tags/7 does not exist"
