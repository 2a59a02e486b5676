"""The driver's verbs beyond the contract: idempotency, paging, requests, recorded replies.

Recorded replies come from `fixtures/` beside this file (see SOURCES.md
there); the peer serves them verbatim in place of its own answer, so the SDK
parses exactly what SoftLayer once sent.
"""

from __future__ import annotations

import pytest

from vertice_core.errors import TerminalError, TransientError, UnavailableError
from vertice_core.model.status import InstanceState
from vertice_driver_softlayer.states import state_of
from vertice_drivers.testkit import TEST_PASSWORD, default_spec, unique_key

INSTALLATION = "vti-softlayer-tests"
OURS = f"{INSTALLATION}.vertice.internal"


def spec(**changes):
    return default_spec(INSTALLATION, unique_key("asm"), **changes)


def test_a_second_create_finds_the_first_guest_by_its_key(make_driver, peer, account):
    driver = make_driver()
    wanted = spec()
    first = driver.create(wanted)
    again = make_driver().create(wanted)  # another driver: nothing shared but the cloud
    assert again.cloud_id == first.cloud_id
    assert peer.count("createObject") == 1  # no second order
    lookups = [c for c in peer.calls("getVirtualGuests") if "hostname" in c.filter["virtualGuests"]]
    assert len(lookups) == 2  # each create looked for the key's guest first
    for lookup in lookups:
        assert lookup.filter["virtualGuests"]["hostname"] == {"operation": wanted.key}
    assert lookup.filter["virtualGuests"]["domain"] == {"operation": OURS}
    (guest,) = account.by_hostname(wanted.key)
    assert guest.domain == OURS

    driver.delete(first.cloud_id)  # a guest being reclaimed is not the key's guest any more
    assert driver.live_by_key(wanted.key) is None
    assert driver.create(wanted).cloud_id != first.cloud_id
    assert peer.count("createObject") == 2


def test_an_untagged_order_is_found_by_its_name_and_tagged(make_driver, peer, account):
    driver = make_driver()
    wanted = spec()
    peer.fail("setTags", code="SoftLayer_Exception_Public", message="Internal Error", times=1)
    with pytest.raises(TransientError):
        driver.create(wanted)  # ordered, not tagged (as if vertice had stopped in between)
    (seen,) = driver.observe()
    assert (seen.key, seen.assembly_id) == (wanted.key, wanted.assembly_id)
    assert driver.create(wanted).cloud_id == seen.cloud_id
    assert peer.count("createObject") == 1
    (guest,) = account.by_hostname(wanted.key)
    assert f"vertice-key:{wanted.key}" in guest.tags and "vertice-project:prj-testkit" in guest.tags


def test_observe_reads_every_page_of_one_filtered_listing(make_driver, peer):
    driver = make_driver(page_size=2)
    keys = {driver.create(spec()).key for _ in range(5)}
    before = peer.count("getVirtualGuests")
    assert {i.key for i in driver.observe()} == keys
    pages = peer.calls("getVirtualGuests")[before:]
    assert [(c.limit, c.offset) for c in pages] == [(2, 0), (2, 2), (2, 4)]  # 2 + 2 + 1
    for page in pages:
        assert page.filter["virtualGuests"]["domain"] == {"operation": OURS}
        assert "tagReferences" in page.mask and "powerState" in page.mask


def test_the_order_carries_the_spec(make_driver, peer):
    driver = make_driver(
        flavors={"large": {"cpus": 4, "memory": 8192, "disks": [100, 250]}},
        public_vlan_id=1234, private_vlan_id=5678, nic_speed=1000, ssh_key_ids=[42],
        hourly=False, images={"1_virtualmachine_ubuntu": "0BF2FA64-D5A7-4F3D-9C37-1CB3F0B5E4D1"},
    )  # fmt: skip
    driver.create(spec(root_password=TEST_PASSWORD, metrics_port=9100, size=_size("large")))
    (order,) = [c.args[0] for c in peer.calls("createObject")]
    assert (order["startCpus"], order["maxMemory"]) == (4, 8192)
    assert order["blockDevices"] == [
        {"device": "0", "diskImage": {"capacity": 100}},
        {"device": "2", "diskImage": {"capacity": 250}},  # device 1 is the swap disk
    ]
    assert order["blockDeviceTemplateGroup"] == {
        "globalIdentifier": "0BF2FA64-D5A7-4F3D-9C37-1CB3F0B5E4D1"
    }
    assert order["primaryNetworkComponent"] == {"networkVlan": {"id": 1234}}
    assert order["primaryBackendNetworkComponent"] == {"networkVlan": {"id": 5678}}
    assert order["networkComponents"] == [{"maxSpeed": 1000}]
    assert order["sshKeys"] == [{"id": 42}]
    assert order["hourlyBillingFlag"] is False and order["localDiskFlag"] is True
    data = order["userData"][0]["value"]
    assert TEST_PASSWORD in data and ":9100" in data  # root password and node_exporter


def _size(name):
    from vertice_core.driver import SizeSpec

    return SizeSpec(name, 4, 8192, 100)


