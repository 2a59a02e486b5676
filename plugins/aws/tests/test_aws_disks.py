"""Disks as EBS volumes beyond the contract: what a volume looks like, where it is made,
the device it is attached as, the errors, idempotency by name, and the listing's pages.

moto creates, attaches, detaches, grows and deletes volumes at once, and detaches a
volume attached after launch when its instance is terminated; it does not page
`DescribeVolumes`, ignores `ClientToken`, accepts a smaller size, and attaches a
volume to an instance of another zone or to a terminated one. The fault proxy pages
its replies as EC2 does, answers with EC2's refusals, and keeps each call's
parameters; a recorded listing (`fixtures/describe_volumes.xml`, no volume of ours)
stands for a listing that lags behind a new volume.
"""

from __future__ import annotations

import pytest

from vertice_core.driver import TAG_DISK, TAG_INSTALLATION, DiskState
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_aws import AwsSettings
from vertice_driver_aws.disks import token
from vertice_driver_aws.translate import disk_of, free_device
from vertice_drivers.testkit import default_spec, unique_key

INSTALLATION = "vti-aws-tests"


def launched(driver):
    """A new instance of the driver's installation (moto runs it at once)."""
    return driver.create(default_spec(driver.region.installation_id, unique_key("dk"))).cloud_id


def volume(ec2, disk_id):
    (item,) = ec2.describe_volumes(VolumeIds=[disk_id])["Volumes"]
    return item


def mappings(ec2, cloud_id):
    """moto's block device mappings of the instance: device name -> (volume, delete on end)."""
    (item,) = ec2.describe_instances(InstanceIds=[cloud_id])["Reservations"][0]["Instances"]
    return {
        b["DeviceName"]: (b["Ebs"]["VolumeId"], b["Ebs"]["DeleteOnTermination"])
        for b in item["BlockDeviceMappings"]
    }


def plain_volume(ec2, zone="us-east-1a", tags=None):
    """A volume made behind the driver's back (with `tags`, else none)."""
    extra = {"TagSpecifications": [{"ResourceType": "volume", "Tags": tags}]} if tags else {}
    return ec2.create_volume(Size=1, AvailabilityZone=zone, **extra)["VolumeId"]


def test_a_disk_is_a_tagged_gp3_volume_in_the_zone_of_the_instances(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)  # its root volume carries the installation's tag: not a disk
    disk = driver.create_disk("data", 3)
    item = volume(ec2, disk.id)
    tags = {t["Key"]: t["Value"] for t in item["Tags"]}
    assert tags == {TAG_INSTALLATION: INSTALLATION, TAG_DISK: "data", "Name": "data"}
    assert (item["VolumeType"], item["Size"], item["AvailabilityZone"]) == ("gp3", 3, "us-east-1a")
    (sent,) = fault_proxy.sent("CreateVolume")
    assert sent["ClientToken"] == token(INSTALLATION, "data") == "vertice-disk:vti-aws-tests:data"
    assert [(d.id, d.name, d.size_gb, d.state) for d in driver.disks()] == [
        (disk.id, "data", 3, DiskState.AVAILABLE)
    ]
    assert driver.attach_disk(disk.id, cloud_id) == "/dev/sdf"
    assert mappings(ec2, cloud_id)["/dev/sdf"] == (disk.id, False)  # DeleteOnTermination false


