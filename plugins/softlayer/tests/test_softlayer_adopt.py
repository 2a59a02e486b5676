"""Adoption beyond the contract: which guests `unmanaged` lists and how it pages, what
`adopt` changes (the name and the tags), keeps (the guest's own tags, its system: no
boot) and refuses; and an adoption through the API and the reconciler. Guests are
made straight in the peer's account, as an operator orders them behind vertice's back."""

from __future__ import annotations

import pytest

from vertice_core import builtins
from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.errors import TransientError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit_adopt import adoption_tags, refusal

INSTALLATION = "vti-softlayer-tests"
OTHER = "vti-someone-else"
DOMAIN = "vertice.internal"
OURS = f"{INSTALLATION}.{DOMAIN}"
POWER = ("powerOn", "powerOff", "powerOffSoft", "pause", "resume", "rebootSoft",
         "rebootDefault", "rebootHard", "deleteObject")  # fmt: skip


def test_unmanaged_lists_live_guests_of_no_installation_in_one_paged_listing(
    make_driver, account, peer, managed
):
    driver = make_driver(page_size=5)
    by_hand = [account.plant(f"pet-{n}", "example.com", ["owner:ops"]) for n in range(5)]
    by_hand.append(account.plant("pet-off", "example.com", ["owner:ops"], power="HALTED"))
    older = account.plant("legacy-1", "example.com", [f"{TAG_KEY}:left-by-vertice-1.5"])
    parent = account.plant("asm-x-1", DOMAIN)  # the parent domain is no installation's
    account.plant("asm-m1-1", OURS, managed(INSTALLATION, "asm-m1", "asm-m1-1"))
    account.plant("asm-m2-1", OURS)  # ours by its name: ordered, `setTags` not run yet
    account.plant("asm-t1-1", f"{OTHER}.{DOMAIN}", managed(OTHER, "asm-t1", "asm-t1-1"))
    account.plant("asm-t2-1", f"{OTHER}.{DOMAIN}")  # theirs by its name
    account.plant("moved-1", "example.com", managed(OTHER, "asm-t3", "asm-t3-1"))  # theirs
    account.reclaim_steps = 5
    reclaiming = account.plant("pet-cancelled", "example.com", ["owner:ops"])
    account.cancel(reclaiming.id)
    gone = account.plant("pet-gone", "example.com", ["owner:ops"])
    gone.gone = True
    before = peer.count("getVirtualGuests")

    found = driver.unmanaged()

    expected = [*by_hand, older, parent]
    assert sorted(int(i.cloud_id) for i in found) == sorted(g.id for g in expected)
    listings = peer.calls("getVirtualGuests")[before:]
    assert len(listings) == 3  # 14 listed guests, 5 a page: one paged listing
    assert [c.offset or 0 for c in listings] == [0, 5, 10]
    for listing in listings:
        assert "domain" not in (listing.filter or {}).get("virtualGuests", {})  # all guests
        assert "tagReferences" in listing.mask and listing.limit == 5
    assert {i.key for i in found} == {""}
    shown = {int(i.cloud_id): i for i in found}
    assert all(shown[g.id].tags == {"owner": "ops"} for g in by_hand)
    assert shown[older.id].tags == {TAG_KEY: "left-by-vertice-1.5"}  # no installation
    assert shown[by_hand[-1].id].state is InstanceState.STOPPED
    assert shown[by_hand[0].id].public_ipv4 == by_hand[0].public_ip != ""


