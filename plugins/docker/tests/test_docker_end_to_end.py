"""End to end on a real engine: API, store, reconciler (in-process), docker driver, engine."""

from __future__ import annotations

import time
import urllib.request

import docker.errors
import pytest

from docker_engine_peer.busybox import PAGE
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY, TAG_PROJECT


def status_of(api, uri):
    return api.get(uri).json["status"]


def phase_of(api, uri):
    return status_of(api, uri)["phase"]


def fetch(address: str, timeout: float = 20.0) -> str:
    """GET / from `host:port`, retrying while the server inside starts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://{address}/", timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_an_assembly_runs_as_a_container_through_every_action(
    alice, installation, docker_region, declare, make_reconciler, converge, engine_client
):
    docker_region()
    uri = declare("web")
    reconciler = make_reconciler()
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")

    body = alice.get(uri).json
    (instance,) = body["status"]["instances"]
    assert instance["state"] == "running"
    assert instance["public_ipv4"] == "127.0.0.1"
    assert instance["private_ipv4"]
    (address,) = instance["access"]
    assert fetch(address) == PAGE
    conditions = {c["type"]: c["status"] for c in body["status"]["conditions"]}
    assert conditions == {"Ready": "True", "Synced": "True"}
    container = engine_client.containers.get(instance["cloud_id"])
    labels = container.labels
    assert labels[TAG_INSTALLATION] == installation
    assert labels[TAG_ASSEMBLY] == body["id"]
    assert labels[TAG_KEY] == instance["key"]
    assert container.attrs["HostConfig"]["NanoCpus"] == 1_000_000_000  # flavor small: 1 CPU
    assert container.attrs["HostConfig"]["Memory"] == 1024 * 2**20  # ...and 1024 MiB

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phase_of(alice, uri) == "STOPPED")
    container.reload()
    assert container.status == "exited"

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")
    container.reload()
    assert container.status == "running"
    started = container.attrs["State"]["StartedAt"]

    alice.replace(uri, "/restart_count", 1)

    def restarted() -> bool:
        container.reload()
        return container.attrs["State"]["StartedAt"] != started and (
            phase_of(alice, uri) == "RUNNING"
        )

    converge(reconciler, restarted)
    after = container.attrs["State"]["StartedAt"]
    for _ in range(3):  # a restart request is carried out once, not on every pass
        reconciler.run_pass()
    container.reload()
    assert container.attrs["State"]["StartedAt"] == after
    (instance,) = status_of(alice, uri)["instances"]
    assert instance["cloud_id"] == container.id

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    with pytest.raises(docker.errors.NotFound):
        container.reload()


def test_a_ghost_is_removed_and_unlabelled_containers_are_never_touched(
    alice, installation, docker_region, declare, make_reconciler, converge, engine_client,
    busybox_image,
):  # fmt: skip
    docker_region()
    ghost = engine_client.containers.run(
        busybox_image,
        detach=True,
        labels={
            TAG_INSTALLATION: installation,
            TAG_ASSEMBLY: "asm-gone",
            TAG_KEY: "asm-gone-1",
            TAG_PROJECT: "prj-x",
        },
    )
    pet = engine_client.containers.run(busybox_image, detach=True, labels={"owner": "someone"})
    neighbour = engine_client.containers.run(
        busybox_image, detach=True, labels={TAG_INSTALLATION: "vti-another-installation"}
    )
    try:
        uri = declare("web")

        def ghost_gone() -> bool:
            try:
                ghost.reload()
            except docker.errors.NotFound:
                return True
            return False

        converge(make_reconciler(), lambda: phase_of(alice, uri) == "RUNNING" and ghost_gone())
        for survivor in (pet, neighbour):
            survivor.reload()
            assert survivor.status == "running"
        events = alice.get(uri + "/events").json["items"]
        assert "Running" in {e["reason"] for e in events}
    finally:
        for container in (pet, neighbour):
            container.remove(force=True)
