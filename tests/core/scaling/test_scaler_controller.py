"""The scaler controller without a Prometheus, and with its assembly gone: it holds and says why.

(The scaling itself, against a real Prometheus, is `tests/test_scaler_prometheus.py`.)
"""

from __future__ import annotations

from vertice_core.scaling.controller import NO_PROMETHEUS


def conditions(api, uri):
    return {c["type"]: c for c in api.get(uri).json["status"]["conditions"]}


def declare(alice, **fields):
    body = {"assembly": "web-1", "min": 2, "max": 4, "query": "up", "target": 1, **fields}
    answer = alice.post("/v3/scalers", body)
    assert answer.status_code == 201, answer.json
    return answer.json["uri"]


def test_without_prometheus_the_scaler_holds_and_says_so_once(alice, client, make_reconciler):
    assembly = alice.declare("web-1").json
    uri = declare(alice)
    reconciler = make_reconciler()
    (result,) = reconciler.run_scaler_pass()
    assert (result.prometheus, result.held, result.scaled, result.written) == (NO_PROMETHEUS, 1,
                                                                               0, 1)  # fmt: skip
    found = conditions(alice, uri)
    assert found["ScalingActive"]["status"] == "False"
    assert found["ScalingActive"]["reason"] == "NoPrometheus"
    assert "VERTICE_PROMETHEUS_URL" in found["ScalingActive"]["message"]
    assert found["AbleToScale"]["reason"] == "HoldingReplicas"
    status = alice.get(uri).json["status"]
    assert (status["prometheus"], status["value"], status["observed_generation"]) == (
        NO_PROMETHEUS, None, 1)  # fmt: skip
    # below min, but no value is no reason to move
    assert alice.get(assembly["uri"]).json["replicas"] == 1
    events = alice.get(f"{assembly['uri']}/events").json["items"]
    assert [e["reason"] for e in events if e["reason"].startswith("Scal")] == ["ScalingInactive"]
    # the next passes write nothing: nothing changed
    assert reconciler.scalers.run_target(NO_PROMETHEUS).written == 0
    metrics = client.simulate_get("/metrics").text
    assert f'vertice_scaler_passes_total{{outcome="ok",prometheus="{NO_PROMETHEUS}"}} 1.0' in (
        metrics
    )


def test_a_changed_scaler_is_due_and_a_deleted_assembly_is_said(alice, make_reconciler):
    assembly = alice.declare("web-1").json
    uri = declare(alice)
    reconciler = make_reconciler()
    reconciler.run_scaler_pass()
    patched = alice.client.simulate_patch(uri, json={"max": 3}, headers=alice.headers())
    assert patched.json["generation"] == 2
    assert reconciler.scalers.due(0).counts == {NO_PROMETHEUS: 1}
    reconciler.run_scaler_pass()
    assert alice.get(uri).json["status"]["observed_generation"] == 2
    assert reconciler.scalers.due(0).counts == {}
    assert alice.delete(assembly["uri"]).status_code == 202
    reconciler.scalers.run_target(NO_PROMETHEUS)
    found = conditions(alice, uri)
    assert (found["AbleToScale"]["status"], found["AbleToScale"]["reason"]) == (
        "False", "AssemblyGone")  # fmt: skip
    assert "being deleted" in found["AbleToScale"]["message"]
