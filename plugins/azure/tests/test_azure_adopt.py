"""Adoption beyond the contract: what `unmanaged` lists and how it pages, what `adopt` keeps,
leaves alone and refuses, and how it meets a VM changed between its read and its write
(the peer's VMs made by hand with `by_hand`, its call log and its ETags)."""

from __future__ import annotations

from azure_arm_peer.account import GROUP, by_hand
from vertice_core.driver import TAG_ASSEMBLY, TAG_INSTALLATION, TAG_KEY
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import default_spec, unique_key
from vertice_drivers.testkit_adopt import refusal

UPDATE = "virtualMachines.update"
#: What adopting must never call: nothing is created, started, stopped or restarted.
NEVER = (
    "virtualMachines.createOrUpdate",
    "virtualMachines.start",
    "virtualMachines.restart",
    "virtualMachines.deallocate",
    "virtualMachines.powerOff",
)


def adoption_tags(driver, key=None):
    """What the reconciler gives `adopt`: the tags `create` puts on a VM of `driver`'s."""
    return dict(default_spec(driver.region.installation_id, key or unique_key("ad")).tags)


def tags_on(azure, name):
    return dict(azure.vm(GROUP, name).doc["tags"])


def arm_calls(azure):
    """The ARM calls so far, in order (token requests left out)."""
    return [action for action, _, _, _ in azure.calls if action != "token"]


def after_first_read(monkeypatch, driver, change):
    """Run `change()` behind the driver's back right after its first read of a VM."""
    read, reads = driver.get, []

    def racing(name):
        found = read(name)
        reads.append(name)
        if len(reads) == 1:
            change()
        return found

    monkeypatch.setattr(driver, "get", racing)
    return reads


def test_unmanaged_lists_live_vms_of_no_installation_in_pages(azure, make_driver):
    driver = make_driver()
    hand_made = [by_hand(azure, f"by-hand-{n}") for n in range(3)]
    with azure.lock:  # someone deallocated one in the portal: stopped, still listed
        azure.arm.vms[(GROUP.lower(), hand_made[0])].power = "deallocated"
    # Left by vertice 1.5: a key of its own, no installation.
    older = by_hand(azure, "left-by-1-5", **{TAG_KEY: "asm-old-1", TAG_ASSEMBLY: "asm-old"})
    azure.arm.halt = 30.0
    going = by_hand(azure, "being-deleted")
    with azure.lock:
        azure.arm.act(GROUP, going, "delete")
    driver.create(default_spec("vti-azure-tests", unique_key("ad")))
    theirs = make_driver(installation="vti-someone-else")
    theirs.create(default_spec("vti-someone-else", unique_key("ad")))
    azure.calls.clear()

    found = driver.unmanaged()
    assert sorted(i.cloud_id for i in found) == sorted([*hand_made, older])
    # 7 VMs, pages of 2: the group's listing follows its nextLink; no call names a VM.
    assert azure.count("virtualMachines.list") == 4
    assert not any(azure.count(f"virtualMachines.{one}") for one in ("get", "instanceView"))
    assert {i.key for i in found} == {""}
    assert all(i.tags["owner"] == "ops" and TAG_INSTALLATION not in i.tags for i in found)
    assert [i.tags[TAG_KEY] for i in found if i.cloud_id == older] == ["asm-old-1"]
    states = {i.cloud_id: i.state for i in found}
    assert states[hand_made[0]] is InstanceState.STOPPED
    assert states[hand_made[1]] is InstanceState.RUNNING
    assert all(i.private_ipv4 for i in found)  # listed as observed: with addresses


def test_nothing_unmanaged_is_one_listing(azure, make_driver):
    driver = make_driver()
    driver.create(default_spec("vti-azure-tests", unique_key("ad")))
    azure.calls.clear()
    assert driver.unmanaged() == []
    assert arm_calls(azure) == ["virtualMachines.list"]


