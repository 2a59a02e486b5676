"""Plans: `/v3/plan_factory` (list, POST as JSON or YAML) and `/v3/plan/{name}`."""

from __future__ import annotations

import json

import pytest

from vertice_api.http import dump_json
from vertice_api.resources.plans import MAX_PLAN_BYTES
from vertice_core.convert import structure, unstructure
from vertice_core.model.camp import Plan

#: The design document's plans, then the one-click catalog's.
BUILTINS = [
    "1_virtualmachine_ubuntu",
    "2_application_java",
    "3_webserver_apache",
    "4_webserver_static",
    "5_application_python",
    "6_database_postgresql",
    "7_cache_redis",
]

PLAN = {
    "name": "4_container_nginx",
    "description": "nginx in a container",
    "camp_version": "1.2",
    "tags": ["web"],
    "services": [{"name": "nginx", "characteristics": [{"type": "x::image", "name": "nginx"}]}],
}

PLAN_YAML = """\
name: 5_webserver_caddy
description: Caddy
camp_version: '1.2'
tags: [web, tls]
services:
  - name: caddy
    Characteristics:
      - type: org.megam.web::env
        http.port: '80'
"""


def post_raw(api, path, body, content_type, method="POST"):
    headers = api.headers({"Content-Type": content_type}) if content_type else api.headers()
    return api.client.simulate_request(method, path, body=body, headers=headers)


def test_the_builtin_plans_are_listed(alice):
    result = alice.get("/v3/plan_factory")
    assert result.status_code == 200
    assert result.json["type"] == "plan_factory"
    assert [i["name"] for i in result.json["items"]] == BUILTINS
    assert result.json["items"][0]["uri"] == "/v3/plan/1_virtualmachine_ubuntu"
    assert result.json["total_items"] == len(BUILTINS)


def test_plan_factory_pages(alice):
    page = alice.get("/v3/plan_factory", params={"start_index": "1", "items_per_page": "1"})
    assert [i["name"] for i in page.json["items"]] == BUILTINS[1:2]
    assert (page.json["start_index"], page.json["items_per_page"]) == (1, 1)
    assert page.json["total_items"] == len(BUILTINS)


def test_a_builtin_plan_reads_with_normalised_spellings(alice):
    result = alice.get("/v3/plan/1_virtualmachine_ubuntu")
    assert result.status_code == 200
    body = result.json
    assert body["type"] == "plan"
    assert body["uri"] == "/v3/plan/1_virtualmachine_ubuntu"
    assert body["tags"] == ["linux", "ubuntu", "xenial", "14.04"]
    assert body["builtin"] is True
    assert "characteristics" in body["services"][0]
    assert "Characteristics" not in result.text


def test_unknown_plan_is_404(alice):
    result = alice.get("/v3/plan/no_such_plan")
    assert result.status_code == 404
    assert "no_such_plan" in result.json["description"]


def test_admin_posts_a_json_plan(admin, alice):
    created = admin.post("/v3/plan_factory", PLAN)
    assert created.status_code == 201, created.json
    assert created.headers["location"] == "/v3/plan/4_container_nginx"
    assert created.json["builtin"] is False
    read = alice.get("/v3/plan/4_container_nginx")
    assert read.json["services"] == created.json["services"]
    assert "4_container_nginx" in [i["name"] for i in alice.get("/v3/plan_factory").json["items"]]


@pytest.mark.parametrize(
    "content_type", ["application/yaml", "application/x-yaml", "text/yaml; charset=utf-8"]
)
def test_admin_posts_a_yaml_plan(admin, content_type):
    created = post_raw(admin, "/v3/plan_factory", PLAN_YAML, content_type)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["tags"] == ["web", "tls"]
    assert body["services"][0]["characteristics"][0]["http.port"] == "80"


def test_an_unquoted_yaml_camp_version_is_the_supported_version(admin):
    body = PLAN_YAML.replace("camp_version: '1.2'", "camp_version: 1.2")
    created = post_raw(admin, "/v3/plan_factory", body, "application/yaml")
    assert created.status_code == 201, created.json
    assert created.json["camp_version"] == "1.2"


@pytest.mark.parametrize(
    ("line", "fragment"), [("", "required"), ("camp_version: '2.0'\n", "not supported")]
)
def test_camp_version_missing_or_unsupported_in_yaml_is_400(admin, line, fragment):
    body = PLAN_YAML.replace("camp_version: '1.2'\n", line)
    result = post_raw(admin, "/v3/plan_factory", body, "application/yaml")
    assert result.status_code == 400, result.text
    assert fragment in result.json["description"]


def test_a_yaml_date_is_refused_not_a_crash(admin, snapshot):
    before = snapshot()
    body = PLAN_YAML + "        released: 2024-01-01\n"
    result = post_raw(admin, "/v3/plan_factory", body, "application/yaml")
    assert result.status_code in (400, 422), result.text
    assert snapshot() == before


