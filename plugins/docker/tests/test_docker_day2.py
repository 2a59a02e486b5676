"""Snapshots on a real engine (issue 14, day 2): a container committed into an image.

Through the API and the reconciler: a file a container wrote is in its snapshot, and
an assembly restored from the snapshot serves it; the image carries the installation
under its own label, never the instance labels that would make a container run from
it by hand look like one of vertice's. On the driver: deleting a snapshot a container
still runs from untags it (no longer listed) and the engine keeps the image until
that container is gone; another installation's image is never deleted.
"""

from __future__ import annotations

import docker.errors
import pytest

from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY, TAG_SNAPSHOT
from vertice_core.errors import TerminalError
from vertice_driver_docker.snapshots import OWNER
from vertice_drivers.testkit import default_spec

#: Images are made and removed here: with the other tests that make images (conftest).
pytestmark = pytest.mark.xdist_group("docker-load")


def read(container, path: str) -> str:
    result = container.exec_run(["cat", path])
    return result.output.decode() if result.exit_code == 0 else ""


def test_a_snapshot_keeps_what_the_container_wrote_and_restores_it(
    alice, installation, docker_region, declare, make_reconciler, converge, engine_client, settle
):
    docker_region()
    uri = declare("web")
    reconciler = make_reconciler()
    converge(reconciler, lambda: alice.status(uri)["phase"] == "RUNNING")
    (instance,) = alice.status(uri)["instances"]
    source = engine_client.containers.get(instance["cloud_id"])
    wrote = source.exec_run(["sh", "-c", "echo written after launch > /www/kept.txt"])
    assert wrote.exit_code == 0, wrote.output

    asked = alice.post(f"{uri}/snapshots", {"name": "with-file"})
    assert asked.status_code == 202, asked.json
    available = settle(reconciler, alice, asked.json["uri"], "AVAILABLE")
    image = engine_client.images.get(available["image_id"])
    assert image.labels[OWNER] == installation
    assert image.labels[TAG_SNAPSHOT] == asked.json["id"]
    assert image.labels[TAG_INSTALLATION] == image.labels[TAG_ASSEMBLY] == ""
    assert image.labels[TAG_KEY] == ""

    restored = declare("web-2", snapshot="with-file")
    converge(reconciler, lambda: alice.status(restored)["phase"] == "RUNNING")
    (copy,) = alice.status(restored)["instances"]
    container = engine_client.containers.get(copy["cloud_id"])
    assert container.attrs["Image"] == available["image_id"]
    assert read(container, "/www/kept.txt") == "written after launch\n"
    assert container.labels[TAG_INSTALLATION] == installation  # its own labels, not the image's

    assert alice.delete(restored).status_code == 202
    converge(reconciler, lambda: alice.get(restored).status_code == 404)
    assert alice.delete(asked.json["uri"]).status_code == 202
    settle(reconciler, alice, asked.json["uri"], None)
    with pytest.raises(docker.errors.ImageNotFound):
        engine_client.images.get(available["image_id"])


def test_a_snapshot_in_use_is_untagged_and_removed_once_its_container_is_gone(
    make_driver, busybox_image, engine_client
):
    driver = make_driver()
    spec = default_spec(driver.region.installation_id, "day2-src", image=busybox_image)
    source = driver.create(spec)
    image = driver.snapshot(source.cloud_id, "in-use")
    assert [i.id for i in driver.snapshots()] == [image.id]
    copy = default_spec(driver.region.installation_id, "day2-copy", image=busybox_image,
                        image_id=image.id)  # fmt: skip
    launched = driver.create(copy)
    assert engine_client.containers.get(launched.cloud_id).attrs["Image"] == image.id

    foreign = make_driver(installation="vti-someone-else")
    with pytest.raises(TerminalError, match="not a snapshot of this installation"):
        foreign.delete_snapshot(image.id)
    assert foreign.snapshots() == []

    driver.delete_snapshot(image.id)  # a container runs from it: untagged, kept
    assert driver.snapshots() == []
    assert engine_client.images.get(image.id).tags == []
    driver.delete_snapshot(image.id)  # again: a success
    driver.delete(launched.cloud_id)
    other = driver.snapshot(source.cloud_id, "later")
    driver.delete_snapshot(other.id)  # a later deletion removes what is left of the first
    for gone in (image.id, other.id):
        with pytest.raises(docker.errors.ImageNotFound):
            engine_client.images.get(gone)
