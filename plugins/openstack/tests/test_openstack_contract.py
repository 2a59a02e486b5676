"""The OpenStack driver passes the driver contract (vertice_drivers.testkit) against the peer.

The peer is a local Keystone + Nova + Glance (`openstack_peer`) whose documents are
the projects' recorded API samples: the token and catalog of Keystone's
`auth-password-project-scoped-response.json`, servers of Nova's 2.100 samples
(`server-get-resp.json`, `servers-details-resp.json`), the flavors at 2.61 and the
images of Glance's `images-list-response.json`. openstacksdk talks to it unmodified.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own.
@pytest.fixture(scope="module")
def ours(openstack_server, settings_json, driver_builder):
    driver = driver_builder(settings_json(openstack_server))
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(openstack_server, settings_json, driver_builder):
    driver = driver_builder(settings_json(openstack_server), installation="vti-someone-else")
    yield driver
    driver.close()


class TestOpenStackContract(DriverContract):
    settle_timeout = 10.0
    settle_interval = 0.02

    @pytest.fixture
    def driver(self, peer, ours):
        return ours

    @pytest.fixture
    def foreign_driver(self, theirs):
        return theirs

    @pytest.fixture
    def unreachable_driver(self, make_driver, closed_port):
        return make_driver(auth_url=f"http://127.0.0.1:{closed_port}/identity")

    @pytest.fixture
    def unauthorized_driver(self, make_driver):
        # Keystone answers 401 to POST /v3/auth/tokens.
        return make_driver(credentials={"username": "vertice", "password": "not-the-password"})

    @pytest.fixture
    def launch_data(self, peer):
        # Nova shows a server's user data to administrators only: read it from the peer.
        return lambda instance: peer.launch_data(instance.cloud_id)

    @pytest.fixture
    def launched_image(self, peer):
        return lambda instance: peer.cloud.servers[instance.cloud_id].image_id

    @pytest.fixture
    def boot_mark(self, peer):
        """How many reboots Nova carried out on the server."""
        return lambda instance: peer.cloud.servers[instance.cloud_id].reboots

    @pytest.fixture
    def make_unmanaged(self, peer, ours):
        """Servers made as an operator would, with openstacksdk and no vertice metadata
        (one `owner: ops` of their own); deleted after the test."""
        made: list[str] = []

        def launch():
            server = ours.conn.compute.create_server(
                name=f"by-hand-{uuid.uuid4().hex[:8]}",
                image_id=peer.cloud.images[0]["id"],
                flavor_id=peer.cloud.flavors[0]["id"],
                networks="auto",
                metadata={"owner": "ops"},
            )
            made.append(str(server.id))
            return made[-1]

        yield launch
        for cloud_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                ours.conn.compute.delete_server(cloud_id, ignore_missing=True)

    @pytest.fixture
    def suspend_mark(self, peer):
        """Whether Nova holds the server SUSPENDED (its memory kept), not merely SHUTOFF."""
        return lambda instance: peer.cloud.servers[instance.cloud_id].status == "SUSPENDED"
