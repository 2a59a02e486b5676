"""Retiring a cloud (issue 16): `DELETE /v3/assembly/{id}?orphan=true` removes vertice's
records at once and leaves the cloud side alone; `DELETE /v3/regions/{name}?cascade=orphan`
does so for every assembly of the region, then deletes it.

The instances a reconciler ran and their survival across passes are tested in
`tests/core/reconcile/test_orphan.py`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from vertice_core.store.tables import InstanceRow, LeaseRow, OrphanRow, PlacementRow

ORPHAN = {"orphan": "true"}


def count(store, table, assembly_id):
    with store.engine.connect() as connection:
        query = select(func.count()).select_from(table).where(table.assembly_id == assembly_id)
        return connection.scalar(query)


def test_an_orphan_delete_removes_the_assembly_at_once_and_says_what_was_abandoned(alice, store):
    declared = alice.declare("web-1")
    uri, assembly_id = declared.headers["location"], declared.json["id"]
    answer = alice.delete(uri, params=ORPHAN)
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "assembly_uri": uri, "id": assembly_id, "name": "web-1",
        "project": declared.json["project"],
        "region": "local", "abandoned": [], "events_uri": f"{uri}/events",
    }  # fmt: skip
    assert alice.get(uri).status_code == 404
    assert alice.get("/v3/assembly_factory").json["total_items"] == 0
    assert [count(store, t, assembly_id) for t in (LeaseRow, InstanceRow, OrphanRow)] == [0, 0, 1]
    # Its name is free again, and the delete is not repeated.
    assert alice.declare("web-1").status_code == 201
    assert alice.delete(uri, params=ORPHAN).status_code == 404


def test_the_orphaned_event_stays_readable_by_the_project_only(alice, bob, admin):
    uri = alice.declare("web-1").headers["location"]
    assert alice.delete(uri, params=ORPHAN).status_code == 200
    events = alice.get(f"{uri}/events")
    assert events.status_code == 200
    last = events.json["items"][-1]
    assert (last["type"], last["reason"], last["region"]) == ("Warning", "Orphaned", "local")
    assert "orphan=true" in last["message"] and "no instance" in last["message"]
    assert admin.get(f"{uri}/events").status_code == 200
    assert bob.get(f"{uri}/events").status_code == 404


def test_an_assembly_being_deleted_can_still_be_orphaned(alice):
    """The point of it: a delete that waits for a cloud that will not answer."""
    uri = alice.declare("web-1").headers["location"]
    assert alice.delete(uri).status_code == 202
    assert alice.delete(uri, params=ORPHAN).status_code == 200
    assert alice.get(uri).status_code == 404


def test_only_admins_and_members_may_orphan(alice, bob, admin, snapshot):
    uri = alice.declare("web-1").headers["location"]
    before = snapshot()
    assert bob.delete(uri, params=ORPHAN).status_code == 404
    assert snapshot() == before
    assert admin.delete(uri, params=ORPHAN).status_code == 200


def test_orphan_must_be_true_or_false(alice, snapshot):
    uri = alice.declare("web-1").headers["location"]
    before = snapshot()
    for value in ("yes", "", "TRUE", "1"):
        answer = alice.delete(uri, query_string=f"orphan={value}")
        assert answer.status_code == 400, value
        assert "orphan" in answer.json["description"]
    assert snapshot() == before
    assert alice.delete(uri, params={"orphan": "false"}).status_code == 202


def test_an_orphan_delete_honours_if_match(alice, snapshot):
    uri = alice.declare("web-1").headers["location"]
    before = snapshot()
    stale = alice.delete(uri, params=ORPHAN, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert snapshot() == before
    assert alice.delete(uri, params=ORPHAN, headers={"If-Match": '"1"'}).status_code == 200


def test_a_region_in_use_names_the_cascade_and_is_retired_with_it(admin, alice, store):
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    first = alice.declare("web-1", region="second").headers["location"]
    second = alice.declare("web-2", region="second").headers["location"]
    kept = alice.declare("web-3").headers["location"]
    refused = admin.delete("/v3/regions/second")
    assert refused.status_code == 409
    assert "web-1" in refused.json["description"]
    assert "?cascade=orphan" in refused.json["description"]
    assert alice.delete("/v3/regions/second", params={"cascade": "orphan"}).status_code == 403
    bad = admin.delete("/v3/regions/second", params={"cascade": "yes"})
    assert bad.status_code == 400 and "cascade" in bad.json["description"]

    retired = admin.delete("/v3/regions/second", params={"cascade": "orphan"})
    assert retired.status_code == 200, retired.json
    assert retired.json["region"] == "second"
    assert sorted(o["name"] for o in retired.json["orphaned"]) == ["web-1", "web-2"]
    assert admin.get("/v3/regions/second").status_code == 404
    assert [alice.get(u).status_code for u in (first, second, kept)] == [404, 404, 200]
    reasons = [e["reason"] for e in alice.get(f"{first}/events").json["items"]]
    assert reasons[-1] == "Orphaned"
    assert admin.delete("/v3/regions/second", params={"cascade": "orphan"}).status_code == 404


def test_a_region_in_a_placement_is_not_retired(admin, alice, snapshot, store):
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    placement = {"policy": "spread", "regions": ["local", "second"]}
    uri = alice.declare("spread-1", placement=placement)
    assert uri.status_code == 201, uri.json
    before = snapshot()
    refused = admin.delete("/v3/regions/second", params={"cascade": "orphan"})
    assert refused.status_code == 409
    assert "spread-1" in refused.json["description"]
    assert snapshot() == before
    assembly_id = uri.json["id"]
    assert count(store, PlacementRow, assembly_id) == 2
    # Orphaned on its own, it takes its placement rows with it.
    assert alice.delete(uri.headers["location"], params=ORPHAN).status_code == 200
    assert count(store, PlacementRow, assembly_id) == 0
    assert admin.delete("/v3/regions/second").status_code == 204
