"""Orphaned instances on the sim cloud (issue 16): an assembly deleted with `orphan=true`
leaves its instances running, and later passes do not take them for ghosts."""

from __future__ import annotations


def live(sim_cloud):
    return {r["id"]: r for r in sim_cloud.all_rows("default") if r["state"] != "terminated"}


def region_pass(reconciler):
    """One pass over the `local` region, due or not: what it observed and removed."""
    (result,) = [reconciler.runtime.run_target(t) for t in reconciler.runtime.due_targets(1e18)]
    return result


def test_orphaned_instances_survive_later_passes_and_real_ghosts_do_not(
    alice, make_reconciler, converge, sim_cloud
):
    orphaned = alice.declare("legacy", replicas=2).headers["location"]
    gone = alice.declare("gone").headers["location"]
    reconciler = make_reconciler()
    converge(
        reconciler,
        lambda: (
            {alice.status(u)["phase"] for u in (orphaned, gone)} == {"RUNNING"}
            and len(live(sim_cloud)) == 3
        ),
    )
    mine = {i["cloud_id"] for i in alice.status(orphaned)["instances"]}
    answer = alice.delete(orphaned, params={"orphan": "true"})
    assert answer.status_code == 200, answer.json
    abandoned = {(i["region"], i["cloud_id"]) for i in answer.json["abandoned"]}
    assert abandoned == {("local", cloud_id) for cloud_id in mine}
    message = alice.get(f"{orphaned}/events").json["items"][-1]["message"]
    assert all(cloud_id in message for cloud_id in mine)

    for _ in range(3):
        result = region_pass(reconciler)
        assert (result.observed, result.ghosts) == (3, 0), result
    assert set(live(sim_cloud)) >= mine

    # The usual delete still removes its instances from the cloud.
    assert alice.delete(gone).status_code == 202
    converge(reconciler, lambda: alice.get(gone).status_code == 404)
    assert set(live(sim_cloud)) == mine
    assert all(r["tags"]["vertice-assembly"] for r in live(sim_cloud).values())
