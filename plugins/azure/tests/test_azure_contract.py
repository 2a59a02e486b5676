"""The Azure driver passes the driver contract (vertice_drivers.testkit) against the Azure peer.

The peer's VM documents follow the recorded VM GET and PUT replies of
`fixtures/azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`
(interactions 11 and 14), its instance views the recorded
`fixtures/azure_arm/..._test_node_1_InstanceView.json`, its network interfaces
the recorded `..._networkInterfaces_test_node_1_nic.json`, and its tokens the
recorded `_77777777_..._oauth2_token.json`.
"""

from __future__ import annotations

import pytest

from azure_arm_peer.account import SECRET
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
