"""The docker driver against the real engine, beyond the contract: pages, adoption, limits, TLS."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from docker_engine_peer.busybox import PAGE
from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, InstanceState, SizeSpec
from vertice_core.errors import QuotaExceeded, TerminalError
from vertice_driver_docker.translate import container_name
from vertice_drivers.testkit import default_spec, unique_key

SMALL = SizeSpec("small", 1, 256, 0)


def spec_for(driver, image, **changes):
    changes.setdefault("size", SMALL)
    return default_spec(driver.region.installation_id, unique_key("dk"), image=image, **changes)


def wait_for(driver, key, state=InstanceState.RUNNING, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        found = [i for i in driver.observe() if i.key == key]
        if len(found) == 1 and found[0].state is state:
            return found[0]
        assert time.monotonic() < deadline, f"{key}: {found}"
        time.sleep(0.1)


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


def test_a_published_httpd_serves_a_page_at_the_observed_address(make_driver, busybox_image):
    driver = make_driver()
    spec = spec_for(driver, busybox_image, ports=(8080,))
    driver.create(spec)
    instance = wait_for(driver, spec.key)
    (address,) = instance.access
    assert address.startswith("127.0.0.1:")
    assert fetch(address) == PAGE
    assert instance.private_ipv4 and instance.public_ipv4 == "127.0.0.1"


def test_plan_images_map_to_references_through_the_region(make_driver, busybox_image):
    driver = make_driver(images={"9_container_web": busybox_image})
    spec = spec_for(driver, "9_container_web")
    driver.create(spec)
    wait_for(driver, spec.key)


def test_a_second_driver_adopts_the_container_by_name(make_driver, busybox_image, engine_client):
    first = make_driver()
    spec = spec_for(first, busybox_image)
    made = first.create(spec)
    again = make_driver(installation=first.region.installation_id).create(spec)
    assert again.cloud_id == made.cloud_id
    name = container_name(first.region.installation_id, spec.key)
    assert engine_client.containers.get(name).id == made.cloud_id


def test_a_name_held_by_another_installation_s_container_is_not_taken(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    name = container_name(driver.region.installation_id, spec.key)
    squatter = engine_client.containers.create(
        busybox_image, name=name, labels={TAG_INSTALLATION: "vti-other"}
    )
    try:
        with pytest.raises(TerminalError) as failure:
            driver.create(spec)
        assert failure.value.reason == "NameTaken"
    finally:
        squatter.remove(force=True)


def test_an_unlabelled_container_holding_the_key_s_name_is_the_key_s(
    make_driver, busybox_image, hand_made
):
    """The name is how adoption marks a container (labels cannot change): one holding
    the key's name with no installation label is the key's, for `create` as for `observe`."""
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    holder = hand_made(name=container_name(driver.region.installation_id, spec.key))
    assert driver.create(spec).cloud_id == holder.id
    assert wait_for(driver, spec.key).cloud_id == holder.id


def test_a_container_never_started_is_broken_and_a_create_launches_it(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    name = container_name(driver.region.installation_id, spec.key)
    engine_client.containers.create(
        busybox_image, name=name, labels={**spec.tags, TAG_KEY: spec.key}
    )
    (seen,) = [i for i in driver.observe() if i.key == spec.key]
    assert seen.state is InstanceState.ERROR  # the reconciler would replace it
    assert driver.create(spec).cloud_id == seen.cloud_id
    assert wait_for(driver, spec.key).cloud_id == seen.cloud_id


def test_a_paused_container_is_stopped_and_start_unpauses_it(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = spec_for(driver, busybox_image)
    made = driver.create(spec)
    wait_for(driver, spec.key)
    engine_client.api.pause(made.cloud_id)
    wait_for(driver, spec.key, InstanceState.STOPPED)
    driver.start(made.cloud_id)
    wait_for(driver, spec.key)


def test_verbs_on_a_missing_container_are_terminal_not_found(make_driver):
    driver = make_driver()
    for verb in (driver.start, driver.stop, driver.reboot):
        with pytest.raises(TerminalError) as failure:
            verb("0" * 64)
        assert failure.value.reason == "NotFound"
    driver.delete("0" * 64)  # gone already: a success


def test_a_missing_image_is_terminal(make_driver):
    driver = make_driver()
    with pytest.raises(TerminalError) as failure:
        driver.create(spec_for(driver, "localhost/not-here:1"))
    assert failure.value.reason == "ImageNotFound"
    assert "localhost/not-here:1" in failure.value.message


def test_a_flavor_larger_than_the_engine_exceeds_the_quota(make_driver, busybox_image):
    driver = make_driver()
    cpus, ram = driver.capacity()
    for size in (SizeSpec("huge", cpus + 1, 256, 0), SizeSpec("fat", 1, ram + 1, 0)):
        with pytest.raises(QuotaExceeded) as failure:
            driver.create(spec_for(driver, busybox_image, size=size))
        assert "the engine has" in failure.value.message
    assert [f for f in driver.flavors() if f.cpu <= cpus and f.ram <= ram] == driver.flavors()


def test_max_containers_is_a_quota_that_still_lets_a_key_adopt(make_driver, busybox_image):
    driver = make_driver(max_containers=1)
    first = spec_for(driver, busybox_image)
    made = driver.create(first)
    with pytest.raises(QuotaExceeded) as failure:
        driver.create(spec_for(driver, busybox_image))
    assert "at most 1" in failure.value.message
    assert driver.create(first).cloud_id == made.cloud_id


def test_containers_without_our_label_are_not_observed(make_driver, busybox_image, engine_client):
    driver = make_driver()
    other = engine_client.containers.run(
        busybox_image, detach=True, labels={TAG_INSTALLATION: "vti-other"}
    )
    try:
        assert all(i.cloud_id != other.id for i in driver.observe())
    finally:
        other.remove(force=True)


def test_tls_with_client_certificates_reaches_the_engine(make_driver, busybox_image, tls_engine):
    driver = make_driver(base_url=tls_engine.tls_url, credentials=tls_engine.credentials())
    spec = spec_for(driver, busybox_image)
    driver.create(spec)
    assert wait_for(driver, spec.key).state is InstanceState.RUNNING
    folder = Path(driver.engine._tls_dir)
    assert sorted(p.name for p in folder.iterdir()) == ["ca.pem", "cert.pem", "key.pem"]
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}
    driver.close()
    assert not folder.exists()
