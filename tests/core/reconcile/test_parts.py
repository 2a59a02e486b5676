"""A pass plans and acts on its region in parts (`region._PART` batches at a time): what
it holds at once is a few parts' items, plans and calls, and every part is acted upon."""

from __future__ import annotations

from collections import Counter

import attrs

from vertice_core.reconcile.region import _PART
from vertice_testing.plugin import FAST

BATCH = 2
PART = BATCH * _PART


def phases(api, uris):
    return {api.get(uri).json["status"]["phase"] for uri in uris}


def instance_reads(reconciler):
    """Record the ids of each read of instance rows the passes make (the read itself runs)."""
    ops = reconciler.controller.ops
    reads: list[list[str]] = []
    real = ops.slots

    def slots(ids):
        reads.append(list(ids))
        return real(ids)

    ops.slots = slots
    return reads


def one_pass(reconciler):
    """One pass over the `local` region (the regions loaded first, as the loop does)."""
    assert "local" in reconciler.runtime.due_targets(float("inf"))
    return reconciler.runtime.run_target("local")


def test_one_pass_creates_every_assembly_planning_them_part_by_part(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(audit=True)
    n = 2 * PART + 3
    uris = [alice.declare(f"p{i:02d}").headers["location"] for i in range(n)]
    reconciler = make_reconciler(attrs.evolve(FAST, batch=BATCH))
    reads = instance_reads(reconciler)

    result = one_pass(reconciler)

    assert result.acted == n, result
    assert [len(ids) for ids in reads] == [PART, PART, 3]
    planned = [i for ids in reads for i in ids]
    assert len(planned) == len(set(planned)) == n
    creates = Counter(verb for verb, _ in sim_cloud.audited("default"))["create"]
    assert creates == n

    converge(reconciler, lambda: phases(alice, uris) == {"RUNNING"})
    assert Counter(verb for verb, _ in sim_cloud.audited("default"))["create"] == n


def test_a_pass_reads_the_instances_of_the_assemblies_that_moved_only(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    uris = [alice.declare(f"q{i:02d}").headers["location"] for i in range(PART + 1)]
    reconciler = make_reconciler(attrs.evolve(FAST, batch=BATCH))
    converge(reconciler, lambda: phases(alice, uris) == {"RUNNING"})
    one_pass(reconciler)  # the pass after the last change finds them all settled
    reads = instance_reads(reconciler)
    assert one_pass(reconciler).written == 0
    assert reads == []  # an idle pass reads no instance row
    stop = [{"op": "replace", "path": "/desired_state", "value": "stopped"}]
    for uri in uris[:3]:
        assert alice.patch(uri, stop).status_code == 200

    result = one_pass(reconciler)

    assert result.acted == 3, result
    moved = {alice.get(u).json["id"] for u in uris[:3]}
    assert set(reads[0]) == moved
    converge(reconciler, lambda: [alice.get(u).json["status"]["phase"] for u in uris[:4]] == [
        "STOPPED", "STOPPED", "STOPPED", "RUNNING"])  # fmt: skip
