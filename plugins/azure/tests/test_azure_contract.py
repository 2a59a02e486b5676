"""The Azure driver passes the driver contract (vertice_drivers.testkit) against the Azure peer.

The peer's VM documents follow the recorded VM GET and PUT replies of
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`
(interactions 11 and 14), its instance views the recorded
`fixtures/azure_arm/..._test_node_1_InstanceView.json`, its network interfaces
the recorded `..._networkInterfaces_test_node_1_nic.json`, and its tokens the
recorded `_77777777_..._oauth2_token.json`.

Adoption's `make_unmanaged` makes VMs in the peer directly, as an operator would by
hand (no vertice tags, `owner: ops`); `boot_mark` is the peer's count of a VM's boots
(created, started, restarted), so an adoption that restarted the VM would show.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from azure_arm_peer.account import GROUP, SECRET, by_hand
from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own.
@pytest.fixture(scope="module")
def ours(azure_server, driver_builder):
    driver = driver_builder(azure_server)
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(azure_server, driver_builder):
    driver = driver_builder(azure_server, installation="vti-someone-else")
    yield driver
    driver.close()


class TestAzureContract(DriverContract):
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
        # Nothing answers, neither Resource Manager nor the authority: connection refused.
        down = f"https://127.0.0.1:{closed_port}"
        return make_driver(endpoint=down, authority=down)

    @pytest.fixture
    def unauthorized_driver(self, make_driver):
        # A client secret the token endpoint refuses: 401 invalid_client (AADSTS7000215).
        return make_driver(secret=SECRET + "-revoked")

    @pytest.fixture
    def make_unmanaged(self, azure_server, ours):
        """VMs made in the peer behind vertice's back, running at once, with no vertice
        tags (`owner: ops`); their cloud id is their name. Deleted after the test."""
        made: list[str] = []

        def make():
            made.append(by_hand(azure_server, f"by-hand-{uuid.uuid4().hex[:8]}"))
            return made[-1]

        yield make
        for name in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                ours.delete(name)

    @pytest.fixture
    def boot_mark(self, azure_server):
        """The VM's identity and how many times it booted, as the peer holds them."""

        def mark(instance):
            vm = azure_server.vm(GROUP, instance.cloud_id)
            return None if vm is None else (vm.doc["properties"]["vmId"], vm.boots)

        return mark