def test_the_zone_is_the_subnets_or_the_settings(make_driver, ec2):
    subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}
    in_subnet = make_driver(subnet_id=subnets["us-east-1c"])
    assert volume(ec2, in_subnet.create_disk("c", 1).id)["AvailabilityZone"] == "us-east-1c"

    placed = make_driver(availability_zone="us-east-1b")
    cloud_id = launched(placed)  # placed there too (`Placement`)
    (item,) = ec2.describe_instances(InstanceIds=[cloud_id])["Reservations"][0]["Instances"]
    assert item["Placement"]["AvailabilityZone"] == "us-east-1b"
    assert placed.attach_disk(placed.create_disk("b", 1).id, cloud_id) == "/dev/sdf"

    # A disk of the region's first zone and an instance EC2 put elsewhere: refused (moto
    # would attach it; EC2 does not).
    elsewhere = make_driver().create_disk("a", 1)
    with pytest.raises(TerminalError) as caught:
        placed.attach_disk(elsewhere.id, cloud_id)
    assert caught.value.reason == "ZoneMismatch"
    assert "us-east-1a" in str(caught.value) and "us-east-1b" in str(caught.value)

    with pytest.raises(ValueError, match="not both"):
        AwsSettings(subnet_id="subnet-0abc", availability_zone="us-east-1a")
    with pytest.raises(ValueError, match="volume_type"):
        AwsSettings(volume_type="io2")


def test_ec2s_own_zone_refusal_reads_as_a_zone_mismatch(make_driver, fault_proxy):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id, disk = launched(driver), driver.create_disk("data", 1)
    fault_proxy.fail(
        "AttachVolume", code="InvalidVolume.ZoneMismatch", times=1,
        message=f"The volume '{disk.id}' is not in the same availability zone as instance "
        f"'{cloud_id}'",
    )  # fmt: skip
    with pytest.raises(TerminalError) as caught:
        driver.attach_disk(disk.id, cloud_id)
    assert caught.value.reason == "ZoneMismatch"
    fault_proxy.fail(
        "AttachVolume", code="InvalidParameterValue", times=1,
        message="Invalid value '/dev/sdf' for unixDevice. Attachment point /dev/sdf is already "
        "in use",
    )  # fmt: skip
    with pytest.raises(TransientError) as raced:  # another attachment took it: look again
        driver.attach_disk(disk.id, cloud_id)
    assert raced.value.reason == "DeviceInUse"
    assert driver.attach_disk(disk.id, cloud_id) == "/dev/sdf"


def test_the_first_device_the_instance_leaves_free(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    cloud_id = launched(driver)
    for device in ("/dev/sdf", "/dev/xvdg"):  # attached by hand; xvdg is sdg
        ec2.attach_volume(VolumeId=plain_volume(ec2), InstanceId=cloud_id, Device=device)
    disk = driver.create_disk("data", 1)
    assert driver.attach_disk(disk.id, cloud_id) == "/dev/sdh"
    assert mappings(ec2, cloud_id)["/dev/sdh"][0] == disk.id
    (listed,) = driver.disks()
    assert (listed.state, listed.attached_to, listed.device) == (
        DiskState.IN_USE, cloud_id, "/dev/sdh",
    )  # fmt: skip
    assert driver.attach_disk(disk.id, cloud_id) == "/dev/sdh"  # there already: no call
    assert fault_proxy.count("AttachVolume") == 1

    everything = [{"DeviceName": f"/dev/sd{c}"} for c in "fghijklmnop"]
    assert free_device({"RootDeviceName": "/dev/sda1", "BlockDeviceMappings": everything}) == ""
    assert free_device({"RootDeviceName": "/dev/sdf"}) == "/dev/sdg"


def test_a_disk_in_use_is_neither_attached_elsewhere_nor_deleted(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    first, second = launched(driver), launched(driver)
    disk = driver.create_disk("data", 1)
    driver.attach_disk(disk.id, first)
    for refused in (
        lambda: driver.attach_disk(disk.id, second),
        lambda: driver.delete_disk(disk.id),
    ):
        with pytest.raises(TerminalError) as caught:
            refused()
        assert caught.value.reason == "DiskInUse"
    assert fault_proxy.count("AttachVolume") == 1
    assert fault_proxy.count("DeleteVolume") == 0

    driver.detach_disk(disk.id)
    (sent,) = fault_proxy.sent("DetachVolume")  # the attachment seen (moto needs the instance)
    assert (sent["InstanceId"], sent["Device"]) == (first, "/dev/sdf")
    driver.detach_disk(disk.id)  # attached to nothing: no call
    assert fault_proxy.count("DetachVolume") == 1
    # EC2's own refusal (attached meanwhile, between the look and the call) reads the same.
    fault_proxy.fail("DeleteVolume", code="VolumeInUse", message="vol is in use", times=1)
    with pytest.raises(TerminalError) as caught:
        driver.delete_disk(disk.id)
    assert caught.value.reason == "DiskInUse"
    driver.delete_disk(disk.id)
    assert (
        ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [disk.id]}])["Volumes"] == []
    )


