"""The peer answers in SoftLayer's shapes: its documents against the recorded replies.

The recorded `v3__SoftLayer_Virtual_Guest_getObject.xml` (a provisioned guest) and
`v3__SoftLayer_Virtual_Guest_createObject.xml` (an order's reply) name the local
properties a guest document has and their XML-RPC types; the peer's documents must
use the same names with the same types, so the driver is tested on SoftLayer's shapes.
"""

from __future__ import annotations

from softlayer_documents import mask_names
from softlayer_peer import load_recorded

LOCAL = ("id", "accountId", "hostname", "domain", "fullyQualifiedDomainName", "createDate",
         "provisionDate", "primaryIpAddress", "primaryBackendIpAddress", "maxCpu", "maxMemory",
         "statusId")  # fmt: skip


def test_a_provisioned_guest_has_the_recorded_properties_and_types(make_driver, account):
    recorded = load_recorded("v3__SoftLayer_Virtual_Guest_getObject.xml")
    planted = account.plant("asm-shape-1", "vti-softlayer-tests.vertice.internal")
    # Over the wire, without a mask: every property, as XML-RPC carries it.
    ours = make_driver().client.call("Virtual_Guest", "getObject", id=planted.id)
    for name in LOCAL:
        assert type(ours[name]) is type(recorded[name]), name
    assert ours["powerState"].keys() == recorded["powerState"].keys()


def test_an_order_reply_has_the_recorded_properties(make_driver, peer):
    recorded = load_recorded("v3__SoftLayer_Virtual_Guest_createObject.xml")
    driver = make_driver()
    from vertice_drivers.testkit import default_spec

    driver.create(default_spec("vti-softlayer-tests", "asm-order-1"))
    # What the peer replied to createObject, read back through the same document code.
    (guest,) = peer.account.by_hostname("asm-order-1")
    reply = guest.document(None)
    common = set(recorded) & set(reply)
    assert {"id", "hostname", "domain", "powerState", "maxMemory", "statusId"} <= common
    assert recorded["powerState"]["keyName"] == "HALTED"  # ordered, not yet provisioned


def test_masks_limit_documents_to_their_top_level_properties():
    assert mask_names("mask[id,powerState[keyName,name],activeTransaction[id,"
                      "transactionStatus[name]],tagReferences[tag[name]]]") == {
        "id", "powerState", "activeTransaction", "tagReferences"
    }  # fmt: skip
    assert mask_names("") is None
