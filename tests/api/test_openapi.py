"""The OpenAPI document: valid OpenAPI 3.1, served as built, and true to the app's routes.

Every route of `vertice_api.app.routes` and every method its resource
implements must be documented, and nothing else may be; path parameters must
match the route's template; public routes (no token) must be the documented
ones without security.
"""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from vertice_api.app import routes
from vertice_api.auth import TokenCache
from vertice_api.openapi import document

METHODS = ("get", "post", "put", "patch", "delete")


def implemented(ctx) -> dict[tuple[str, str], object]:
    """`(path, method)` -> resource, for every responder the app routes to."""
    found = {}
    for path, resource in routes(ctx, TokenCache(0)):
        for method in METHODS:
            if callable(getattr(resource, f"on_{method}", None)):
                found[(path, method)] = resource
    return found


def documented(doc: dict) -> dict[tuple[str, str], dict]:
    """`(path, method)` -> operation, for every operation of the document."""
    return {
        (path, method): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def deref(doc: dict, node: dict) -> dict:
    """Follow `$ref`s (local ones only) from `node`."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def parameters_of(doc: dict, path: str, method: str) -> list[dict]:
    """The path-level and operation-level parameters of an operation, resolved."""
    item = doc["paths"][path]
    raw = item.get("parameters", []) + item[method].get("parameters", [])
    return [deref(doc, p) for p in raw]


def test_document_is_valid_openapi_31():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_route_and_method_is_documented_and_nothing_else(ctx):
    app_side = set(implemented(ctx))
    doc_side = set(documented(document()))
    assert sorted(app_side - doc_side) == [], "routes missing from the document"
    assert sorted(doc_side - app_side) == [], "documented operations the app does not have"


def test_path_parameters_match_the_route_templates():
    doc = document()
    for path, method in documented(doc):
        in_template = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in parameters_of(doc, path, method) if p["in"] == "path"}
        assert declared == in_template, f"{method.upper()} {path}"


def test_public_routes_are_exactly_the_unsecured_operations(ctx):
    doc = document()
    operations = documented(doc)
    for key, resource in implemented(ctx).items():
        operation = operations[key]
        public = getattr(resource, "public", False)
        assert (operation.get("security") == []) == public, key
        # A public route answers no 401 for want of a token; a webhook's delivery proves
        # itself with a signature instead, and answers 401 without one.
        signed = key == ("/v3/hooks/{hook_id}", "post")
        assert ("401" in operation["responses"]) != (public and not signed), key


def test_operations_document_their_shape(ctx):
    """201 has Location; a body brings 400/413/415/422; every 422 lists problems."""
    doc = document()
    for (path, method), operation in documented(doc).items():
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        if "201" in responses:
            assert "Location" in responses["201"].get("headers", {}), label
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(responses), label
        if "422" in responses:
            schema = deref(doc, responses["422"])["content"]["application/json"]["schema"]
            assert "problems" in deref(doc, schema)["required"], label


REHEARSAL = "#/components/schemas/Rehearsal"


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v3/assembly/{assembly_id}", "get"),
        ("/v3/assembly/{assembly_id}", "patch"),
        ("/v3/assembly/{assembly_id}", "delete"),
        ("/v3/assembly_factory", "post"),
    ],
)
def test_assembly_answers_carry_an_etag(path, method):
    """Every success with the assembly's document (an orphaning delete's has none: the
    assembly is gone; nor has a dry run's declaration: nothing was stored)."""
    responses = document()["paths"][path][method]["responses"]
    answers = [
        r for s, r in responses.items()
        if s.startswith("2") and "Orphaned" not in str(r)
        and r["content"]["application/json"]["schema"] != {"$ref": REHEARSAL}
    ]  # fmt: skip
    assert answers and all("ETag" in r["headers"] for r in answers)


def test_media_types_of_request_bodies():
    paths = document()["paths"]
    plan_types = set(paths["/v3/plan_factory"]["post"]["requestBody"]["content"])
    assert {"application/json", "application/yaml"} <= plan_types
    patch = paths["/v3/assembly/{assembly_id}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/json-patch+json"}


def test_request_objects_reject_unknown_fields():
    schemas = document()["components"]["schemas"]
    for name in ("PlanInput", "AssemblyDeclaration", "RegionInput", "FlavorInput", "UserInput",
                 "TokenInput", "SshKeyInput", "ProjectInput", "MemberChange",
                 "SnapshotInput"):  # fmt: skip
        assert schemas[name]["additionalProperties"] is False, name


def test_served_document_equals_document_and_needs_no_token(client, ctx):
    served = client.simulate_get("/v3/openapi.json")
    assert served.status_code == 200
    assert served.json == document(ctx.config.max_replicas)


def test_the_replicas_bound_is_the_installations():
    declaration = document(7)["components"]["schemas"]["AssemblyDeclaration"]
    assert declaration["properties"]["replicas"]["maximum"] == 7
    assert declaration["properties"]["replicas"]["minimum"] == 0


def test_the_assembly_document_has_exactly_the_documented_attributes(
    alice, make_reconciler, converge
):
    uri = alice.declare("web-1").headers["location"]
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    body = alice.get(uri).json
    schemas = document()["components"]["schemas"]
    optional = set(schemas["Assembly"]["properties"]) - set(schemas["Assembly"]["required"])
    assert optional == {"generated_inputs"}  # only in the answer that declared it
    assert set(body) == set(schemas["Assembly"]["properties"]) - optional
    assert set(body["status"]) == set(schemas["AssemblyStatus"]["properties"])
    assert set(body["status"]["conditions"][0]) == set(schemas["Condition"]["properties"])
    assert set(body["status"]["instances"][0]) == set(schemas["Instance"]["properties"])
    assert set(body["credential"]) <= set(schemas["CredentialView"]["properties"])