def test_what_does_not_exist(make_driver, ec2):
    driver = make_driver()
    cloud_id, disk = launched(driver), driver.create_disk("data", 1)
    missing = "vol-0123456789abcdef0"
    for refused in (
        lambda: driver.attach_disk(missing, cloud_id),
        lambda: driver.resize_disk(missing, 2),
        lambda: driver.attach_disk(disk.id, "i-0123456789abcdef0"),
    ):
        with pytest.raises(TerminalError) as caught:
            refused()
        assert caught.value.reason == "NotFound"
    driver.detach_disk(missing)  # gone: detached and deleted already
    driver.delete_disk(missing)
    driver.delete(cloud_id)  # moto would attach to the terminated instance; EC2 does not
    with pytest.raises(TerminalError) as caught:
        driver.attach_disk(disk.id, cloud_id)
    assert caught.value.reason == "NotFound"


def test_a_disk_grows_and_never_shrinks(make_driver, fault_proxy, ec2):
    driver = make_driver(endpoint=fault_proxy.url)
    disk = driver.create_disk("data", 2)
    driver.resize_disk(disk.id, 2)  # the size it has: no call
    with pytest.raises(TerminalError, match="shrink") as caught:  # moto would shrink it
        driver.resize_disk(disk.id, 1)
    assert caught.value.reason == "CannotShrink"
    assert fault_proxy.count("ModifyVolume") == 0
    driver.resize_disk(disk.id, 5)
    assert volume(ec2, disk.id)["Size"] == 5
    modifications = ec2.describe_volumes_modifications(VolumeIds=[disk.id])
    done = [(m["TargetSize"], m["ModificationState"]) for m in modifications[
        "VolumesModifications"]]  # fmt: skip
    assert done == [(5, "completed")]  # moto completes a modification at once
    assert fault_proxy.count("ModifyVolume") == 1


def test_only_the_installations_disks_are_listed_or_touched(make_driver, ec2):
    ours, theirs = make_driver(), make_driver(installation="vti-someone-else")
    cloud_id = launched(ours)
    root = mappings(ec2, cloud_id)["/dev/sda1"][0]  # the installation's tag, not a disk
    theirs_disk = theirs.create_disk("data", 1).id
    ours_disk = ours.create_disk("data", 1).id  # the same name, another installation
    assert ours_disk != theirs_disk
    assert [d.id for d in ours.disks()] == [ours_disk]
    assert [d.id for d in theirs.disks()] == [theirs_disk]
    half_tagged = plain_volume(ec2, tags=[{"Key": TAG_INSTALLATION, "Value": INSTALLATION}])
    strangers = (theirs_disk, root, plain_volume(ec2), half_tagged)
    verbs = (
        (ours.delete_disk, ()),
        (ours.detach_disk, ()),
        (ours.resize_disk, (9,)),
        (ours.attach_disk, (cloud_id,)),
    )
    for disk_id in strangers:
        for verb, rest in verbs:
            with pytest.raises(TerminalError) as caught:
                verb(disk_id, *rest)
            assert caught.value.reason == "NotOurs"
    assert volume(ec2, theirs_disk)["State"] == "available"


