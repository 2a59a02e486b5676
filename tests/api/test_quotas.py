"""Quotas (issue 13): administrators set them per project, over all regions or in one;
users read theirs with what their projects declare; a declaration, a scale-up or a route
that would go over a limit is a 403 naming the quota, the resource, the limit, what is
in use and what it asks for, and stores nothing; a deletion frees its share at once; two
declarations sent together cannot both squeeze under a limit.

The flavors of the test installation: `small` is 1 vCPU, 1024 MiB, 10 GiB."""

from __future__ import annotations

import threading
import time

import pytest

from vertice_core.hooks import hookimpl

SMALL = {"vcpus": 1, "ram": 1024, "disk": 10}


@pytest.fixture
def project(alice) -> str:
    """Alice's project's name."""
    return alice.get("/v3/projects").json["items"][0]["name"]


def set_quota(admin, project, region=None, **limits):
    uri = f"/v3/quotas/{project}" + (f"/{region}" if region else "")
    answer = admin.put(uri, limits)
    assert answer.status_code == 200, answer.json
    return answer.json


def refused(answer, resource, limit, used, asked):
    """Whether `answer` is the 403 of that quota, naming it all."""
    description = answer.json.get("description", "")
    return answer.status_code == 403 and all(
        part in description
        for part in (f"{limit}", f"of {resource}", f"{used}", f"asks for {asked}")
    )


def test_a_user_reads_the_usage_of_their_project_without_a_quota(alice, project):
    alice.declare("q-1", replicas=2)
    listing = alice.get("/v3/quotas")
    assert listing.status_code == 200, listing.json
    (mine,) = listing.json["items"]
    assert (mine["project"], mine["region"]) == (project, None)
    assert mine["limits"] == dict.fromkeys(("instances", "vcpus", "ram", "disk", "routes"))
    assert mine["usage"] == {"instances": 2, "vcpus": 2, "ram": 2048, "disk": 20, "routes": 0}


def test_only_administrators_set_and_lift_quotas(alice, admin, project, snapshot):
    before = snapshot()
    assert alice.put(f"/v3/quotas/{project}", {"instances": 1}).status_code == 403
    assert alice.delete(f"/v3/quotas/{project}").status_code == 403
    assert snapshot() == before
    set_quota(admin, project, instances=3, vcpus=8)
    shown = alice.get(f"/v3/quotas/{project}").json
    assert shown["limits"]["instances"] == 3
    assert shown["updated_by"] == "admin"
    assert admin.delete(f"/v3/quotas/{project}").status_code == 204
    assert alice.get(f"/v3/quotas/{project}").json["limits"]["instances"] is None
    assert admin.delete(f"/v3/quotas/{project}").status_code == 404


@pytest.mark.parametrize(
    ("resource", "limit", "unit"),
    [("instances", 3, ""), ("vcpus", 3, ""), ("ram", 3072, " MiB"), ("disk", 30, " GiB")],
)
def test_each_resource_is_counted_and_a_declaration_over_it_stores_nothing(
    alice, admin, project, snapshot, resource, limit, unit
):
    set_quota(admin, project, **{resource: limit})
    assert alice.declare("q-a", replicas=2).status_code == 201
    per = 1 if resource in ("instances", "vcpus") else SMALL[resource]
    before = snapshot()
    over = alice.declare("q-b", replicas=2)
    assert refused(over, resource, f"{limit}{unit}", f"{2 * per}{unit}", f"{2 * per}{unit}"), (
        over.json
    )
    assert snapshot() == before
    assert alice.declare("q-b", replicas=1).status_code == 201  # exactly at the limit


def test_a_scale_up_over_the_quota_is_refused_and_a_scale_down_always_passes(alice, admin, project):
    uri = alice.declare("q-web", replicas=2).headers["location"]
    set_quota(admin, project, instances=3)
    up = alice.patch(uri, [{"op": "replace", "path": "/replicas", "value": 4}])
    assert refused(up, "instances", 3, 0, 4), up.json
    assert alice.get(uri).json["replicas"] == 2
    set_quota(admin, project, instances=1)  # lowered below what is declared
    renamed = alice.patch(uri, [{"op": "replace", "path": "/description", "value": "x"}])
    assert renamed.status_code == 200
    down = alice.patch(uri, [{"op": "replace", "path": "/replicas", "value": 1}])
    assert down.status_code == 200, down.json


