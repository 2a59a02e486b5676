"""Hard restarts and stops end to end (issue 14, day 2): the API, the reconciler, the sim.

`restart_mode` and `stop_mode` (`soft` by default) say how the reconciler carries out
restarts and stops: `hard` calls `Driver.hard_reboot` and `Driver.hard_stop`, once per
request, where the region's driver claims them; `stop_mode: suspend` calls
`Driver.suspend`, and a start resumes. Elsewhere setting them is a 422 naming the
capability and the cloud type, and nothing is stored.
"""

from __future__ import annotations


def calls(reconciler, verb: str) -> int:
    return reconciler.metrics.calls("sim", verb)


def test_hard_restarts_and_stops_are_carried_out_the_hard_way_once(
    alice, make_reconciler, converge
):
    reconciler = make_reconciler()
    uri = alice.declare("web", replicas=2).headers["location"]
    converge(reconciler, lambda: alice.status(uri)["ready_replicas"] == 2)

    hard = [{"op": "replace", "path": "/restart_mode", "value": "hard"},
            {"op": "replace", "path": "/restart_count", "value": 1}]  # fmt: skip
    answer = alice.patch(uri, hard)
    assert answer.status_code == 200, answer.json
    assert (answer.json["restart_mode"], answer.json["stop_mode"]) == ("hard", "soft")
    converge(reconciler, lambda: alice.status(uri)["restarts_done"] == 1
             and alice.status(uri)["ready_replicas"] == 2)  # fmt: skip
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert (calls(reconciler, "hard_reboot"), calls(reconciler, "reboot")) == (2, 0)
    events = [e["message"] for e in alice.get(f"{uri}/events").json["items"]
              if e["reason"] == "Restarted"]  # fmt: skip
    assert len(events) == 1 and "restarted the hard way" in events[0]

    alice.patch(
        uri,
        [
            {"op": "replace", "path": "/stop_mode", "value": "hard"},
            {"op": "replace", "path": "/desired_state", "value": "stopped"},
        ],
    )
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    assert (calls(reconciler, "hard_stop"), calls(reconciler, "stop")) == (2, 0)

    alice.patch(
        uri,
        [
            {"op": "replace", "path": "/stop_mode", "value": "soft"},
            {"op": "replace", "path": "/desired_state", "value": "running"},
        ],
    )
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING"
             and alice.status(uri)["ready_replicas"] == 2)  # fmt: skip
    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    assert (calls(reconciler, "hard_stop"), calls(reconciler, "stop")) == (2, 2)


def test_a_hard_mode_where_the_driver_cannot_is_a_422_naming_the_capability(alice, admin):
    """SoftLayer's driver claims neither: read from its metadata, nothing is called."""
    region = {"name": "sl", "cloud_type": "softlayer", "provider_region": "dal13",
              "settings": {"images": {"1_virtualmachine_ubuntu": "UBUNTU_22_64"}},
              "credentials": {"username": "SL123456", "api_key": "not-used-here"}}  # fmt: skip
    assert admin.post("/v3/regions", region).status_code == 201
    uri = alice.declare("on-sl", region="sl").headers["location"]
    generation = alice.get(uri).json["generation"]
    for field, capability in (("restart_mode", "'hard_reboot'"), ("stop_mode", "'hard_stop'")):
        refused = alice.patch(uri, [{"op": "replace", "path": f"/{field}", "value": "hard"}])
        assert refused.status_code == 422, refused.json
        assert capability in refused.json["description"]
        assert "'softlayer'" in refused.json["description"]
    suspend = alice.patch(uri, [{"op": "replace", "path": "/stop_mode", "value": "suspend"}])
    assert suspend.status_code == 422, suspend.json
    assert "'suspend'" in suspend.json["description"]
    assert alice.get(uri).json["generation"] == generation
    bad = alice.patch(uri, [{"op": "replace", "path": "/stop_mode", "value": "brutal"}])
    assert bad.status_code == 422 and "$.stop_mode" in str(bad.json)
    soft = alice.patch(uri, [{"op": "replace", "path": "/stop_mode", "value": "soft"}])
    assert soft.status_code == 200  # what it is already: nothing to support


def test_a_suspended_assembly_is_resumed_by_a_start_without_a_boot(
    alice, make_reconciler, converge, sim_cloud
):
    """`stop_mode: suspend` makes a stop call `Driver.suspend` once per instance; a start
    resumes the instances where they were (the sim keeps their boot time)."""
    reconciler = make_reconciler()
    uri = alice.declare("web", replicas=2).headers["location"]
    converge(reconciler, lambda: alice.status(uri)["ready_replicas"] == 2)
    booted = {i["cloud_id"]: sim_cloud.get("default", i["cloud_id"], 0)["boot_at"]
              for i in alice.status(uri)["instances"]}  # fmt: skip

    suspend = [{"op": "replace", "path": "/stop_mode", "value": "suspend"},
               {"op": "replace", "path": "/desired_state", "value": "stopped"}]  # fmt: skip
    answer = alice.patch(uri, suspend)
    assert answer.status_code == 200, answer.json
    assert answer.json["stop_mode"] == "suspend"
    converge(reconciler, lambda: alice.status(uri)["phase"] == "STOPPED")
    for _ in range(3):  # a suspended instance is stopped as declared: nothing more is done
        reconciler.run_pass()
    assert (calls(reconciler, "suspend"), calls(reconciler, "stop")) == (2, 0)
    held = {c: sim_cloud.get("default", c, 0)["state"] for c in booted}
    assert held == dict.fromkeys(booted, "suspended")

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING"
             and alice.status(uri)["ready_replicas"] == 2)  # fmt: skip
    resumed = {i["cloud_id"]: sim_cloud.get("default", i["cloud_id"], 0)["boot_at"]
               for i in alice.status(uri)["instances"]}  # fmt: skip
    assert resumed == booted  # the same instances, not booted again
    assert calls(reconciler, "start") == 2
