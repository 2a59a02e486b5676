"""The SoftLayer driver passes the driver contract (vertice_drivers.testkit) against the peer.

The peer is the SDK's own XML-RPC fixture server with a guest account behind it
(`softlayer_peer.py`): its guest documents follow the recorded
`v3_SoftLayer_Account_getVirtualGuests.xml` and `v3__SoftLayer_Virtual_Guest_getObject.xml`,
its order reply `v3__SoftLayer_Virtual_Guest_createObject.xml`; flavors and images
come from the SDK's own `getCreateObjectOptions` and `getPrivateBlockDeviceTemplateGroups`
fixtures.
"""

from __future__ import annotations

import pytest

from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own.
@pytest.fixture(scope="module")
def ours(softlayer_server, settings_json, driver_builder):
    driver = driver_builder(softlayer_server.url, settings_json())
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(softlayer_server, settings_json, driver_builder):
    driver = driver_builder(softlayer_server.url, settings_json(), installation="vti-someone-else")
    yield driver
    driver.close()


class TestSoftLayerContract(DriverContract):
    settle_timeout = 10.0
    settle_interval = 0.01

    @pytest.fixture
    def driver(self, peer, ours):
        return ours

    @pytest.fixture
    def foreign_driver(self, theirs):
        return theirs

    @pytest.fixture
    def unreachable_driver(self, make_driver, closed_port):
        return make_driver(endpoint=f"http://127.0.0.1:{closed_port}")

    @pytest.fixture
    def unauthorized_driver(self, make_driver):
        # SoftLayer answers SoftLayer_Exception_InvalidLegacyToken ("Invalid API token.").
        return make_driver(credentials={"username": "vertice", "api_key": "not-the-key"})

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: driver.launch_data(instance.cloud_id)

    @pytest.fixture
    def boot_mark(self, account):
        """How many times the guest's system booted (provisioning, power-ons, reboots)."""
        return lambda instance: account.guests[int(instance.cloud_id)].boots
