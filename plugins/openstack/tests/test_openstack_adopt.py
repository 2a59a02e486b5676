"""Adoption beyond the contract: which servers `unmanaged` lists and how it pages, and what
`adopt` refuses, keeps and leaves alone (servers planted in the peer as made by hand)."""

from __future__ import annotations

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit_adopt import adoption_tags, refusal

INSTALLATION = "vti-openstack-tests"
OTHER = "vti-someone-else"


def test_unmanaged_lists_live_servers_of_no_installation_in_pages(make_driver, cloud, peer):
    driver = make_driver(page_size=2)
    by_hand = [cloud.plant(f"pet-{n}", {"owner": "ops"}) for n in range(5)]
    cloud.plant("asm-m1-1", adoption_tags(INSTALLATION, "asm-m1-1"))
    cloud.plant("asm-t1-1", adoption_tags(OTHER, "asm-t1-1"))
    gone = cloud.plant("pet-gone", {"owner": "ops"})
    cloud.delete(gone.id)
    cloud.when(lambda: cloud.servers[gone.id].gone)
    driver.observe()
    observed = peer.called("servers.list")

    found = driver.unmanaged()

    assert sorted(i.cloud_id for i in found) == sorted(s.id for s in by_hand)
    listed = peer.called("servers.list")[len(observed) :]
    assert len(listed) == len(observed) >= 4  # 7 live servers, 2 a page, as observe pages
    assert all(c.query["limit"] == ["2"] for c in listed)
    assert {i.key for i in found} == {""}
    assert all(i.tags == {"owner": "ops"} for i in found)
    assert all(i.state is InstanceState.RUNNING for i in found)


def test_adopt_keeps_the_servers_own_metadata_and_does_not_reboot_it(make_driver, cloud):
    driver = make_driver()
    server = cloud.plant("pet", {"owner": "ops"})
    tags = adoption_tags(INSTALLATION, "asm-a1-1")

    adopted = driver.adopt(server.id, tags)

    assert (adopted.cloud_id, adopted.key) == (server.id, "asm-a1-1")
    assert cloud.servers[server.id].metadata == {"owner": "ops", **tags}
    assert cloud.servers[server.id].reboots == 0
    assert cloud.servers[server.id].status == "ACTIVE"
    (seen,) = driver.observe()
    assert seen.cloud_id == server.id and seen.tags[TAG_KEY] == "asm-a1-1"
    assert driver.unmanaged() == []


def test_adopting_again_writes_nothing(make_driver, cloud, peer):
    driver = make_driver()
    server = cloud.plant("pet", {"owner": "ops"})
    tags = adoption_tags(INSTALLATION, "asm-a2-1")
    driver.adopt(server.id, tags)
    assert driver.adopt(server.id, tags).key == "asm-a2-1"
    assert peer.count("servers.metadata") == 1


def test_a_missing_or_deleted_server_is_not_found(make_driver, cloud):
    driver = make_driver()
    tags = adoption_tags(INSTALLATION, "asm-a3-1")
    assert refusal(lambda: driver.adopt("3d0ea4b5-0000-4000-8000-000000000000", tags)) == (
        "NotFound"
    )
    cloud.halt = 5.0
    server = cloud.plant("pet", {"owner": "ops"})
    cloud.delete(server.id)  # being deleted: task `deleting`
    assert refusal(lambda: driver.adopt(server.id, tags)) == "NotFound"
    assert driver.unmanaged() == []


def test_a_server_managed_elsewhere_is_neither_listed_nor_adopted(make_driver, cloud):
    driver = make_driver()
    theirs = cloud.plant("asm-t2-1", adoption_tags(OTHER, "asm-t2-1"))
    mine = cloud.plant("asm-a4-1", adoption_tags(INSTALLATION, "asm-a4-1"))

    assert driver.unmanaged() == []
    tags = adoption_tags(INSTALLATION, "asm-a5-1")
    assert refusal(lambda: driver.adopt(theirs.id, tags)) == "ManagedElsewhere"
    assert refusal(lambda: driver.adopt(mine.id, tags)) == "ManagedElsewhere"  # another key
    assert cloud.servers[theirs.id].metadata[TAG_INSTALLATION] == OTHER
    assert cloud.servers[mine.id].metadata[TAG_KEY] == "asm-a4-1"


def test_tags_of_another_installation_or_without_a_key_are_refused(make_driver, cloud):
    driver = make_driver()
    server = cloud.plant("pet", {"owner": "ops"})
    keyless = {TAG_INSTALLATION: INSTALLATION}
    assert (
        refusal(lambda: driver.adopt(server.id, adoption_tags(OTHER, "asm-a6-1"))) == "InvalidTags"
    )
    assert refusal(lambda: driver.adopt(server.id, keyless)) == "InvalidTags"
    assert cloud.servers[server.id].metadata == {"owner": "ops"}