def test_a_disk_is_made_once_by_name_across_driver_objects(make_driver, fault_proxy, ec2):
    # A pass made the disk and died before recording it: the next pass's driver finds it.
    first = make_driver(endpoint=fault_proxy.url).create_disk("data", 1)
    again = make_driver(endpoint=fault_proxy.url).create_disk("data", 1)
    assert again.id == first.id
    assert fault_proxy.count("CreateVolume") == 1
    by_tag = [{"Name": f"tag:{TAG_DISK}", "Values": ["data"]}]
    assert [v["VolumeId"] for v in ec2.describe_volumes(Filters=by_tag)["Volumes"]] == [first.id]

    # A listing lagging behind the volume (recorded: none of ours): the call carries the
    # same ClientToken, with which EC2 answers with the first volume (moto makes another).
    fault_proxy.fail("DescribeVolumes", status=200, body_file="describe_volumes.xml", times=1)
    make_driver(endpoint=fault_proxy.url).create_disk("data", 1)
    tokens = [sent["ClientToken"] for sent in fault_proxy.sent("CreateVolume")]
    assert tokens == [token(INSTALLATION, "data")] * 2


def test_the_listing_reads_every_page(make_driver, fault_proxy):
    fault_proxy.page("DescribeVolumes", "volumeSet")  # moto answers all at once; EC2 pages
    driver = make_driver(endpoint=fault_proxy.url, page_size=5)
    made = {driver.create_disk(f"d{n}", 1).id for n in range(12)}
    make_driver(installation="vti-someone-else").create_disk("d0", 1)
    launched(driver)  # a root volume with the installation's tag
    before = fault_proxy.count("DescribeVolumes")
    assert {d.id for d in driver.disks()} == made
    listings = fault_proxy.sent("DescribeVolumes")[before:]
    assert [(s["MaxResults"], s.get("NextToken")) for s in listings] == [
        ("5", None), ("5", "5"), ("5", "10"),
    ]  # fmt: skip
    assert make_driver(endpoint=fault_proxy.url).disks()  # page_size 1000: EC2's 500 at most
    assert fault_proxy.sent("DescribeVolumes")[-1]["MaxResults"] == "500"


def test_terminating_the_instance_leaves_its_disk_detached(make_driver, ec2):
    driver = make_driver()
    cloud_id, disk = launched(driver), driver.create_disk("data", 1)
    driver.attach_disk(disk.id, cloud_id)
    root = mappings(ec2, cloud_id)["/dev/sda1"]
    assert root[1] is True and mappings(ec2, cloud_id)["/dev/sdf"] == (disk.id, False)
    driver.delete(cloud_id)
    (listed,) = driver.disks()
    assert (listed.state, listed.attached_to, listed.device) == (DiskState.AVAILABLE, "", "")
    assert (
        ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [root[0]]}])["Volumes"] == []
    )  # the root volume went with the instance


@pytest.mark.parametrize(
    ("ec2_state", "attachment", "state"),
    [
        ("creating", None, DiskState.CREATING),
        ("available", None, DiskState.AVAILABLE),
        ("in-use", "attached", DiskState.IN_USE),
        ("in-use", "attaching", DiskState.BUSY),
        ("in-use", "detaching", DiskState.BUSY),
        ("in-use", "busy", DiskState.BUSY),
        ("in-use", None, DiskState.BUSY),
        ("deleting", None, DiskState.BUSY),
        ("error", None, DiskState.ERROR),
        ("a-state-to-come", None, DiskState.BUSY),
    ],
)
def test_volume_states(ec2_state, attachment, state):
    attachments = (
        [{"InstanceId": "i-1", "Device": "/dev/sdf", "State": attachment}] if attachment else []
    )
    item = {"VolumeId": "vol-1", "Size": 4, "State": ec2_state, "Attachments": attachments,
            "Tags": [{"Key": TAG_DISK, "Value": "data"}]}  # fmt: skip
    disk = disk_of(item)
    assert (disk.id, disk.name, disk.size_gb, disk.state) == ("vol-1", "data", 4, state)
    assert disk.attached_to == ("i-1" if attachment else "")