def test_adopt_tags_and_renames_the_guest_keeping_its_tags_and_its_system(
    make_driver, account, peer
):
    driver = make_driver()
    guest = account.plant("billing-db", "example.com", ["owner:ops", "backup"])
    addresses = (guest.public_ip, guest.private_ip)
    tags = adoption_tags(INSTALLATION, "asm-a1-1")

    adopted = driver.adopt(str(guest.id), tags)

    assert (adopted.cloud_id, adopted.key) == (str(guest.id), "asm-a1-1")
    assert adopted.state is InstanceState.RUNNING
    assert (guest.hostname, guest.domain) == ("asm-a1-1", OURS)  # what changes: the name
    assert guest.tags[:3] == ["owner:ops", "backup", "vertice-adopted-from:billing-db.example.com"]
    assert set(guest.tags[3:]) == {f"{name}:{value}" for name, value in tags.items()}
    assert (guest.power, guest.transaction, guest.boots, guest.reboots) == ("RUNNING", "", 1, 0)
    assert (guest.public_ip, guest.private_ip) == addresses
    assert [c.args[0] for c in peer.calls("editObject")] == [
        {"hostname": "asm-a1-1", "domain": OURS}
    ]
    assert all(peer.count(method) == 0 for method in POWER)
    (seen,) = driver.observe()
    assert (seen.cloud_id, seen.key) == (str(guest.id), "asm-a1-1")
    assert {name: seen.tags[name] for name in tags} == tags
    assert driver.unmanaged() == []


def test_adopting_again_writes_nothing(make_driver, account, peer):
    driver = make_driver()
    guest = account.plant("pet", "example.com", ["owner:ops"])
    tags = adoption_tags(INSTALLATION, "asm-a2-1")
    driver.adopt(str(guest.id), tags)
    looks = peer.count("getObject")
    assert driver.adopt(str(guest.id), tags).key == "asm-a2-1"
    assert (peer.count("setTags"), peer.count("editObject"), peer.count("getObject")) == (
        1,
        1,
        looks + 1,
    )


def test_a_rename_that_failed_is_finished_by_the_next_adopt(make_driver, account, peer):
    driver = make_driver()
    guest = account.plant("pet", "example.com", ["owner:ops"])
    tags = adoption_tags(INSTALLATION, "asm-a3-1")
    peer.fail("editObject", code="SoftLayer_Exception_Public", message="Internal Error", times=1)
    with pytest.raises(TransientError):
        driver.adopt(str(guest.id), tags)
    # Tagged (no other installation takes it now, `unmanaged` leaves it out) but not renamed.
    assert (guest.hostname, guest.domain) == ("pet", "example.com")
    assert driver.unmanaged() == [] and driver.observe() == []

    assert driver.adopt(str(guest.id), tags).key == "asm-a3-1"
    assert (guest.hostname, guest.domain) == ("asm-a3-1", OURS)
    assert peer.count("setTags") == 1  # the tags were there already
    assert guest.tags.count("vertice-adopted-from:pet.example.com") == 1
    assert [i.key for i in driver.observe()] == ["asm-a3-1"]


def test_a_guest_that_is_not_there_is_not_found(make_driver, account, peer):
    driver = make_driver()
    tags = adoption_tags(INSTALLATION, "asm-a4-1")
    assert refusal(lambda: driver.adopt("4242", tags)) == "NotFound"
    assert refusal(lambda: driver.adopt("not-a-guest-id", tags)) == "NotFound"
    account.reclaim_steps = 5
    cancelled = account.plant("pet-cancelled", "example.com", ["owner:ops"])
    account.cancel(cancelled.id)
    assert refusal(lambda: driver.adopt(str(cancelled.id), tags)) == "NotFound"
    gone = account.plant("pet-gone", "example.com", ["owner:ops"])
    gone.gone = True
    assert refusal(lambda: driver.adopt(str(gone.id), tags)) == "NotFound"
    # Gone between the look and the write: SoftLayer_Exception_ObjectNotFound.
    pet = account.plant("pet", "example.com", ["owner:ops"])
    message = f"Unable to find object with id of '{pet.id}'."
    peer.fail("setTags", code="SoftLayer_Exception_ObjectNotFound", message=message)
    assert refusal(lambda: driver.adopt(str(pet.id), tags)) == "NotFound"
    assert peer.count("editObject") == 0
    assert (pet.hostname, pet.tags) == ("pet", ["owner:ops"])