def alias_bomb(levels: int) -> str:
    """YAML whose `levels` of aliases, each naming the level before nine times, expand a
    few hundred bytes to 9 ** (levels + 1) strings."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (PLAN_YAML.replace("tags: [web, tls]", "tags: &t [web, tls]"), "anchor &t"),
        (PLAN_YAML + "other: *t\n", "alias *t"),
        (PLAN_YAML + "  - <<: *t\n", "alias *t"),
        (PLAN_YAML + "        bomb:\n" + "\n".join(
            f"          {line}" for line in alias_bomb(6).splitlines()), "anchor &a0"),
    ],
    ids=["anchor", "alias", "merge key", "alias bomb"],
)  # fmt: skip
def test_yaml_anchors_and_aliases_are_400_naming_the_first(admin, snapshot, body, found):
    before = snapshot()
    result = post_raw(admin, "/v3/plan_factory", body, "application/yaml")
    assert result.status_code == 400, result.text
    assert result.json["title"] == "Malformed YAML"
    assert "anchors and aliases are not accepted" in result.json["description"]
    assert found in result.json["description"]
    assert "line" in result.json["description"]
    assert snapshot() == before


def plan_of_size(ctx, size: int) -> dict:
    """PLAN padded with a characteristic's value so that it is stored as `size` bytes of JSON."""

    def stored_size(plan: dict) -> int:
        return len(dump_json(unstructure(ctx.converter, structure(ctx.converter, plan, Plan))))

    def padded(length: int) -> dict:
        (service,) = PLAN["services"]
        characteristic = {**service["characteristics"][0], "padding": "p" * length}
        return {**PLAN, "services": [{**service, "characteristics": [characteristic]}]}

    plan = padded(size - stored_size(padded(0)))
    assert stored_size(plan) == size
    return plan


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v3/plan_factory"), ("PUT", "/v3/plan/4_container_nginx")]
)
def test_a_plan_over_the_stored_size_bound_is_413(admin, ctx, snapshot, method, path):
    assert admin.post("/v3/plan_factory", PLAN).status_code == 201
    before = snapshot()
    result = post_raw(
        admin, path, json.dumps(plan_of_size(ctx, MAX_PLAN_BYTES + 1)), "application/json", method
    )
    assert result.status_code == 413, result.text[:300]
    assert str(MAX_PLAN_BYTES) in result.json["description"]
    assert str(MAX_PLAN_BYTES + 1) in result.json["description"]
    assert snapshot() == before


def test_a_plan_at_the_stored_size_bound_is_accepted(admin, ctx):
    plan = plan_of_size(ctx, MAX_PLAN_BYTES)
    assert admin.post("/v3/plan_factory", plan).status_code == 201
    assert admin.put("/v3/plan/4_container_nginx", plan).status_code == 200


def test_malformed_yaml_names_the_position(admin):
    result = post_raw(admin, "/v3/plan_factory", "name: [unclosed\n", "application/yaml")
    assert result.status_code == 400
    assert "line" in result.json["description"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"camp_version": None}, "required"),
        ({"camp_version": "1.1"}, "not supported"),
        ({"camp_version": "CAMP 1.2"}, "not supported"),
    ],
)
def test_camp_version_missing_or_unsupported_is_400(admin, snapshot, change, fragment):
    plan = {**PLAN, **change}
    if change.get("camp_version") is None:
        del plan["camp_version"]
    before = snapshot()
    for method, path in (("POST", "/v3/plan_factory"), ("PUT", "/v3/plan/2_application_java")):
        result = post_raw(admin, path, json.dumps(plan), "application/json", method)
        assert result.status_code == 400, result.text
        assert fragment in result.json["description"]
        assert "1.2" in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "", "multipart/form-data"]
)
def test_wrong_media_type_is_415(admin, content_type):
    result = post_raw(admin, "/v3/plan_factory", json.dumps(PLAN), content_type)
    assert result.status_code == 415
    assert "application/json" in result.json["description"]


def test_a_duplicate_plan_is_409(admin):
    assert admin.post("/v3/plan_factory", PLAN).status_code == 201
    again = admin.post("/v3/plan_factory", PLAN)
    assert again.status_code == 409
    assert "4_container_nginx" in again.json["description"]


def test_plan_fields_are_validated_with_paths(admin):
    plan = {**PLAN, "name": "bad name", "services": [{"description": 3}], "colour": "red"}
    result = admin.post("/v3/plan_factory", plan)
    assert result.status_code == 422
    paths = {p["path"] for p in result.json["problems"]}
    assert {"$.name", "$.services[0].name", "$.services[0].description", "$.colour"} <= paths


def test_admin_replaces_a_plan(admin):
    admin.post("/v3/plan_factory", PLAN)
    replaced = admin.put("/v3/plan/4_container_nginx", {**PLAN, "description": "new"})
    assert replaced.status_code == 200, replaced.json
    assert admin.get("/v3/plan/4_container_nginx").json["description"] == "new"
    renamed = admin.put("/v3/plan/4_container_nginx", {**PLAN, "name": "other"})
    assert renamed.status_code == 422
    assert renamed.json["problems"][0]["path"] == "$.name"
    assert admin.put("/v3/plan/missing_plan", {**PLAN, "name": "missing_plan"}).status_code == 404


def test_admin_deletes_an_unused_plan(admin):
    admin.post("/v3/plan_factory", PLAN)
    assert admin.delete("/v3/plan/4_container_nginx").status_code == 204
    assert admin.get("/v3/plan/4_container_nginx").status_code == 404
    assert admin.delete("/v3/plan/4_container_nginx").status_code == 404


def test_deleting_a_plan_in_use_is_409_naming_the_assemblies(admin, alice, bob, snapshot):
    assert alice.declare("web-a").status_code == 201
    assert bob.declare("web-b").status_code == 201
    before = snapshot()
    result = admin.delete("/v3/plan/1_virtualmachine_ubuntu")
    assert result.status_code == 409
    assert "web-a" in result.json["description"]
    assert "web-b" in result.json["description"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v3/plan_factory"),
        ("PUT", "/v3/plan/1_virtualmachine_ubuntu"),
        ("DELETE", "/v3/plan/1_virtualmachine_ubuntu"),
    ],
)
def test_users_may_not_write_plans(alice, snapshot, method, path):
    before = snapshot()
    result = post_raw(alice, path, json.dumps(PLAN), "application/json", method)
    assert result.status_code == 403
    assert snapshot() == before
