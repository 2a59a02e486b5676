"""Replicas end to end in-process: scale up and down under faults, ghosts, delete mid-scale."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from vertice_core.reconcile.plan import instance_key
from vertice_drivers.sim import STOP_WINDOW

pytestmark = pytest.mark.slow


def live(sim_cloud):
    return [r for r in sim_cloud.all_rows("default") if r["state"] != "terminated"]


def by_assembly(sim_cloud, state: str | None = None) -> Counter[str]:
    """Live instances per assembly id (of one state, if given)."""
    return Counter(
        r["tags"]["vertice-assembly"]
        for r in live(sim_cloud)
        if state is None or r["state"] == state
    )


def ids_of(uris):
    return [u.rsplit("/", 1)[1] for u in uris]


def scaled(alice, uris, replicas):
    for uri in uris:
        alice.replace(uri, "/replicas", replicas)


def all_ready(alice, uris, replicas) -> bool:
    for uri in uris:
        status = alice.status(uri)
        if (status["phase"], status.get("ready_replicas")) != ("RUNNING", replicas):
            return False
    return True


def exactly(sim_cloud, ids, replicas) -> bool:
    """Every assembly runs exactly `replicas` instances, one per ordinal, all running."""
    counts = by_assembly(sim_cloud, "running")
    keys = Counter(r["tags"]["vertice-key"] for r in live(sim_cloud))
    expected = dict.fromkeys(ids, replicas) if replicas else {}
    return (
        {k: v for k, v in counts.items() if k in ids} == expected
        and sum(by_assembly(sim_cloud).values()) == replicas * len(ids)
        and set(keys.values()) <= {1}
    )


def test_scale_up_and_down_under_faults_converges_with_one_instance_per_ordinal(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(
        transient_error_rate=0.3, ghost_delete_rate=0.1, spontaneous_stop_rate=0.1,
        boot_time=0.05, seed=11,
    )  # fmt: skip
    uris = [alice.declare(f"web{i:02d}", replicas=3).headers["location"] for i in range(12)]
    ids = ids_of(uris)
    reconciler = make_reconciler()
    for replicas in (3, 1, 5, 0, 2):
        scaled(alice, uris, replicas)
        converge(
            reconciler,
            lambda r=replicas: exactly(sim_cloud, ids, r) and all_ready(alice, uris, r),
            timeout=120,
        )
    # Spontaneous stops strike a little after boot and ghost deletes need a retry at the
    # next resync: wait those out, then the count must still hold.
    deadline = time.monotonic() + STOP_WINDOW[1] + 2 * reconciler.settings.resync
    while time.monotonic() < deadline:
        reconciler.run_pass()
        time.sleep(0.05)
    converge(reconciler, lambda: exactly(sim_cloud, ids, 2) and all_ready(alice, uris, 2))
    status = alice.status(uris[0])
    assert [i["ordinal"] for i in status["instances"]] == [0, 1]
    assert (status["replicas"], status["ready_replicas"], status["updated_replicas"]) == (2, 2, 2)
    keys = {i["key"] for i in status["instances"]}
    assert all(k.rsplit("-", 1)[0] == ids[0] for k in keys)


def test_scale_up_creates_each_new_ordinal_once_and_leaves_the_first_alone(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(audit=True)
    uri = alice.declare("web").headers["location"]
    (assembly,) = ids_of([uri])
    reconciler = make_reconciler()
    converge(reconciler, lambda: all_ready(alice, [uri], 1))
    alice.replace(uri, "/replicas", 4)
    converge(reconciler, lambda: all_ready(alice, [uri], 4))
    creates = Counter(t for v, t in sim_cloud.audited("default") if v == "create")
    assert creates == Counter({instance_key(assembly, 1, o): 1 for o in range(4)})
    alice.replace(uri, "/replicas", 2)
    converge(reconciler, lambda: all_ready(alice, [uri], 2) and len(live(sim_cloud)) == 2)
    deletes = [t for v, t in sim_cloud.audited("default") if v == "delete"]
    assert len(deletes) == 2
    assert {r["tags"]["vertice-key"] for r in live(sim_cloud)} == {
        instance_key(assembly, 1, 0),
        instance_key(assembly, 1, 1),
    }
    # Routine scaling is no cause for alarm: no Warning events.
    items = alice.get(uri + "/events").json["items"]
    assert [e for e in items if e["type"] == "Warning"] == []
    assert len(items) < 12


def test_a_ghost_of_a_scaled_down_ordinal_is_removed(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    uri = alice.declare("web", replicas=3).headers["location"]
    (assembly,) = ids_of([uri])
    reconciler = make_reconciler()
    converge(reconciler, lambda: all_ready(alice, [uri], 3))
    configure_sim(ghost_delete_rate=1.0)  # every delete is acknowledged, none carried out
    alice.replace(uri, "/replicas", 1)
    for _ in range(5):
        reconciler.run_pass()
    assert len(live(sim_cloud)) == 3, "the cloud was meant to keep the deleted instances"
    configure_sim()  # the cloud behaves again: the repeated deletes now take
    converge(reconciler, lambda: len(live(sim_cloud)) == 1 and all_ready(alice, [uri], 1))
    assert [r["tags"]["vertice-key"] for r in live(sim_cloud)] == [instance_key(assembly, 1, 0)]


def test_delete_while_scaling_up_leaves_nothing(
    alice, make_reconciler, converge, configure_sim, phases, sim_cloud
):
    configure_sim(boot_time=0.5)
    uri = alice.declare("web", replicas=2).headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: all_ready(alice, [uri], 2))
    alice.replace(uri, "/replicas", 6)
    reconciler.run_pass()  # the four creates are issued; the instances are booting
    assert len(live(sim_cloud)) == 6
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {} and live(sim_cloud) == [])
    assert alice.get(uri).status_code == 404


def test_scaled_to_zero_is_running_and_ready_with_no_instance(
    alice, make_reconciler, converge, sim_cloud
):
    uri = alice.declare("web", replicas=0).headers["location"]
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "RUNNING")
    status = alice.status(uri)
    assert status["instances"] == []
    assert (status["replicas"], status["ready_replicas"]) == (0, 0)
    assert alice.condition(uri, "Ready")["status"] == "True"
    assert live(sim_cloud) == []


def test_a_hundred_replicas_starting_make_a_handful_of_normal_events(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(boot_time=0.2)
    uri = alice.declare("fleet", replicas=100).headers["location"]
    converge(make_reconciler(), lambda: all_ready(alice, [uri], 100), timeout=120)
    assert len(live(sim_cloud)) == 100
    items = alice.get(uri + "/events").json["items"]
    assert len(items) <= 6, [(e["reason"], e["message"]) for e in items]
    assert {e["type"] for e in items} == {"Normal"}
    assert {"Launching", "Running", "ReadyTrue"} <= {e["reason"] for e in items}


def test_booting_assembly_is_not_replanned_until_the_cloud_or_its_row_moves(
    alice, make_reconciler, converge, configure_sim, sim_cloud
):
    configure_sim(boot_time=1.5)
    uri = alice.declare("web", replicas=3).headers["location"]
    reconciler = make_reconciler()
    (region,) = reconciler.runtime.due_targets(float("inf"))
    reconciler.runtime.run_target(region)  # the creates
    assert len(live(sim_cloud)) == 3
    reconciler.runtime.run_target(region)  # the instances are listed: the markers clear
    quiet = reconciler.runtime.run_target(region)  # plans the rows just written; writes nothing
    assert (quiet.written, quiet.acted) == (0, 0), quiet
    read: list[list[str]] = []
    slots = reconciler.controller.ops.slots
    reconciler.controller.ops.slots = lambda ids: read.append(list(ids)) or slots(ids)
    result = reconciler.runtime.run_target(region)
    assert read == [], "a booting assembly whose row and instances did not move was re-planned"
    assert result.busy, "an assembly still booting keeps the region polled"
    assert alice.status(uri)["phase"] == "LAUNCHING"
    converge(reconciler, lambda: all_ready(alice, [uri], 3))
    assert read, "the instances that finished booting moved the assembly: it was planned again"
