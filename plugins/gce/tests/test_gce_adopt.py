"""Adoption beyond the contract: what `unmanaged` lists, what `adopt` keeps, leaves alone and
refuses, and how it meets labels changed between its read and its write (the Compute peer,
its call log and its label fingerprints)."""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.errors import TransientError
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import default_spec, unique_key
from vertice_drivers.testkit_adopt import refusal

PROJECT, ZONE = "vertice-test", "us-central1-a"


def by_hand(compute, name, **labels):
    """An instance made as an operator would: RUNNING, no vertice labels, `owner: ops`."""
    compute.plant(PROJECT, ZONE, name, {"owner": "ops", **labels})
    return name


def adoption_tags(driver, key=None):
    """What `create` would put on an instance of `driver`'s installation."""
    return dict(default_spec(driver.region.installation_id, key or unique_key("ad")).tags)


def relabel_after_first_read(monkeypatch, driver, change):
    """Run `change()` behind the driver's back right after its first `instances.get`."""
    read, reads = driver.instances.get, []

    def racing(**kwargs):
        reply = read(**kwargs)
        reads.append(kwargs)
        if len(reads) == 1:
            change()
        return reply

    monkeypatch.setattr(driver.instances, "get", racing)
    return reads


def test_unmanaged_lists_instances_of_no_installation_in_pages(make_driver, compute):
    driver = make_driver(page_size=2)
    hand_made = [by_hand(compute, f"by-hand-{n}") for n in range(3)]
    compute.set_status(PROJECT, ZONE, hand_made[0], "TERMINATED")
    driver.create(default_spec("vti-gce-tests", unique_key("ad")))
    make_driver(installation="vti-someone-else").create(
        default_spec("vti-someone-else", unique_key("ad"))
    )

    found = driver.unmanaged()
    assert sorted(i.cloud_id for i in found) == hand_made
    assert compute.count("instances.list") == 3  # 5 instances, 2 a page
    assert {i.key for i in found} == {""}
    assert all(i.tags == {"owner": "ops"} for i in found)
    assert [i.state for i in found if i.cloud_id == hand_made[0]] == [InstanceState.STOPPED]


def test_an_instance_that_is_not_there_is_not_found(make_driver, compute):
    driver = make_driver()
    assert refusal(lambda: driver.adopt("no-such-instance", adoption_tags(driver))) == "NotFound"
    assert compute.count("instances.setLabels") == 0


def test_an_adopted_instance_keeps_its_labels_and_status_and_is_not_restarted(
    make_driver, compute, peer_instance
):
    driver = make_driver()
    cloud_id = by_hand(compute, "billing-db", team="blue")
    before = peer_instance(cloud_id)
    tags = adoption_tags(driver)

    adopted = driver.adopt(cloud_id, tags)
    assert (adopted.cloud_id, adopted.key, adopted.state) == (
        cloud_id,
        tags[TAG_KEY],
        InstanceState.RUNNING,
    )
    after = peer_instance(cloud_id)
    assert after["labels"] == {"owner": "ops", "team": "blue", **tags}
    assert after["status"] == before["status"] == "RUNNING"
    assert after["labelFingerprint"] != before["labelFingerprint"]
    for verb in ("start", "stop", "reset", "suspend", "resume"):
        assert compute.count(f"instances.{verb}") == 0, verb
    (observed,) = [i for i in driver.observe() if i.cloud_id == cloud_id]
    assert (observed.key, observed.tags["owner"]) == (tags[TAG_KEY], "ops")
    assert driver.unmanaged() == []


def test_adopting_again_with_the_same_tags_sends_no_labels(make_driver, compute):
    driver = make_driver()
    cloud_id = by_hand(compute, "billing-db")
    tags = adoption_tags(driver)
    driver.adopt(cloud_id, tags)
    assert driver.adopt(cloud_id, tags).key == tags[TAG_KEY]
    assert compute.count("instances.setLabels") == 1


def test_labels_changed_between_read_and_write_are_read_again_and_kept(
    make_driver, compute, peer_instance, monkeypatch
):
    driver = make_driver()
    cloud_id = by_hand(compute, "billing-db")
    reads = relabel_after_first_read(
        monkeypatch,
        driver,
        lambda: compute.relabel(PROJECT, ZONE, cloud_id, {"owner": "ops", "team": "red"}),
    )
    tags = adoption_tags(driver)
    assert driver.adopt(cloud_id, tags).key == tags[TAG_KEY]
    assert (len(reads), compute.count("instances.setLabels")) == (2, 2)  # the first got 412
    assert peer_instance(cloud_id)["labels"] == {"owner": "ops", "team": "red", **tags}


def test_another_installation_labelling_it_meanwhile_is_not_overwritten(
    make_driver, compute, peer_instance, monkeypatch
):
    driver, theirs = make_driver(), make_driver(installation="vti-someone-else")
    cloud_id = by_hand(compute, "billing-db")
    their_tags = adoption_tags(theirs)
    relabel_after_first_read(
        monkeypatch,
        driver,
        lambda: compute.relabel(PROJECT, ZONE, cloud_id, {"owner": "ops", **their_tags}),
    )
    assert refusal(lambda: driver.adopt(cloud_id, adoption_tags(driver))) == "ManagedElsewhere"
    assert peer_instance(cloud_id)["labels"] == {"owner": "ops", **their_tags}


def test_labels_that_keep_changing_are_a_transient_failure(make_driver, compute, monkeypatch):
    driver = make_driver()
    cloud_id = by_hand(compute, "billing-db")
    read = driver.instances.get

    def churning(**kwargs):
        reply = read(**kwargs)
        compute.relabel(PROJECT, ZONE, cloud_id, {"owner": "ops", "n": unique_key("n")})
        return reply

    monkeypatch.setattr(driver.instances, "get", churning)
    with pytest.raises(TransientError) as caught:
        driver.adopt(cloud_id, adoption_tags(driver))
    assert caught.value.reason == "LabelsChanging"
    assert compute.count("instances.setLabels") == 2


def test_an_instance_of_another_installation_is_not_listed_nor_taken(
    make_driver, compute, peer_instance
):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    cloud_id = by_hand(compute, "billing-db")
    tags = adoption_tags(theirs)
    theirs.adopt(cloud_id, tags)
    assert all(i.cloud_id != cloud_id for i in ours.unmanaged())
    assert refusal(lambda: ours.adopt(cloud_id, adoption_tags(ours))) == "ManagedElsewhere"
    # This installation's own instance, under another key, is not taken over either.
    assert refusal(lambda: theirs.adopt(cloud_id, adoption_tags(theirs))) == "ManagedElsewhere"
    assert peer_instance(cloud_id)["labels"] == {"owner": "ops", **tags}


def test_tags_that_would_not_make_it_this_installations_are_refused(make_driver, compute):
    driver = make_driver()
    cloud_id = by_hand(compute, "billing-db")
    elsewhere = {**adoption_tags(driver), TAG_INSTALLATION: "vti-someone-else"}
    keyless = {k: v for k, v in adoption_tags(driver).items() if k != TAG_KEY}
    unreadable = {**adoption_tags(driver), "vertice-assembly": "A" * 60}  # would be digested
    for tags in (elsewhere, keyless, unreadable):
        assert refusal(lambda tags=tags: driver.adopt(cloud_id, tags)) == "InvalidTags"
    assert compute.count("instances.setLabels") == 0