def test_an_adopted_vm_keeps_its_own_tags_and_state_and_is_not_restarted(azure, make_driver):
    driver = make_driver()
    name = by_hand(azure, "billing-db", Name="billing-db", CostCenter="42")
    with azure.lock:  # stopped: adopting does not start it either
        azure.arm.vms[(GROUP.lower(), name)].power = "deallocated"
    vm = azure.vm(GROUP, name)
    before = (vm.doc["properties"]["vmId"], vm.boots, vm.restarts, vm.doc["etag"])
    tags = adoption_tags(driver)

    adopted = driver.adopt(name, tags)
    assert (adopted.cloud_id, adopted.key, adopted.state) == (
        name,
        tags[TAG_KEY],
        InstanceState.STOPPED,
    )
    assert adopted.tags == {"owner": "ops", "Name": "billing-db", "CostCenter": "42", **tags}
    assert tags_on(azure, name) == adopted.tags
    after = azure.vm(GROUP, name)
    assert (after.doc["properties"]["vmId"], after.boots, after.restarts) == before[:3]
    assert after.power == "deallocated"
    assert after.doc["etag"] != before[3]  # its model changed: its tags
    assert azure.count(UPDATE) == 1
    assert not any(azure.count(action) for action in NEVER)
    (observed,) = [i for i in driver.observe() if i.cloud_id == name]
    assert (observed.key, observed.state) == (tags[TAG_KEY], InstanceState.STOPPED)
    assert observed.tags["owner"] == "ops"
    assert driver.unmanaged() == []


def test_adopting_again_with_the_same_tags_is_one_look(azure, make_driver):
    driver = make_driver()
    name = by_hand(azure, "again-1")
    tags = adoption_tags(driver)
    driver.adopt(name, tags)
    azure.calls.clear()
    again = driver.adopt(name, tags)
    assert (again.cloud_id, again.key, again.state) == (name, tags[TAG_KEY], InstanceState.RUNNING)
    assert arm_calls(azure) == ["virtualMachines.get"]


def test_a_vm_an_installation_manages_is_refused_and_left_as_it_is(azure, make_driver):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    name = by_hand(azure, "theirs-1")
    their_tags = adoption_tags(theirs)
    theirs.adopt(name, their_tags)
    etag = azure.vm(GROUP, name).doc["etag"]
    assert refusal(lambda: ours.adopt(name, adoption_tags(ours))) == "ManagedElsewhere"
    # This installation's own VM, under another key, is not taken over either.
    assert refusal(lambda: theirs.adopt(name, adoption_tags(theirs))) == "ManagedElsewhere"
    assert tags_on(azure, name) == {"owner": "ops", **their_tags}
    assert azure.vm(GROUP, name).doc["etag"] == etag
    assert azure.count(UPDATE) == 1

    # ARM's tag names are case-insensitive: an installation's tag in another case is one.
    shouted = by_hand(azure, "theirs-2", **{"Vertice-Installation": "vti-x", "VERTICE-KEY": "k"})
    assert refusal(lambda: ours.adopt(shouted, adoption_tags(ours))) == "ManagedElsewhere"
    assert all(i.cloud_id != shouted for i in ours.unmanaged())
    assert azure.count(UPDATE) == 1


def test_a_vm_that_is_not_there_is_not_found(azure, make_driver):
    driver = make_driver()
    tags = adoption_tags(driver)
    assert refusal(lambda: driver.adopt("no-such-vm", tags)) == "NotFound"
    azure.arm.halt = 30.0
    going = by_hand(azure, "going-1")
    with azure.lock:
        azure.arm.act(GROUP, going, "delete")
    assert refusal(lambda: driver.adopt(going, tags)) == "NotFound"
    assert TAG_KEY not in tags_on(azure, going)
    assert azure.count(UPDATE) == 0


def test_tags_that_would_not_make_it_this_installations_or_not_fit_are_refused(azure, make_driver):
    driver = make_driver()
    name = by_hand(azure, "refused-1")
    elsewhere = {**adoption_tags(driver), TAG_INSTALLATION: "vti-someone-else"}
    keyless = {k: v for k, v in adoption_tags(driver).items() if k != TAG_KEY}
    too_long = {**adoption_tags(driver), "vertice-project": "p" * 257}
    for tags in (elsewhere, keyless, too_long):
        assert refusal(lambda tags=tags: driver.adopt(name, tags)) == "InvalidTags"
    # Azure allows 50 tags a VM: 47 of its own and 4 of vertice's would not fit.
    crowded = by_hand(azure, "crowded-1", **{f"t{n}": "x" for n in range(46)})
    assert refusal(lambda: driver.adopt(crowded, adoption_tags(driver))) == "InvalidTags"
    assert azure.count(UPDATE) == 0
    assert tags_on(azure, name) == {"owner": "ops"}