def test_verbs_on_a_missing_guest(make_driver):
    driver = make_driver()
    driver.delete("24999999")  # SoftLayer_Exception_ObjectNotFound: already gone, a success
    for verb in (driver.start, driver.stop):
        with pytest.raises(TransientError) as caught:
            verb("24999999")
        assert caught.value.reason == "InstanceNotFound"
    with pytest.raises(TerminalError):
        driver.delete("not-a-guest-id")


def test_power_verbs_follow_the_guest_and_the_modes(make_driver, peer, account):
    driver = make_driver(stop_mode="hard", reboot_mode="default")
    guest = account.plant("asm-power-1", OURS, power="PAUSED")
    driver.stop(str(guest.id))  # paused: nothing to do
    driver.start(str(guest.id))
    assert [c.method for c in peer.transport.calls if c.identifier == guest.id][-1] == "resume"
    driver.observe()  # one step of time: the resume finishes
    driver.stop(str(guest.id))
    assert peer.count("powerOff") == 1 and peer.count("powerOffSoft") == 0
    driver.observe()
    driver.reboot(str(guest.id))  # a halted guest: rebootDefault starts it again
    assert peer.count("rebootDefault") == 1


def test_a_recorded_listing_is_understood_and_foreign_guests_dropped(make_driver, peer):
    peer.serve_recorded(
        "SoftLayer_Account", "getVirtualGuests", "v3_SoftLayer_Account_getVirtualGuests.xml"
    )
    driver = make_driver()
    guests = driver.guests()
    assert [(g["hostname"], state_of(g)) for g in guests] == [
        ("libcloud-testing1", InstanceState.RUNNING),
        ("libcloud-testing2", InstanceState.PENDING),  # powerState INITIATING
        ("libcloud-testing", InstanceState.RUNNING),
    ]
    assert (guests[0]["primaryIpAddress"], guests[0]["primaryBackendIpAddress"]) == (
        "50.23.95.202",
        "10.55.43.130",
    )
    # An endpoint that ignores the domain filter: guests of example.com are not vertice's.
    assert driver.observe() == []
    # ... and that ignores resultLimit: the same page again ends the listing.
    assert len(make_driver(page_size=2).guests()) == 3


def test_a_recorded_order_reply_gives_the_pending_guest(make_driver, peer):
    peer.serve_recorded(
        "SoftLayer_Virtual_Guest", "createObject", "v3__SoftLayer_Virtual_Guest_createObject.xml"
    )
    peer.serve_sdk_fixture("SoftLayer_Virtual_Guest", "setTags")  # the SDK's fixture: True
    wanted = spec()
    created = make_driver().create(wanted)
    assert (created.cloud_id, created.state) == ("123456", InstanceState.PENDING)
    assert created.key == wanted.key and created.tags == wanted.tags
    (tagging,) = peer.calls("setTags")
    assert tagging.identifier == 123456 and f"vertice-key:{wanted.key}" in tagging.args[0]


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [("fail.xml", "SoftLayerError"), ("SoftLayer_Account.xml", "SoftLayerError")],
)
def test_recorded_faults_of_unknown_codes_are_retried_with_their_code_shown(
    make_driver, peer, recorded, reason
):
    peer.serve_recorded("SoftLayer_Account", "getVirtualGuests", recorded)
    with pytest.raises(TransientError) as caught:
        make_driver().observe()
    assert caught.value.reason == reason
    assert "Failed Call" in caught.value.message


def test_a_recorded_create_options_reply_gives_sizes_and_images(make_driver, peer):
    peer.serve_recorded(
        "SoftLayer_Virtual_Guest",
        "getCreateObjectOptions",
        "v3__SoftLayer_Virtual_Guest_getCreateObjectOptions.xml",
    )
    driver = make_driver()
    flavors = {f.name: f for f in driver.flavors()}
    assert flavors["small"].cpu == 1 and flavors["small"].ram == 2048  # the B1_1X2X25 preset
    assert (flavors["2x4096"].cpu, flavors["2x4096"].ram) == (2, 4096)  # a processor x memory
    images = {i.id: i for i in driver.images()}
    assert images["UBUNTU_22_64"].name == "1_virtualmachine_ubuntu"  # mapped
    assert "CENTOS_6_64" in images and "Minimal" in images["CENTOS_6_64"].description
    assert images["E6DBD73B-1651-4B28-BCBA-A11DF7C9D79E"].name == "test_image"  # SDK fixture


def test_a_region_without_a_datacenter_or_with_a_bad_endpoint_cannot_start(make_driver):
    with pytest.raises(UnavailableError, match="datacenter"):
        make_driver(provider_region="")
    with pytest.raises(UnavailableError, match="XML-RPC"):
        make_driver(endpoint="https://api.softlayer.com/rest/v3.1/")
    assert make_driver(provider_region="", datacenter="fra02").datacenter == "fra02"


def test_a_first_create_orders_without_looking_the_key_up(make_driver, peer, account):
    """Issue 18: the key is looked up only when an earlier attempt may have created it."""
    import attrs

    made = make_driver().create(attrs.evolve(spec(), maybe_created=False))
    assert peer.count("createObject") == 1
    lookups = [c for c in peer.calls("getVirtualGuests") if "hostname" in c.filter["virtualGuests"]]
    assert lookups == []
    assert made.cloud_id
