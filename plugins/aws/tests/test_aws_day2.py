"""The day-2 verbs beyond the contract: the calls a resize makes and how the next call
finishes one cut short, and snapshots as AMIs with their EBS snapshots.

Recorded replies (`fixtures/`, see SOURCES.md there) stand in for EC2 where moto
cannot answer as EC2 would: a `StopInstances` accepted while the instance has not
stopped yet, and a `DescribeImages` that lists other accounts' images only.
"""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_INSTALLATION, TAG_SNAPSHOT, ImageState, SizeSpec
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_aws.translate import RESTART_TAG
from vertice_drivers.testkit import default_spec, unique_key

MEDIUM = SizeSpec("medium", 2, 4096, 40)


def launched(driver):
    """A new instance of the driver's installation (moto runs it at once)."""
    return driver.create(default_spec(driver.region.installation_id, unique_key("d2"))).cloud_id


def described(ec2, cloud_id):
    (reservation,) = ec2.describe_instances(InstanceIds=[cloud_id])["Reservations"]
    item = reservation["Instances"][0]
    tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
    return item["State"]["Name"], item["InstanceType"], tags


def made_for(ec2, image_id):
    """The EBS snapshots EC2 made for an AMI."""
    wanted = [{"Name": "description", "Values": [f"Created by CreateImage(*) for {image_id}*"]}]
    return ec2.describe_snapshots(OwnerIds=["self"], Filters=wanted)["Snapshots"]


def test_a_running_instance_is_stopped_changed_and_started(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)
    driver.resize(cloud_id, MEDIUM)
    state, instance_type, tags = described(ec2, cloud_id)
    assert (state, instance_type, RESTART_TAG in tags) == ("running", "t3.medium", False)
    calls = ("StopInstances", "ModifyInstanceAttribute", "StartInstances")
    assert [fault_proxy.count(c) for c in calls] == [1, 1, 1]
    before = fault_proxy.count("DescribeInstances")
    driver.resize(cloud_id, MEDIUM)  # the type it has: one look, nothing else
    assert fault_proxy.count("DescribeInstances") == before + 1
    assert [fault_proxy.count(c) for c in calls] == [1, 1, 1]


def test_a_stopped_instance_is_changed_and_stays_stopped(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)
    driver.stop(cloud_id)
    driver.resize(cloud_id, MEDIUM)
    assert described(ec2, cloud_id)[:2] == ("stopped", "t3.medium")
    assert fault_proxy.count("StartInstances") == 0


def test_a_resize_cut_short_is_finished_by_the_next_call(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)
    fault_proxy.fail("ModifyInstanceAttribute", status=500, code="InternalError", times=1)
    with pytest.raises(TransientError):
        driver.resize(cloud_id, MEDIUM)
    state, instance_type, tags = described(ec2, cloud_id)
    assert (state, instance_type, tags[RESTART_TAG]) == ("stopped", "t3.micro", "running")
    driver.resize(cloud_id, MEDIUM)  # the tag says it was running: started again
    state, instance_type, tags = described(ec2, cloud_id)
    assert (state, instance_type, RESTART_TAG in tags) == ("running", "t3.medium", False)


def test_an_instance_slow_to_stop_is_resized_by_a_later_call(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url, resize_wait=0.3)
    cloud_id = launched(driver)
    # EC2 accepts the stop (the recorded reply: "stopping"), the instance is not down yet.
    fault_proxy.fail("StopInstances", status=200, body_file="stop_instances.xml", times=1)
    with pytest.raises(TransientError) as caught:
        driver.resize(cloud_id, MEDIUM)
    assert caught.value.reason == "ResizeInProgress"
    assert described(ec2, cloud_id)[2][RESTART_TAG] == "running"
    driver.resize(cloud_id, MEDIUM)
    assert described(ec2, cloud_id)[:2] == ("running", "t3.medium")


def test_a_size_without_an_instance_type_is_terminal(make_driver):
    driver = make_driver()
    cloud_id = launched(driver)
    with pytest.raises(TerminalError) as caught:
        driver.resize(cloud_id, SizeSpec("huge", 64, 1, 1))
    assert caught.value.reason == "FlavorNotMapped"


def test_a_snapshot_is_a_tagged_ami_and_deleting_it_deletes_its_ebs_snapshots(make_driver, ec2):
    driver = make_driver()
    cloud_id = launched(driver)
    image = driver.snapshot(cloud_id, "nightly")
    (ami,) = ec2.describe_images(ImageIds=[image.id])["Images"]
    tags = {t["Key"]: t["Value"] for t in ami["Tags"]}
    assert tags == {TAG_INSTALLATION: "vti-aws-tests", TAG_SNAPSHOT: "nightly"}
    assert ami["Name"] == "vertice-vti-aws-tests-nightly"
    assert made_for(ec2, image.id)
    assert [(i.id, i.name, i.state) for i in driver.snapshots()] == [
        (image.id, "nightly", ImageState.AVAILABLE)
    ]
    restored = driver.create(
        default_spec("vti-aws-tests", unique_key("d2"), image_id=image.id)
    ).cloud_id
    (reservation,) = ec2.describe_instances(InstanceIds=[restored])["Reservations"]
    assert reservation["Instances"][0]["ImageId"] == image.id
    driver.delete_snapshot(image.id)
    assert ec2.describe_images(ImageIds=[image.id])["Images"] == []
    assert made_for(ec2, image.id) == []


def test_a_delete_cut_short_leaves_nothing_behind_the_next_call(make_driver, ec2):
    driver = make_driver()
    image = driver.snapshot(launched(driver), "nightly")
    ec2.deregister_image(ImageId=image.id)  # as a delete that failed after deregistering
    assert made_for(ec2, image.id)
    driver.delete_snapshot(image.id)
    assert made_for(ec2, image.id) == []


def test_only_the_installations_amis_are_listed_or_deleted(make_driver, ubuntu_ami):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    image = ours.snapshot(launched(ours), "nightly")
    assert theirs.snapshots() == []
    for driver, ami in ((theirs, image.id), (ours, ubuntu_ami)):
        with pytest.raises(TerminalError) as caught:
            driver.delete_snapshot(ami)
        assert caught.value.reason == "NotOurs"
    ours.delete_snapshot("ami-0123456789abcdef0")  # never existed: deleted already


def test_a_name_ec2_refuses_as_a_duplicate_is_the_snapshot_a_racing_call_made(
    make_driver, fault_proxy
):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)
    made = driver.snapshot(cloud_id, "nightly")
    before = fault_proxy.count("DescribeImages")
    # This call's lookup runs before the other call's AMI is listed (the recorded listing
    # has none of ours), and EC2 then refuses the name.
    fault_proxy.fail("DescribeImages", status=200, body_file="describe_images.xml", times=1)
    fault_proxy.fail(
        "CreateImage",
        code="InvalidAMIName.Duplicate",
        message="AMI name vertice-vti-aws-tests-nightly is already in use by AMI " + made.id,
        times=1,
    )
    assert driver.snapshot(cloud_id, "nightly").id == made.id
    assert fault_proxy.count("DescribeImages") == before + 2  # the lookup, then again