def test_an_own_tag_spelt_like_verticess_in_another_case_is_replaced_not_doubled(
    azure, make_driver
):
    driver = make_driver()
    name = by_hand(azure, "older-1", **{"Vertice-Key": "asm-older-1"})
    (listed,) = [i for i in driver.unmanaged() if i.cloud_id == name]
    assert (listed.key, listed.tags[TAG_KEY]) == ("", "asm-older-1")
    tags = adoption_tags(driver)
    driver.adopt(name, tags)
    on_vm = tags_on(azure, name)
    assert [n for n in on_vm if n.lower() == TAG_KEY] == [TAG_KEY]
    assert on_vm == {"owner": "ops", **tags}


def test_a_vm_another_installation_adopts_between_read_and_write_is_refused(
    azure, make_driver, monkeypatch
):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    name = by_hand(azure, "raced-1")
    their_tags = adoption_tags(theirs)
    reads = after_first_read(monkeypatch, ours, lambda: theirs.adopt(name, their_tags))
    assert refusal(lambda: ours.adopt(name, adoption_tags(ours))) == "ManagedElsewhere"
    # Our PATCH carried the ETag we read: ARM refused it (412), the VM was read again.
    assert (len(reads), azure.count(UPDATE)) == (2, 2)
    assert tags_on(azure, name) == {"owner": "ops", **their_tags}


def test_tags_an_operator_adds_between_read_and_write_are_kept(azure, make_driver, monkeypatch):
    driver = make_driver()
    name = by_hand(azure, "busy-1")

    def operator():
        with azure.lock:  # a PATCH of the VM's tags from the portal
            azure.arm.patch(GROUP, name, {"tags": {"owner": "ops", "team": "web"}})

    reads = after_first_read(monkeypatch, driver, operator)
    tags = adoption_tags(driver)
    adopted = driver.adopt(name, tags)
    assert (len(reads), azure.count(UPDATE)) == (2, 2)  # refused once on the ETag, then sent
    assert tags_on(azure, name) == adopted.tags == {"owner": "ops", "team": "web", **tags}


def test_a_vm_deleted_between_read_and_write_is_not_found(azure, make_driver, monkeypatch):
    driver = make_driver()
    name = by_hand(azure, "vanishing-1")

    def delete():
        with azure.lock:
            azure.arm.vms.pop((GROUP.lower(), name))

    after_first_read(monkeypatch, driver, delete)
    assert refusal(lambda: driver.adopt(name, adoption_tags(driver))) == "NotFound"


def test_without_etags_the_vm_is_read_again_and_a_racing_installation_is_refused(
    azure, make_driver, monkeypatch
):
    azure.arm.etags = False  # an older Resource Manager: no ETag on VMs
    driver = make_driver()
    plain = by_hand(azure, "no-etag-1")
    tags = adoption_tags(driver)
    assert driver.adopt(plain, tags).key == tags[TAG_KEY]
    assert tags_on(azure, plain) == {"owner": "ops", **tags}
    assert "etag" not in azure.vm(GROUP, plain).doc

    raced = by_hand(azure, "no-etag-2")
    update = driver.vms.begin_update

    def racing(*args, **kwargs):
        """Our tags, then another installation's in the same instant."""
        assert "etag" not in kwargs  # nothing to be conditional on
        reply = update(*args, **kwargs)
        with azure.lock:
            theirs = {"owner": "ops", TAG_INSTALLATION: "vti-someone-else", TAG_KEY: "k-1"}
            azure.arm.patch(GROUP, raced, {"tags": theirs})
        return reply

    monkeypatch.setattr(driver.vms, "begin_update", racing)
    assert refusal(lambda: driver.adopt(raced, adoption_tags(driver))) == "ManagedElsewhere"
