"""The OpenNebula driver passes the driver contract (vertice_drivers.testkit) against the peer.

The peer answers as oned does (see `one_peer.py`); its VM documents follow
`one_xsd/vm.xsd` and the recorded `python_oca_fixtures/vm.xml`.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest
from one_cloud import SUSPENDED

from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own.
@pytest.fixture(scope="module")
def ours(one_server, settings_json, driver_builder):
    driver = driver_builder(one_server.url, settings_json())
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(one_server, settings_json, driver_builder):
    driver = driver_builder(one_server.url, settings_json(), installation="vti-someone-else")
    yield driver
    driver.close()


class TestOpenNebulaContract(DriverContract):
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
        return make_driver(endpoint=f"http://127.0.0.1:{closed_port}/RPC2")

    @pytest.fixture
    def unauthorized_driver(self, make_driver):
        # oned answers AUTHENTICATION (0x100) to a wrong password.
        return make_driver(credentials={"user": "oneadmin", "password": "wrong"})

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: driver.launch_data(instance.cloud_id)

    @pytest.fixture
    def boot_mark(self, cloud):
        """How many reboots oned carried out on the VM (soft or hard)."""
        return lambda instance: cloud.vms[int(instance.cloud_id)].reboots

    @pytest.fixture
    def make_unmanaged(self, oneadmin):
        """VMs allocated as an operator would (`onevm create`), with no vertice attributes
        and one of their own, `OWNER=ops`; terminated after the test."""
        made: list[int] = []

        def allocate():
            template = {"NAME": f"by-hand-{uuid.uuid4().hex[:8]}", "CPU": "1", "MEMORY": "512"}
            template |= {"NIC": {"NETWORK_ID": "0"}, "OWNER": "ops"}
            made.append(oneadmin.vm.allocate({"TEMPLATE": template}, False))
            return str(made[-1])

        yield allocate
        for vm_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                oneadmin.vm.action("terminate-hard", vm_id)

    @pytest.fixture
    def launched_image(self, cloud):
        """The image oned gave the VM its (first) disk from."""
        return lambda instance: cloud.vms[int(instance.cloud_id)].template["DISK"][0]["IMAGE_ID"]

    @pytest.fixture
    def suspend_mark(self, cloud):
        """Whether oned holds the VM SUSPENDED (its memory saved), not merely powered off."""
        return lambda instance: cloud.vms[int(instance.cloud_id)].state == SUSPENDED


class TestOpenNebulaContractOnSqlite(TestOpenNebulaContract):
    """The contract again on oned 6.10+ with its default SQLite backend: no search filter."""

    @pytest.fixture
    def driver(self, peer, make_driver):
        peer.backend = "sqlite"
        return make_driver()

    @pytest.fixture
    def foreign_driver(self, peer, make_driver):
        return make_driver(installation="vti-someone-else")
