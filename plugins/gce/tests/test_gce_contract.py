"""The GCE driver passes the driver contract (vertice_drivers.testkit) against the Compute peer.

The peer's replies follow the recorded `instances.get`, `instances.list`,
`instances.insert` operation and image documents of `fixtures/` (see the templates
in `plugins/gce/gce_compute_peer.py`).
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own.
@pytest.fixture(scope="module")
def ours(compute_server, driver_builder):
    driver = driver_builder(compute_server.url)
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(compute_server, driver_builder):
    driver = driver_builder(compute_server.url, installation="vti-someone-else")
    yield driver
    driver.close()


class TestGceContract(DriverContract):
    settle_timeout = 10.0
    settle_interval = 0.05

    @pytest.fixture
    def driver(self, ours):
        return ours

    @pytest.fixture
    def foreign_driver(self, theirs):
        return theirs

    @pytest.fixture
    def unreachable_driver(self, make_driver, closed_port):
        return make_driver(endpoint=f"http://127.0.0.1:{closed_port}")

    @pytest.fixture
    def unauthorized_driver(self, make_driver, rogue_service_account):
        # A well-formed key the peer does not know: its signed calls get 401 authError.
        return make_driver(key_json=rogue_service_account.json)

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: driver.launch_data(instance.cloud_id)

    @pytest.fixture
    def make_unmanaged(self, compute_server, ours):
        """Instances made behind vertice's back, RUNNING at once, with no vertice labels (one
        `owner: ops` of their own); their cloud id is their name, as `observe` reports it.
        Deleted after the test."""
        made: list[str] = []

        def make():
            made.append(f"by-hand-{uuid.uuid4().hex[:8]}")
            compute_server.plant(ours.project, ours.zone, made[-1], {"owner": "ops"})
            return made[-1]

        yield make
        for name in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                ours.delete(name)

    @pytest.fixture
    def launched_image(self, driver, compute_server):
        """The image the instance's boot disk was made from, as the peer keeps it (the
        disk's `sourceImage`, a selfLink), as a partial URL: the form of the driver's ids."""

        def image(instance):
            link = compute_server.boot_image(driver.project, driver.zone, instance.cloud_id)
            return link[link.find("projects/") :]

        return image

    @pytest.fixture
    def suspend_mark(self, driver, compute_server):
        """Whether the peer holds the instance SUSPENDED (its memory kept), not TERMINATED.
        No `boot_mark`: the peer keeps nothing that changes with each boot."""

        def suspended(instance):
            found = compute_server.instance(driver.project, driver.zone, instance.cloud_id)
            return found is not None and found["status"] == "SUSPENDED"

        return suspended
