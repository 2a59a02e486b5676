"""`/v3/sd/prometheus` over a reconciled sim region: a target group per running instance."""

from __future__ import annotations

import pytest

SD = "/v3/sd/prometheus"


@pytest.fixture
def running(alice, configure_sim, make_reconciler, converge):
    """Alice's assemblies, reconciled until their instances run (at 127.0.0.1)."""

    def run(name: str, **fields) -> str:
        uri = alice.declare(name, **fields).headers["location"]
        converge(
            make_reconciler(),
            lambda: (
                alice.status(uri)["ready_replicas"] == alice.get(uri).json["replicas"]
                and alice.condition(uri, "Ready").get("status") == "True"
            ),
            timeout=30,
        )
        return uri

    configure_sim(address="127.0.0.1")
    return run


def test_a_running_instance_is_a_target_labelled_with_its_ordinal(alice, bob, admin, running):
    uri = running("node-1", metrics_port=9200)
    (group,) = alice.get(SD).json
    assert group["targets"] == ["127.0.0.1:9200"]
    labels = group["labels"]
    assert labels["__meta_vertice_assembly"] == uri.rsplit("/", 1)[1]
    assert labels["__meta_vertice_assembly_name"] == "node-1"
    assert labels["__meta_vertice_instance"] == "0"
    assert bob.get(SD).json == []
    assert admin.get(SD).json == [group]


def test_a_stopped_assembly_is_no_target(alice, running, make_reconciler, converge):
    uri = running("node-1")
    alice.replace(uri, "/desired_state", "stopped")
    converge(make_reconciler(), lambda: alice.status(uri)["phase"] == "STOPPED")
    assert alice.get(SD).json == []


def test_every_replica_is_a_target(alice, running):
    """Needs the reconciler that runs `replicas` instances."""
    running("node-3", replicas=3)
    groups = alice.get(SD).json
    assert [g["labels"]["__meta_vertice_instance"] for g in groups] == ["0", "1", "2"]
    assert {g["labels"]["__meta_vertice_assembly_name"] for g in groups} == {"node-3"}
