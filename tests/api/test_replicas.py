"""`replicas`: declared (default 1, 0 allowed, at most the installation's bound), shown,
and scaled with `PATCH /replicas`; bad values are 422s naming `$.replicas` that store
nothing. This installation allows at most 5 (`Config.max_replicas`)."""

from __future__ import annotations

import attrs
import pytest

from vertice_core.store.repositories import AssemblyRepository

BOUND = 5


@pytest.fixture
def config(config):
    """The test installation, with a small bound on replicas."""
    return attrs.evolve(config, max_replicas=BOUND)


def stored_replicas(store, uri: str) -> int:
    with store.read() as session:
        row = AssemblyRepository(session).one(uri.rsplit("/", 1)[1], None)
    return int(row.replicas)


def replace(value):
    return [{"op": "replace", "path": "/replicas", "value": value}]


def test_one_replica_by_default_and_the_status_counts_of_a_fresh_assembly(alice, store, uri):
    body = alice.get(uri).json
    assert body["replicas"] == 1
    status = body["status"]
    assert (status["replicas"], status["ready_replicas"], status["updated_replicas"]) == (1, 0, 0)
    assert status["instances"] == []
    assert stored_replicas(store, uri) == 1


@pytest.mark.parametrize("replicas", [0, 3, BOUND])
def test_declared_replicas_are_stored_and_shown(alice, store, replicas):
    created = alice.declare("web-n", replicas=replicas)
    assert created.status_code == 201, created.json
    assert created.json["replicas"] == replicas
    assert created.json["status"]["replicas"] == replicas
    assert created.json["status"]["ready_replicas"] == 0
    assert stored_replicas(store, created.headers["location"]) == replicas


@pytest.mark.parametrize("route", ["declaration", "patch"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must not be negative"),
        (BOUND + 1, f"must be at most {BOUND}"),
        (2**40, "must be at most"),
        ("3", "must be an integer, not a string"),
        (1.5, "must be an integer, not a number"),
        (True, "must be an integer, not a boolean"),
        (None, "must be an integer, not null"),
        ([2], "must be an integer, not an array"),
    ],
)
def test_bad_replicas_are_422_naming_the_path_and_store_nothing(
    alice, uri, snapshot, route, value, message
):
    before = snapshot()
    if route == "declaration":
        result = alice.declare("web-bad", replicas=value)
    else:
        result = alice.patch(uri, replace(value))
    assert result.status_code == 422, result.text
    (problem,) = [p for p in result.json["problems"] if p["path"] == "$.replicas"]
    assert message in problem["message"]
    assert snapshot() == before


def test_over_the_bound_is_reported_with_the_other_problems(alice):
    result = alice.declare("web-bad", replicas=BOUND + 1, region="atlantis")
    assert result.status_code == 422
    assert {p["path"] for p in result.json["problems"]} == {"$.region", "$.replicas"}


def test_patch_scales_with_if_match_and_bumps_the_generation(alice, store, uri):
    etag = alice.get(uri).headers["etag"]
    result = alice.patch(uri, replace(3), headers={"If-Match": etag})
    assert result.status_code == 200, result.json
    assert (result.json["replicas"], result.json["generation"]) == (3, 2)
    assert result.json["status"]["observed_generation"] == 0
    assert stored_replicas(store, uri) == 3
    stale = alice.patch(uri, replace(4), headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stored_replicas(store, uri) == 3
    assert alice.patch(uri, replace(0)).json["replicas"] == 0


def test_scaling_to_the_same_number_changes_nothing(alice, uri):
    assert alice.patch(uri, replace(1)).json["generation"] == 1


def test_a_remove_of_replicas_is_422(alice, uri, snapshot):
    before = snapshot()
    result = alice.patch(uri, [{"op": "remove", "path": "/replicas"}])
    assert result.status_code == 422
    assert "$.replicas" in [p["path"] for p in result.json["problems"]]
    assert snapshot() == before


def test_metadata_decides_who_may_scale(admin, alice, snapshot):
    metadata = {"mutable": ["/replicas"], "consumer_mutable": ["/description"]}
    uri = alice.declare("locked", metadata=metadata).headers["location"]
    before = snapshot()
    refused = alice.patch(uri, replace(2))
    assert refused.status_code == 422
    assert refused.json["problems"][0]["path"] == "$[0].path"
    assert "'/replicas'" in refused.json["problems"][0]["message"]
    assert snapshot() == before
    assert admin.patch(uri, replace(2)).json["replicas"] == 2


def test_a_deleted_assembly_cannot_scale(alice, uri, snapshot):
    assert alice.delete(uri).status_code == 202
    before = snapshot()
    assert alice.patch(uri, replace(2)).status_code == 409
    assert snapshot() == before


def test_the_document_of_the_api_names_the_bound(client):
    schema = client.simulate_get("/v3/openapi.json").json["components"]["schemas"]
    assert schema["AssemblyDeclaration"]["properties"]["replicas"]["maximum"] == BOUND
    assert "replicas" in schema["Assembly"]["properties"]
    assert {"replicas", "ready_replicas", "updated_replicas"} <= set(
        schema["AssemblyStatus"]["properties"]
    )
    assert "ordinal" in schema["Instance"]["properties"]


def test_a_running_assembly_counts_its_instance(alice, uri, make_reconciler, converge):
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    status = alice.status(uri)
    assert (status["replicas"], status["ready_replicas"], status["updated_replicas"]) == (1, 1, 1)
    assert [i["ordinal"] for i in status["instances"]] == [0]


def test_replicas_run_and_are_counted_as_they_scale(alice, make_reconciler, converge):
    """Needs the reconciler that runs `replicas` instances."""
    uri = alice.declare("web-3", replicas=3).headers["location"]
    reconciler = make_reconciler()

    def settled(count: int) -> bool:
        body = alice.get(uri).json
        status = body["status"]
        return (
            status["observed_generation"] == body["generation"]
            and (status["replicas"], status["ready_replicas"], status["updated_replicas"])
            == (count, count, count)
            and len(status["instances"]) == count
            and alice.condition(uri, "Ready").get("status") == "True"
        )

    converge(reconciler, lambda: settled(3), timeout=30)
    assert sorted(i["ordinal"] for i in alice.status(uri)["instances"]) == [0, 1, 2]
    alice.replace(uri, "/replicas", 1)
    converge(reconciler, lambda: settled(1), timeout=30)
    assert [i["ordinal"] for i in alice.status(uri)["instances"]] == [0]
    alice.replace(uri, "/replicas", 0)
    converge(reconciler, lambda: settled(0), timeout=30)


def test_synced_is_false_until_the_reconciler_has_seen_the_newest_generation(
    alice, make_reconciler, converge
):
    """Right after a change, the stored `Synced: True` is about the spec as it was: the API
    shows it False (`NotObserved`) until a pass reconciles the new generation (issue 16)."""
    uri = alice.declare("web-4").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.condition(uri, "Synced").get("status") == "True")
    alice.replace(uri, "/replicas", 2)
    body = alice.get(uri).json
    assert body["status"]["observed_generation"] < body["generation"]
    unseen = alice.condition(uri, "Synced")
    assert (unseen["status"], unseen["reason"]) == ("False", "NotObserved"), unseen
    assert f"generation {body['generation']} is not reconciled yet" in unseen["message"]
    converge(reconciler, lambda: alice.condition(uri, "Synced").get("status") == "True")
    assert alice.get(uri).json["status"]["observed_generation"] == body["generation"]
