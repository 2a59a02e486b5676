"""Resizing in place end to end (issue 14, day 2): the API, the reconciler and the sim.

Another flavor patched onto an assembly (`/flavor`, what `vertice resize` does) is
admitted like any change (quotas count the new flavor) and carried out by the reconciler
calling `Driver.resize` on every instance: the same instances (same cloud ids) run the
new flavor, a `Resized` event says so once, and metering prices each stretch of time at
the flavor the instance ran then. A flavor that does not exist or is not offered in the
region, and a region whose driver does not claim `resize`, are 422s that store nothing.
"""

from __future__ import annotations

import time

from vertice_core.store.tables import InstanceRow, InstanceSpanRow


def sizes(sim_cloud) -> dict[str, str]:
    """The live sim instances' sizes, by cloud id."""
    return {r["id"]: r["size"] for r in sim_cloud.all_rows("default") if r["state"] != "terminated"}


def resized(api, uri) -> list[str]:
    return [e["message"] for e in api.get(f"{uri}/events").json["items"]
            if e["reason"] == "Resized"]  # fmt: skip


def test_a_flavor_change_resizes_the_same_instances_in_place(
    alice, ctx, make_reconciler, converge, sim_cloud
):
    reconciler = make_reconciler()
    uri = alice.declare("web", replicas=2).headers["location"]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    before = {i["ordinal"]: i["cloud_id"] for i in alice.status(uri)["instances"]}
    assert set(sizes(sim_cloud).values()) == {"small"}
    assert [i["flavor"] for i in alice.status(uri)["instances"]] == ["small", "small"]

    answer = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": "large"}])
    assert answer.status_code == 200, answer.json
    assert answer.json["flavor"] == "large"
    converge(
        reconciler,
        lambda: alice.status(uri)["phase"] == "RUNNING" and set(sizes(sim_cloud).values()) == {
            "large"},
    )  # fmt: skip
    after = {i["ordinal"]: i["cloud_id"] for i in alice.status(uri)["instances"]}
    assert after == before  # resized, not replaced
    assert [i["flavor"] for i in alice.status(uri)["instances"]] == ["large", "large"]
    assert sorted(sizes(sim_cloud)) == sorted(before.values())
    (message,) = resized(alice, uri)  # once, for both
    assert "'large'" in message and all(cloud_id in message for cloud_id in before.values())
    with ctx.store.read() as session:
        rows = session.query(InstanceRow).all()
        assert {r.flavor_name for r in rows} == {"large"}
        spans = session.query(InstanceSpanRow).order_by(InstanceSpanRow.id).all()
    for ordinal in (0, 1):
        mine = [(s.flavor_name, s.ended_at is None) for s in spans if s.ordinal == ordinal]
        assert mine[0] == ("small", False) and mine[-1] == ("large", True), mine

    for _ in range(3):  # settled: nothing more is resized
        reconciler.run_pass()
    assert len(resized(alice, uri)) == 1


def test_a_stopped_assembly_is_resized_and_stays_stopped(alice, make_reconciler, converge,
                                                          sim_cloud):  # fmt: skip
    reconciler = make_reconciler()
    uri = alice.declare("web", desired_state="stopped").headers["location"]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    alice.replace(uri, "/flavor", "medium")
    converge(reconciler, lambda: set(sizes(sim_cloud).values()) == {"medium"})
    converge(reconciler, lambda: alice.status(uri)["reason"] == "Stopped")
    states = {r["state"] for r in sim_cloud.all_rows("default") if r["state"] != "terminated"}
    assert states == {"stopped"}


def test_a_resize_asked_while_the_cloud_is_down_is_carried_out_once_it_is_back(
    alice, make_reconciler, converge, sim_cloud, configure_sim
):
    reconciler = make_reconciler()
    uri = alice.declare("web").headers["location"]
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    configure_sim(transient_error_rate=1.0)
    alice.replace(uri, "/flavor", "large")
    for _ in range(3):  # failing passes and backed-off ones
        reconciler.run_pass()
        time.sleep(0.06)
    assert set(sizes(sim_cloud).values()) == {"small"}
    assert resized(alice, uri) == []
    assert "injected transient error" in alice.get(uri).json["status"]["message"] or (
        "injected transient error" in alice.condition(uri, "Synced")["message"]
    )
    configure_sim()
    converge(reconciler, lambda: set(sizes(sim_cloud).values()) == {"large"}, timeout=30)
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    assert len(resized(alice, uri)) == 1


def test_a_flavor_that_cannot_be_had_is_a_422_that_changes_nothing(alice, admin):
    uri = alice.declare("web").headers["location"]
    generation = alice.get(uri).json["generation"]
    for flavor, words in [("huge", "there is no flavor named 'huge'"), (7, "$.flavor")]:
        answer = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": flavor}])
        assert answer.status_code == 422, answer.json
        assert words in str(answer.json)
    flavor = {"name": "far-only", "cpu": 1, "ram": 512, "disk": 5, "regions": ["far"]}
    assert admin.post("/v3/regions", {"name": "far", "cloud_type": "sim"}).status_code == 201
    assert admin.post("/v3/flavors", flavor).status_code == 201
    answer = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": "far-only"}])
    assert answer.status_code == 422
    assert "not offered in region 'local'" in answer.json["description"]
    assert alice.get(uri).json["generation"] == generation
    assert alice.get(uri).json["flavor"] == "small"


def test_a_driver_without_the_capability_is_a_422_naming_it_and_the_cloud_type(alice, bare_region):
    """SoftLayer's driver does not claim `resize`: read from its metadata, nothing called."""
    uri = alice.declare("on-one", region=bare_region).headers["location"]
    refused = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": "large"}])
    assert refused.status_code == 422, refused.json
    description = refused.json["description"]
    assert "'softlayer'" in description and "'resize'" in description
    assert alice.get(uri).json["flavor"] == "small"


def test_the_quota_counts_the_new_flavor(alice, admin):
    project = alice.get("/v3/projects").json["items"][0]["name"]
    uri = alice.declare("web").headers["location"]
    quota = admin.put(f"/v3/quotas/{project}", {"vcpus": 2})
    assert quota.status_code in (200, 201), quota.json
    refused = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": "large"}])
    assert refused.status_code in (403, 422), refused.json
    assert "vcpus" in refused.json["description"]
    medium = alice.patch(uri, [{"op": "replace", "path": "/flavor", "value": "medium"}])
    assert medium.status_code == 200, medium.json
