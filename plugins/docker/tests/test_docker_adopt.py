"""Adoption on a real engine (`Capability.ADOPT`), beyond the contract's check.

A container run by hand is adopted by renaming it to the name the driver gives the
key's container: it keeps running (same start time) with its own labels, `observe`
lists it under the key with the assembly read from the key, and the driver then stops,
starts and deletes it as one of its own. Containers of another installation (its label,
or a name it gave) are never unmanaged, never adopted, never observed.
"""

from __future__ import annotations

import time

import pytest

from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    InstanceState,
    SizeSpec,
)
from vertice_core.errors import TerminalError
from vertice_driver_docker.translate import container_name
from vertice_drivers.testkit import default_spec
from vertice_drivers.testkit_adopt import adoption_tags

#: An assembly id of the form `new_id("asm")` makes, and keys of both forms.
ASSEMBLY = "asm-3f9a1c2b7d4e8a10"


def observed(driver, cloud_id: str, state: InstanceState, timeout: float = 20.0):
    """The observed instance of `cloud_id` once it is in `state`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [i for i in driver.observe() if i.cloud_id == cloud_id]
        if found and found[0].state is state:
            return found[0]
        assert time.monotonic() < deadline, f"{cloud_id}: {found}"
        time.sleep(0.1)


def started_at(engine_client, cloud_id: str) -> str:
    return str(engine_client.api.inspect_container(cloud_id)["State"]["StartedAt"])


def test_an_adopted_container_runs_on_with_its_labels_under_its_key(
    make_driver, hand_made, engine_client
):
    driver = make_driver()
    container = hand_made()
    booted = started_at(engine_client, container.id)
    key = f"{ASSEMBLY}-r1i2"

    adopted = driver.adopt(container.id, adoption_tags(driver.region.installation_id, key))
    assert (adopted.cloud_id, adopted.key, adopted.assembly_id) == (container.id, key, ASSEMBLY)
    container.reload()
    assert container.name == container_name(driver.region.installation_id, key)
    assert container.labels == {"owner": "ops"}  # labels cannot change: the name marks it
    assert container.status == "running"
    assert started_at(engine_client, container.id) == booted  # not restarted

    listed = observed(driver, container.id, InstanceState.RUNNING)
    assert listed.key == key
    assert listed.tags[TAG_INSTALLATION] == driver.region.installation_id
    assert (listed.tags[TAG_KEY], listed.tags[TAG_ASSEMBLY]) == (key, ASSEMBLY)
    assert listed.tags["owner"] == "ops"
    assert TAG_PROJECT not in listed.tags  # a name cannot carry it
    assert all(i.cloud_id != container.id for i in driver.unmanaged())
    assert (
        driver.adopt(container.id, adoption_tags(driver.region.installation_id, key)).cloud_id
        == container.id
    )  # again


def test_the_driver_stops_starts_and_deletes_an_adopted_container(
    make_driver, hand_made, engine_client
):
    driver = make_driver()
    container = hand_made()
    driver.adopt(container.id, adoption_tags(driver.region.installation_id, f"{ASSEMBLY}-1"))

    driver.stop(container.id)
    observed(driver, container.id, InstanceState.STOPPED)
    driver.start(container.id)
    observed(driver, container.id, InstanceState.RUNNING)
    driver.delete(container.id)
    assert all(i.cloud_id != container.id for i in driver.observe())
    assert all(c.id != container.id for c in engine_client.containers.list(all=True))


def test_create_of_an_adopted_key_returns_the_adopted_container(
    make_driver, hand_made, busybox_image
):
    driver = make_driver()
    container = hand_made()
    key = f"{ASSEMBLY}-3"
    driver.adopt(container.id, adoption_tags(driver.region.installation_id, key))
    spec = default_spec(driver.region.installation_id, key, image=busybox_image,
                        size=SizeSpec("small", 1, 256, 0))  # fmt: skip
    assert driver.create(spec).cloud_id == container.id  # the engine's 409 on its name


def test_containers_of_another_installation_are_neither_unmanaged_nor_adopted(
    make_driver, hand_made
):
    driver = make_driver()
    theirs = hand_made(labels={TAG_INSTALLATION: "vti-another-installation", "owner": "ops"})
    adopted_by_them = hand_made(labels={}, name=container_name("vti-another", f"{ASSEMBLY}-1"))
    # Named with our prefix but labelled for another installation: theirs, not ours.
    squatter = hand_made(
        labels={TAG_INSTALLATION: "vti-another-installation"},
        name=container_name(driver.region.installation_id, f"{ASSEMBLY}-9"),
    )
    unmanaged = {i.cloud_id for i in driver.unmanaged()}
    observed_ids = {i.cloud_id for i in driver.observe()}
    for container in (theirs, adopted_by_them, squatter):
        assert container.id not in unmanaged
        assert container.id not in observed_ids
    for container in (theirs, adopted_by_them):
        with pytest.raises(TerminalError) as refused:
            driver.adopt(
                container.id, adoption_tags(driver.region.installation_id, f"{ASSEMBLY}-2")
            )
        assert refused.value.reason == "ManagedElsewhere"
    with pytest.raises(TerminalError) as refused:  # it holds the name already, for another
        driver.adopt(squatter.id, adoption_tags(driver.region.installation_id, f"{ASSEMBLY}-9"))
    assert refused.value.reason == "ManagedElsewhere"


def test_an_installation_whose_id_extends_ours_is_not_observed(make_driver, hand_made):
    driver = make_driver()
    longer = make_driver(installation=driver.region.installation_id + "0")
    container = hand_made()
    longer.adopt(container.id, adoption_tags(longer.region.installation_id, f"{ASSEMBLY}-1"))
    assert [i.cloud_id for i in longer.observe()] == [container.id]
    assert all(i.cloud_id != container.id for i in driver.observe())


def test_a_name_another_container_holds_is_not_taken(make_driver, hand_made):
    driver = make_driver()
    key = f"{ASSEMBLY}-1"
    first, second = hand_made(), hand_made()
    driver.adopt(first.id, adoption_tags(driver.region.installation_id, key))
    with pytest.raises(TerminalError) as refused:
        driver.adopt(second.id, adoption_tags(driver.region.installation_id, key))
    assert refused.value.reason == "NameTaken"
    assert any(i.cloud_id == second.id for i in driver.unmanaged())


def test_adopting_a_missing_container_is_not_found(make_driver):
    driver = make_driver()
    with pytest.raises(TerminalError) as missing:
        driver.adopt("0" * 64, adoption_tags(driver.region.installation_id, f"{ASSEMBLY}-1"))
    assert missing.value.reason == "NotFound"


def test_adopt_is_for_the_driver_s_own_installation_only(make_driver, hand_made):
    driver = make_driver()
    container = hand_made()
    foreign = {
        **adoption_tags(driver.region.installation_id, f"{ASSEMBLY}-1"),
        TAG_INSTALLATION: "vti-someone-else",
    }
    with pytest.raises(TerminalError, match="asked of the driver"):
        driver.adopt(container.id, foreign)
    with pytest.raises(TerminalError, match="cannot be carried"):
        driver.adopt(container.id, {**foreign, TAG_INSTALLATION: driver.region.installation_id,
                                    TAG_KEY: ""})  # fmt: skip
    assert any(i.cloud_id == container.id for i in driver.unmanaged())


def test_a_container_the_driver_made_is_observed_after_a_rename_by_hand(
    make_driver, engine_client, busybox_image
):
    """Its label says whose it is, whatever its name: the listing is not filtered by name
    (a renamed container of ours unseen would run on beside its replacement)."""
    driver = make_driver()
    spec = default_spec(driver.region.installation_id, f"{ASSEMBLY}-1", image=busybox_image,
                        size=SizeSpec("small", 1, 256, 0))  # fmt: skip
    made = driver.create(spec)
    try:
        engine_client.api.rename(made.cloud_id, "renamed-by-an-operator")
        listed = observed(driver, made.cloud_id, InstanceState.RUNNING)
        assert listed.key == f"{ASSEMBLY}-1"
        assert all(i.cloud_id != made.cloud_id for i in driver.unmanaged())
    finally:
        driver.delete(made.cloud_id)


def test_the_reconciler_adopts_a_container_run_by_hand_and_manages_it(
    admin, docker_region, busybox_plan, make_reconciler, converge, hand_made, engine_client
):
    """Through the API and the reconciler: an administrator declares an assembly adopting
    a container run by hand; it is renamed once (adopt, not create), keeps running from
    the same start, and a stop declared afterwards reaches it."""
    docker_region()
    container = hand_made()
    booted = started_at(engine_client, container.id)
    declared = admin.declare("legacy", region="dock", plan_uri=busybox_plan,
                             adopt={"cloud_id": container.id})  # fmt: skip
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(uri)["phase"] == "RUNNING")
    (instance,) = admin.status(uri)["instances"]
    assert instance["cloud_id"] == container.id
    assert started_at(engine_client, container.id) == booted  # not restarted
    assert engine_client.containers.get(container.id).labels == {"owner": "ops"}
    for _ in range(3):
        reconciler.run_pass()
    calls = reconciler.metrics.calls
    assert (calls("docker", "adopt"), calls("docker", "create")) == (1, 0)

    admin.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: admin.status(uri)["phase"] == "STOPPED")
    assert engine_client.containers.get(container.id).status == "exited"
