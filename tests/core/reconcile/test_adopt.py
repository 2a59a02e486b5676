"""Adopting an instance that already runs (issue 14): an administrator declares an
assembly with `adopt: {cloud_id}`; the reconciler tags the instance once
(`Driver.adopt`) instead of creating one, without a restart, and from then on
reconciles it like any other. Users may not adopt, nor regions whose driver cannot;
an instance already managed fails the assembly with the cloud's reason."""

from __future__ import annotations

import time

import attrs
import pytest

from vertice_core.driver import TAG_KEY
from vertice_drivers.simday2 import hand_made


@pytest.fixture
def ctx(ctx, bare_registry):
    """The installed drivers and `bare`, which claims no capability (`adopt` neither)."""
    return attrs.evolve(ctx, registry=bare_registry)


def calls(reconciler, verb: str) -> int:
    return reconciler.metrics.calls("sim", verb)


def test_an_adopted_instance_is_tagged_once_without_a_restart_and_then_managed(
    admin, make_reconciler, converge, sim_cloud
):
    cloud_id = hand_made(sim_cloud)
    booted = sim_cloud.get("default", cloud_id, time.time())["boot_at"]
    declared = admin.declare("legacy", adopt={"cloud_id": cloud_id})
    assert declared.status_code == 201, declared.json
    assert declared.json["adopt"] == {"cloud_id": cloud_id}
    uri = declared.json["uri"]
    (step,) = admin.get(f"{uri}/plan").json["steps"]  # what the next pass does: adopt it
    assert (step["verb"], step["ordinal"], step["target"], step["reason"]) == (
        "adopt", 0, cloud_id, "Adopting"
    )  # fmt: skip
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(uri)["phase"] == "RUNNING")
    (instance,) = admin.status(uri)["instances"]
    assert instance["cloud_id"] == cloud_id
    row = sim_cloud.get("default", cloud_id, time.time())
    assert row["boot_at"] == booted and row["state"] == "running"  # not restarted
    assert row["tags"]["owner"] == "ops" and row["tags"][TAG_KEY] == instance["key"]
    for _ in range(3):
        reconciler.run_pass()
    assert (calls(reconciler, "adopt"), calls(reconciler, "create")) == (1, 0)

    admin.replace(uri, "/desired_state", "stopped")  # reconciled like any other
    converge(reconciler, lambda: admin.status(uri)["phase"] == "STOPPED")
    assert sim_cloud.get("default", cloud_id, time.time())["state"] == "stopped"
    assert admin.delete(uri).status_code == 202
    converge(reconciler, lambda: admin.get(uri).status_code == 404)
    assert sim_cloud.get("default", cloud_id, time.time())["state"] == "terminated"


def test_adopting_a_managed_instance_fails_the_assembly(admin, make_reconciler, converge,
                                                        sim_cloud):  # fmt: skip
    cloud_id = hand_made(sim_cloud)
    first = admin.declare("first", adopt={"cloud_id": cloud_id}).json["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(first)["phase"] == "RUNNING")
    second = admin.declare("second", adopt={"cloud_id": cloud_id}).json["uri"]
    converge(reconciler, lambda: admin.status(second)["phase"] == "FAILED")
    failed = admin.status(second)
    assert failed["reason"] == "ManagedElsewhere", failed
    assert f"{cloud_id} is managed already" in failed["message"], failed
    assert admin.status(first)["instances"][0]["cloud_id"] == cloud_id  # left as it was


def test_adoption_is_refused_to_users_and_where_the_driver_cannot(alice, admin, sim_cloud):
    cloud_id = hand_made(sim_cloud)
    refused = alice.declare("mine", adopt={"cloud_id": cloud_id})
    assert refused.status_code == 403 and "administrators" in refused.json["description"]
    assert admin.post("/v3/regions", {"name": "b", "cloud_type": "bare"}).status_code == 201
    on_bare = admin.declare("on-bare", region="b", adopt={"cloud_id": "12345"})
    assert on_bare.status_code == 422 and "'adopt'" in on_bare.json["description"]
    assert "'bare'" in on_bare.json["description"]
    two = admin.declare("two", replicas=2, adopt={"cloud_id": cloud_id})
    assert two.status_code == 422 and two.json["problems"][0]["path"] == "$.replicas"
    blank = admin.declare("blank", adopt={"cloud_id": " "})
    assert blank.status_code == 422 and "$.adopt.cloud_id" in str(blank.json)
    assert admin.get("/v3/assembly_factory").json["items"] == []  # nothing stored
