"""The loop end to end, in-process: API -> store -> reconciler -> sim."""

from __future__ import annotations

from vertice_core import builtins
from vertice_drivers.sim import cloud_at


def phase_of(api, uri):
    return api.get(uri).json["status"]["phase"]


def sim_rows(ctx):
    return list(cloud_at(ctx.config.home / "sim.db").all_rows("default"))


def test_declared_assembly_becomes_running_and_follows_the_spec(
    alice, ctx, make_reconciler, converge
):
    uri = alice.declare("web-1").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")
    body = alice.get(uri).json
    (instance,) = body["status"]["instances"]
    assert instance["state"] == "running"
    assert instance["public_ipv4"] and instance["private_ipv4"]
    assert body["status"]["observed_generation"] == body["generation"]
    conditions = {c["type"]: c["status"] for c in body["status"]["conditions"]}
    assert conditions == {"Ready": "True", "Synced": "True"}
    public = alice.get(body["components"][3]["href"]).json
    assert public["attributes"]["ipv4"] == [instance["public_ipv4"]]

    stop = [{"op": "replace", "path": "/desired_state", "value": "stopped"}]
    assert alice.patch(uri, stop).status_code == 200
    converge(reconciler, lambda: phase_of(alice, uri) == "STOPPED")

    start = [{"op": "replace", "path": "/desired_state", "value": "running"}]
    assert alice.patch(uri, start).status_code == 200
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    assert all(row["state"] == "terminated" for row in sim_rows(ctx))
    (instance_row,) = sim_rows(ctx)
    assert instance_row["tags"]["vertice-installation"] == builtins.installation_id(ctx.store)


def test_events_record_each_phase_change(alice, make_reconciler, converge):
    uri = alice.declare("web-1").headers["location"]
    converge(make_reconciler(), lambda: phase_of(alice, uri) == "RUNNING")
    reasons = [e["reason"] for e in alice.get(uri + "/events").json["items"]]
    assert "Launching" in reasons
    assert "Running" in reasons
    assert "ReadyTrue" in reasons


def test_idle_pass_writes_nothing(alice, ctx, make_reconciler, converge):
    uris = [alice.declare(f"web-{i}").headers["location"] for i in range(5)]
    reconciler = make_reconciler()
    converge(reconciler, lambda: {phase_of(alice, u) for u in uris} == {"RUNNING"})
    before = [alice.get(u).json for u in uris]
    for _ in range(3):
        for region in reconciler.runtime.due_targets(float("inf")):
            result = reconciler.runtime.run_target(region)
            assert result.written == 0 and result.acted == 0, result
    assert [alice.get(u).json for u in uris] == before