def test_a_deletion_frees_its_share_at_once(alice, admin, project):
    uri = alice.declare("q-old", replicas=2).headers["location"]
    set_quota(admin, project, instances=2)
    assert alice.declare("q-new").status_code == 403
    assert alice.delete(uri).status_code == 202  # the cloud side is not removed yet
    assert alice.declare("q-new", replicas=2).status_code == 201
    assert alice.get(f"/v3/quotas/{project}").json["usage"]["instances"] == 2


def test_a_region_s_quota_limits_that_region_only(alice, admin, project):
    east = admin.post("/v3/regions", {"name": "east", "cloud_type": "sim",
                                      "settings": {"account": "east"}})  # fmt: skip
    assert east.status_code == 201, east.json
    set_quota(admin, project, "east", instances=1)
    assert alice.declare("q-local", replicas=3).status_code == 201
    assert alice.declare("q-east", region="east").status_code == 201
    over = alice.declare("q-east-2", region="east")
    assert refused(over, "instances", 1, 1, 1) and "in region 'east'" in over.json["description"]
    # a placement may put every instance in any of its regions: it counts whole in each
    spread = {"policy": "spread", "regions": ["local", "east"]}
    placed = alice.declare("q-spread", region=None, replicas=2, placement=spread)
    assert placed.status_code == 403
    listing = alice.get("/v3/quotas").json["items"]
    assert [(q["region"], q["usage"]["instances"]) for q in listing] == [(None, 4), ("east", 1)]
    routes = admin.put(f"/v3/quotas/{project}/east", {"routes": 1})
    assert routes.status_code == 422
    assert admin.put(f"/v3/quotas/{project}/atlantis", {"instances": 1}).status_code == 404


def test_routes_are_counted_per_project(alice, admin, project):
    alice.declare("q-site")
    set_quota(admin, project, routes=1)
    first = alice.post("/v3/routes", {"hostname": "a.example.test", "assembly": "q-site",
                                      "port": 80})  # fmt: skip
    assert first.status_code == 201, first.json
    second = alice.post("/v3/routes", {"hostname": "b.example.test", "assembly": "q-site",
                                       "port": 80})  # fmt: skip
    assert refused(second, "routes", 1, 1, 1), second.json
    assert alice.get(f"/v3/quotas/{project}").json["usage"]["routes"] == 1


def test_an_administrator_raising_the_quota_lets_the_refused_declaration_through(
    alice, admin, project
):
    set_quota(admin, project, instances=1)
    assert alice.declare("q-big", replicas=3).status_code == 403
    set_quota(admin, project, instances=3)
    assert alice.declare("q-big", replicas=3).status_code == 201


def test_a_bad_quota_is_a_422_that_stores_nothing(admin, project, snapshot):
    before = snapshot()
    for body in ({"instances": -1}, {"vcpus": "8"}, {"gpus": 1}, [1]):
        answer = admin.put(f"/v3/quotas/{project}", body)
        assert answer.status_code == 422, (body, answer.json)
    assert snapshot() == before


class Slow:
    """An admission plugin that takes its time: it widens the window between the quota's
    count and the insert, where two declarations could both squeeze under a limit."""

    @hookimpl
    def vertice_admit_assembly(self, request):
        time.sleep(0.3)


def test_two_declarations_at_once_cannot_both_squeeze_under_the_limit(ctx, alice, admin, project):
    set_quota(admin, project, instances=1)
    ctx.plugins.register(Slow())
    start = threading.Barrier(2)
    answers = []

    def declare(name):
        start.wait()
        answers.append(alice.declare(name).status_code)

    threads = [threading.Thread(target=declare, args=(f"q-race-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [201, 403]
    assert alice.get(f"/v3/quotas/{project}").json["usage"]["instances"] == 1


def test_a_region_s_quotas_go_with_the_region(alice, admin, project):
    assert admin.post("/v3/regions", {"name": "gone", "cloud_type": "sim"}).status_code == 201
    set_quota(admin, project, "gone", instances=1)
    assert [q["region"] for q in alice.get("/v3/quotas").json["items"]] == [None, "gone"]
    assert admin.delete("/v3/regions/gone").status_code == 204
    assert [q["region"] for q in alice.get("/v3/quotas").json["items"]] == [None]
