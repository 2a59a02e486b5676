"""Crash safety on a real engine: a reconciler dies between `create` and recording its outcome.

The crash is a `BaseException` raised in the pass, which nothing in the
reconciler catches: like SIGKILL, the pass ends where it is, its leases stay
taken (for a 1 s lease here), and nothing after that point is written. A
fresh reconciler then takes over the lease.
"""

from __future__ import annotations

import attrs
import pytest

from vertice_core.driver import TAG_ASSEMBLY
from vertice_driver_docker.driver import DockerDriver


class Crash(BaseException):
    """The reconciler process dies here."""


def crash(*_args, **_kwargs):
    raise Crash


def containers_of(engine_client, assembly_id):
    label = f"{TAG_ASSEMBLY}={assembly_id}"
    return engine_client.containers.list(all=True, filters={"label": label})


def phase_of(api, uri):
    return api.get(uri).json["status"]["phase"]


@pytest.fixture
def creates(monkeypatch):
    """The keys `DockerDriver.create` is called with, in order."""
    keys: list[str] = []
    original = DockerDriver.create

    def counted(self, spec):
        keys.append(spec.key)
        return original(self, spec)

    monkeypatch.setattr(DockerDriver, "create", counted)
    return keys


def test_killed_after_create_before_its_outcome_is_recorded(
    alice, docker_region, declare, make_reconciler, converge, fast_settings, engine_client,
    creates,
):  # fmt: skip
    docker_region()
    uri = declare("web")
    assembly_id = alice.get(uri).json["id"]
    dead = make_reconciler(attrs.evolve(fast_settings, lease_ttl=1.0), holder="dead")
    dead.ops.commit_pass = crash  # the container is made, then the process dies
    with pytest.raises(Crash):
        dead.run_pass()
    assert creates == [f"{assembly_id}-1"]
    (made,) = containers_of(engine_client, assembly_id)
    (item,) = dead.ops.items([assembly_id])
    (slot,) = item.slots
    assert slot.create_key == f"{assembly_id}-1"  # the write-ahead marker, and no outcome
    assert phase_of(alice, uri) != "RUNNING"

    fresh = make_reconciler(holder="fresh")
    converge(fresh, lambda: phase_of(alice, uri) == "RUNNING")
    (container,) = containers_of(engine_client, assembly_id)
    assert container.id == made.id
    assert container.status == "running"
    assert len(creates) == 1  # adopted from the observation, not created again
    (instance,) = alice.get(uri).json["status"]["instances"]
    assert instance["cloud_id"] == made.id


def test_killed_between_the_engines_create_and_start(
    alice, docker_region, declare, make_reconciler, converge, fast_settings, engine_client,
    monkeypatch,
):  # fmt: skip
    docker_region()
    uri = declare("web")
    assembly_id = alice.get(uri).json["id"]
    dead = make_reconciler(attrs.evolve(fast_settings, lease_ttl=1.0), holder="dead")
    monkeypatch.setattr(DockerDriver, "_launch", crash)
    with pytest.raises(Crash):
        dead.run_pass()
    monkeypatch.undo()
    (half_made,) = containers_of(engine_client, assembly_id)
    assert half_made.status == "created"  # never started: its launch files may be missing

    fresh = make_reconciler(holder="fresh")
    converge(
        fresh,
        lambda: (
            phase_of(alice, uri) == "RUNNING"
            and len(containers_of(engine_client, assembly_id)) == 1
        ),
    )
    (container,) = containers_of(engine_client, assembly_id)
    assert container.id != half_made.id  # the broken one was replaced...
    assert container.status == "running"
    assert container.labels["vertice-key"] == f"{assembly_id}-2"  # ...under the next key
