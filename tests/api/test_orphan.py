"""Retiring a cloud (issue 16): `DELETE /v3/assembly/{id}?orphan=true` removes vertice's
records at once and leaves the cloud side alone; `DELETE /v3/regions/{name}?cascade=orphan`
does so for every assembly of the region, then deletes it.

The instances a reconciler ran and their survival across passes are tested in
`tests/core/reconcile/test_orphan.py`; what the shipped notifiers make of the `Orphaned`
event, in `tests/notify/`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vertice_api.resources import catalog
from vertice_core.errors import Conflict
from vertice_core.hooks import hookimpl
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


class Recorder:
    """A notifier plugin that keeps what the event hook is handed."""

    def __init__(self) -> None:
        self.events = []

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        self.events.append((event, project_id))


class Broken:
    """A notifier plugin whose event hook fails."""

    @hookimpl
    def vertice_event_recorded(self, event, project_id):
        raise RuntimeError("the notifier is down")


@pytest.fixture
def recorder(ctx):
    """A `Recorder` registered with the app's plugins."""
    plugin = Recorder()
    ctx.plugins.register(plugin)
    return plugin


def project_id_of(admin, name):
    return next(p["id"] for p in admin.get("/v3/projects").json["items"] if p["name"] == name)


def test_the_plugins_are_told_of_an_orphaned_assembly(alice, admin, recorder):
    declared = alice.declare("web-1")
    uri, assembly_id, project = (
        declared.headers["location"],
        declared.json["id"],
        declared.json["project"],
    )
    assert recorder.events == []
    assert alice.delete(uri, params=ORPHAN).status_code == 200
    ((event, project_id),) = recorder.events
    assert (event.type.value, event.reason) == ("Warning", "Orphaned")
    assert (event.assembly_id, event.project, event.region) == (assembly_id, project, "local")
    assert project_id == project_id_of(admin, project)
    stored = alice.get(f"{uri}/events").json["items"][-1]
    assert stored["message"] == event.message


def test_the_plugins_are_told_of_each_assembly_a_region_retirement_orphans(admin, alice, recorder):
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    ids = {alice.declare(n, region="second").json["id"] for n in ("web-1", "web-2")}
    alice.declare("web-3")
    assert admin.delete("/v3/regions/second", params={"cascade": "orphan"}).status_code == 200
    assert {e.assembly_id for e, _ in recorder.events} == ids
    assert {(e.reason, e.region) for e, _ in recorder.events} == {("Orphaned", "second")}
    # A region deleted without a cascade orphans nothing and says nothing.
    admin.post("/v3/regions", {"name": "third", "cloud_type": "sim"})
    assert admin.delete("/v3/regions/third").status_code == 204
    assert len(recorder.events) == 2


BOUND_PLAN = {
    "name": "db-plan",
    "camp_version": "1.2",
    "services": [{"name": "db", "characteristics": [
        {"type": "org.vertice.catalog::databaseinstance", "scheme": "postgresql",
         "port": "5432", "user": "app", "password": "pw", "database": "shop"}]}],
}  # fmt: skip


def test_a_refused_orphan_delete_tells_the_plugins_nothing(admin, alice, recorder, snapshot):
    assert admin.post("/v3/plan_factory", BOUND_PLAN).status_code == 201
    db = alice.declare("db", plan_uri="/v3/plan/db-plan").headers["location"]
    wanted = [{"assembly": "db", "component": "databaseinstance"}]
    assert alice.declare("web", bindings=wanted).status_code == 201
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    placement = {"policy": "spread", "regions": ["local", "second"]}
    assert alice.declare("spread-1", placement=placement).status_code == 201
    before = snapshot()
    bound = alice.delete(db, params=ORPHAN)
    assert bound.status_code == 409 and "'web'" in bound.json["description"]
    placed = admin.delete("/v3/regions/second", params={"cascade": "orphan"})
    assert placed.status_code == 409
    assert snapshot() == before
    assert recorder.events == []


def test_an_orphan_rolled_back_after_its_event_was_stored_tells_the_plugins_nothing(
    admin, alice, recorder, snapshot, monkeypatch
):
    """The events are announced after the commit: a region delete that fails once its
    assemblies were orphaned in the transaction rolls them back, and notifies nothing."""
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    alice.declare("web-1", region="second")
    before = snapshot()

    def refuse(*_args):
        raise Conflict("the region is wanted after all")

    monkeypatch.setattr(catalog, "delete_unused", refuse)
    refused = admin.delete("/v3/regions/second", params={"cascade": "orphan"})
    assert refused.status_code == 409
    assert snapshot() == before
    assert recorder.events == []


def test_a_failing_plugin_does_not_fail_the_orphan_delete(ctx, admin, alice, caplog):
    ctx.plugins.register(Broken())
    uri = alice.declare("web-1").headers["location"]
    assert alice.delete(uri, params=ORPHAN).status_code == 200
    assert alice.get(uri).status_code == 404
    admin.post("/v3/regions", {"name": "second", "cloud_type": "sim"})
    alice.declare("web-2", region="second")
    assert admin.delete("/v3/regions/second", params={"cascade": "orphan"}).status_code == 200
    failures = [r for r in caplog.records if r.name == "vertice.plugins"]
    assert len(failures) == 2 and "Orphaned" in failures[0].getMessage()