def test_a_guest_an_installation_holds_is_refused_and_left_as_it_is(
    make_driver, account, peer, managed
):
    driver = make_driver()
    theirs = account.plant("asm-t1-1", f"{OTHER}.{DOMAIN}", managed(OTHER, "asm-t1", "asm-t1-1"))
    named = account.plant("asm-t2-1", f"{OTHER}.{DOMAIN}")  # theirs by name, untagged
    moved = account.plant("moved", "example.com", managed(OTHER, "asm-t3", "asm-t3-1"))
    mine = account.plant("asm-m1-1", OURS, managed(INSTALLATION, "asm-m1", "asm-m1-1"))
    untagged = account.plant("asm-m2-1", OURS)  # ours by name, under key asm-m2-1
    before = {g.id: (g.hostname, g.domain, list(g.tags)) for g in account.guests.values()}

    tags = adoption_tags(INSTALLATION, "asm-a5-1")
    for guest in (theirs, named, moved, mine, untagged):
        assert refusal(lambda g=guest: driver.adopt(str(g.id), tags)) == "ManagedElsewhere"
    assert (peer.count("setTags"), peer.count("editObject")) == (0, 0)
    assert {g.id: (g.hostname, g.domain, g.tags) for g in account.guests.values()} == before
    # This installation's own guest under its own key is adopted already: a success.
    assert driver.adopt(str(mine.id), adoption_tags(INSTALLATION, "asm-m1-1")).key == "asm-m1-1"


def test_tags_that_would_not_make_it_this_installations_are_refused(make_driver, account, peer):
    driver = make_driver()
    guest = account.plant("pet", "example.com", ["owner:ops"])
    keyless = {TAG_INSTALLATION: INSTALLATION}
    assert refusal(lambda: driver.adopt(str(guest.id), adoption_tags(OTHER, "asm-a6-1"))) == (
        "InvalidTags"
    )
    assert refusal(lambda: driver.adopt(str(guest.id), keyless)) == "InvalidTags"
    assert (peer.count("setTags"), guest.tags) == (0, ["owner:ops"])


def test_an_installation_whose_tags_another_overwrote_at_once_is_refused(
    make_driver, account, monkeypatch, managed
):
    driver = make_driver()
    guest = account.plant("pet", "example.com", ["owner:ops"])
    ours = driver.client.call

    def racing(service, method, *args, **kwargs):
        """Our call, then another installation's `setTags` in the same instant."""
        reply = ours(service, method, *args, **kwargs)
        if method == "setTags":
            account.set_tags(guest.id, ",".join(managed(OTHER, "asm-t9", "asm-t9-1")))
        return reply

    monkeypatch.setattr(driver.client, "call", racing)
    tags = adoption_tags(INSTALLATION, "asm-a7-1")
    assert refusal(lambda: driver.adopt(str(guest.id), tags)) == "ManagedElsewhere"


# -- end to end: the API, the reconciler, the driver and the peer --


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_guest_ordered_by_hand_is_adopted_without_a_restart(
    ctx, admin, softlayer_region, make_reconciler, converge, peer, account
):
    """An administrator declares an assembly adopting a guest an operator ordered; the
    reconciler tags and renames it once (`setTags`, `editObject`: it is neither powered
    off, rebooted nor replaced), keeps its own tags, and manages it from then on (a stop
    reaches it)."""
    softlayer_region()
    guest = account.plant("legacy-web", "example.com", ["owner:ops"])
    declared = admin.declare("legacy", region="sl-test", adopt={"cloud_id": str(guest.id)})
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(uri)["phase"] == "RUNNING")

    (shown,) = admin.status(uri)["instances"]
    assert shown["cloud_id"] == str(guest.id)
    installation = builtins.installation_id(ctx.store)
    assert (guest.hostname, guest.domain) == (shown["key"], f"{installation}.{DOMAIN}")
    assert {"owner:ops", f"vertice-assembly:{declared.json['id']}"} <= set(guest.tags)
    assert f"{TAG_KEY}:{shown['key']}" in guest.tags
    assert (guest.power, guest.boots, guest.reboots) == ("RUNNING", 1, 0)  # not restarted
    for _ in range(3):
        reconciler.run_pass()
    calls = reconciler.metrics.calls
    counts = (calls("softlayer", "adopt"), calls("softlayer", "create"), peer.count("createObject"))
    assert counts == (1, 0, 0)
    assert (peer.count("setTags"), peer.count("editObject")) == (1, 1)
    assert all(peer.count(method) == 0 for method in POWER)

    admin.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: admin.status(uri)["phase"] == "STOPPED")
    assert guest.power == "HALTED" and peer.count("powerOffSoft") == 1
