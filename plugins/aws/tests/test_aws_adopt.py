"""Adoption beyond the contract: which instances `unmanaged` lists and how it pages, and
what `adopt` refuses, keeps and leaves alone (moto, the fault proxy before it where the
calls are counted or EC2 answers as moto cannot)."""

from __future__ import annotations

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.model.status import InstanceState
from vertice_drivers.testkit import default_spec, unique_key
from vertice_drivers.testkit_adopt import refusal


def by_hand(ec2, ami, count=1, **tags):
    """Instances launched with boto3 as an operator would: no vertice tags, `owner: ops`."""
    own = [{"Key": k, "Value": v} for k, v in {"owner": "ops", **tags}.items()]
    reply = ec2.run_instances(
        ImageId=ami,
        InstanceType="t3.micro",
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": own}],
    )
    return [i["InstanceId"] for i in reply["Instances"]]


def adoption_tags(driver, key=None):
    """What `create` would put on an instance of `driver`'s installation (less `Name`)."""
    return dict(default_spec(driver.region.installation_id, key or unique_key("ad")).tags)


def tags_on(ec2, cloud_id):
    (reservation,) = ec2.describe_instances(InstanceIds=[cloud_id])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservation["Instances"][0].get("Tags", [])}


def test_unmanaged_lists_live_instances_of_no_installation_in_pages(
    make_driver, fault_proxy, ec2, ubuntu_ami
):
    driver = make_driver(endpoint=fault_proxy.url, page_size=5)
    hand_made = by_hand(ec2, ubuntu_ami, count=7)
    ec2.stop_instances(InstanceIds=hand_made[:1])
    gone = by_hand(ec2, ubuntu_ami)
    ec2.terminate_instances(InstanceIds=gone)
    driver.create(default_spec("vti-aws-tests", unique_key("ad")))
    theirs = make_driver(installation="vti-someone-else")
    theirs.create(default_spec("vti-someone-else", unique_key("ad")))

    found = driver.unmanaged()
    assert sorted(i.cloud_id for i in found) == sorted(hand_made)
    assert fault_proxy.count("DescribeInstances") == 2  # 9 live instances, 5 a page
    assert {i.key for i in found} == {""}
    assert all(i.tags == {"owner": "ops"} for i in found)
    stopped = [i.state for i in found if i.cloud_id == hand_made[0]]
    assert stopped == [InstanceState.STOPPED]


def test_an_instance_with_a_key_but_no_installation_is_unmanaged_and_keyless(
    make_driver, ec2, ubuntu_ami
):
    driver = make_driver()
    (cloud_id,) = by_hand(ec2, ubuntu_ami, **{TAG_KEY: "left-by-an-older-vertice"})
    (found,) = driver.unmanaged()
    assert (found.cloud_id, found.key) == (cloud_id, "")
    assert found.tags[TAG_KEY] == "left-by-an-older-vertice"


def test_an_adopted_instance_keeps_its_own_tags_and_state(make_driver, ec2, ubuntu_ami):
    driver = make_driver()
    (cloud_id,) = by_hand(ec2, ubuntu_ami, Name="billing-db")
    ec2.stop_instances(InstanceIds=[cloud_id])
    tags = adoption_tags(driver)
    adopted = driver.adopt(cloud_id, tags)
    assert (adopted.cloud_id, adopted.key, adopted.state) == (
        cloud_id,
        tags[TAG_KEY],
        InstanceState.STOPPED,  # not started either
    )
    assert tags_on(ec2, cloud_id) == {"owner": "ops", "Name": "billing-db", **tags}
    (observed,) = [i for i in driver.observe() if i.cloud_id == cloud_id]
    assert observed.key == tags[TAG_KEY]
    assert observed.tags["owner"] == "ops"
    assert driver.unmanaged() == []


def test_adopting_again_with_the_same_tags_makes_no_call_but_a_look(
    make_driver, fault_proxy, ec2, ubuntu_ami
):
    driver = make_driver(endpoint=fault_proxy.url)
    (cloud_id,) = by_hand(ec2, ubuntu_ami)
    tags = adoption_tags(driver)
    driver.adopt(cloud_id, tags)
    assert fault_proxy.count("CreateTags") == 1
    looks = fault_proxy.count("DescribeInstances")
    assert driver.adopt(cloud_id, tags).key == tags[TAG_KEY]
    assert (fault_proxy.count("CreateTags"), fault_proxy.count("DescribeInstances")) == (
        1,
        looks + 1,
    )


def test_an_instance_that_is_not_there_is_not_found(make_driver, fault_proxy, ec2, ubuntu_ami):
    driver = make_driver(endpoint=fault_proxy.url)
    tags = adoption_tags(driver)
    assert refusal(lambda: driver.adopt("i-0123456789abcdef0", tags)) == "NotFound"
    (gone,) = by_hand(ec2, ubuntu_ami)
    ec2.terminate_instances(InstanceIds=[gone])
    assert refusal(lambda: driver.adopt(gone, tags)) == "NotFound"
    assert TAG_KEY not in tags_on(ec2, gone)
    # EC2 (not moto) calls an id of the wrong shape malformed: no such instance either.
    fault_proxy.fail("DescribeInstances", code="InvalidInstanceID.Malformed", times=1)
    assert refusal(lambda: driver.adopt("not-an-id", tags)) == "NotFound"
    assert fault_proxy.count("CreateTags") == 0


def test_an_instance_an_installation_manages_is_refused_and_left_as_it_is(
    make_driver, ec2, ubuntu_ami
):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    (cloud_id,) = by_hand(ec2, ubuntu_ami)
    tags = adoption_tags(theirs)
    theirs.adopt(cloud_id, tags)
    assert refusal(lambda: ours.adopt(cloud_id, adoption_tags(ours))) == "ManagedElsewhere"
    # This installation's own instance, under another key, is not taken over either.
    assert refusal(lambda: theirs.adopt(cloud_id, adoption_tags(theirs))) == "ManagedElsewhere"
    assert tags_on(ec2, cloud_id) == {"owner": "ops", **tags}


def test_tags_that_would_not_make_it_this_installations_are_refused(
    make_driver, fault_proxy, ec2, ubuntu_ami
):
    driver = make_driver(endpoint=fault_proxy.url)
    (cloud_id,) = by_hand(ec2, ubuntu_ami)
    elsewhere = {**adoption_tags(driver), TAG_INSTALLATION: "vti-someone-else"}
    keyless = {k: v for k, v in adoption_tags(driver).items() if k != TAG_KEY}
    for tags in (elsewhere, keyless):
        assert refusal(lambda tags=tags: driver.adopt(cloud_id, tags)) == "InvalidTags"
    assert fault_proxy.count("CreateTags") == 0


def test_an_installation_whose_tag_another_overwrote_at_once_is_refused(
    make_driver, monkeypatch, ec2, ubuntu_ami
):
    driver = make_driver()
    (cloud_id,) = by_hand(ec2, ubuntu_ami)
    tag_ours = driver.client.create_tags

    def racing(**kwargs):
        """Our tags, then another installation's in the same instant."""
        reply = tag_ours(**kwargs)
        theirs = [{"Key": TAG_INSTALLATION, "Value": "vti-someone-else"}]
        ec2.create_tags(Resources=[cloud_id], Tags=theirs)
        return reply

    monkeypatch.setattr(driver.client, "create_tags", racing)
    assert refusal(lambda: driver.adopt(cloud_id, adoption_tags(driver))) == "ManagedElsewhere"
