"""Placement with a real Docker Engine as the first region: when the engine refuses a
container for lack of room (`max_containers`, a terminal `QuotaExceeded`), the `fallback`
policy places the rest of the assembly in the next region (the simulated cloud)."""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_ASSEMBLY

pytestmark = pytest.mark.slow


def test_fallback_places_in_the_sim_region_what_the_docker_region_refuses(
    alice, docker_region, declare, make_reconciler, converge, engine_client, sim_cloud
):
    docker_region(max_containers=1)
    uri = declare(
        "web",
        region=None,
        replicas=3,
        placement={"policy": "fallback", "regions": ["dock", "local"]},
    )
    reconciler = make_reconciler()

    def settled() -> bool:
        status = alice.get(uri).json["status"]
        return status["phase"] == "RUNNING" and status["ready_replicas"] == 3

    converge(reconciler, settled, timeout=120)
    status = alice.get(uri).json["status"]
    # The three creates went to the engine at once: whichever came first got the room.
    assert [i["ordinal"] for i in status["instances"]] == [0, 1, 2]
    (kept,) = [i for i in status["instances"] if i["region"] == "dock"]
    assembly_id = uri.rsplit("/", 1)[1]
    label = f"{TAG_ASSEMBLY}={assembly_id}"
    assert [c.id for c in engine_client.containers.list(filters={"label": label})] == [
        kept["cloud_id"]
    ]
    simulated = [r for r in sim_cloud.all_rows("default") if r["state"] != "terminated"]
    assert sorted(r["key"] for r in simulated) == sorted(
        i["key"] for i in status["instances"] if i["region"] == "local"
    )
    dock = status["placement"][0]
    assert (dock["region"], dock["replicas"], dock["failed"]["reason"]) == (
        "dock",
        1,
        "QuotaExceeded",
    )
    refused = [
        e for e in alice.get(uri + "/events").json["items"] if e["reason"] == "PlacementRefused"
    ]
    assert refused and all("region dock refused" in e["message"] for e in refused)
    assert alice.condition(uri, "Synced")["status"] == "True"
