"""End to end on moto's EC2: API -> store -> reconciler -> `aws` driver -> moto, and back."""

from __future__ import annotations

import base64

import pytest

from vertice_core import builtins
from vertice_drivers.testkit import TEST_PUBLIC_KEY

pytestmark = pytest.mark.slow


def test_an_assembly_lives_its_whole_life_on_ec2(
    alice, aws_region, make_reconciler, converge, phases, ec2, moto_instances
):
    aws_region()
    credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
    declared = alice.declare("web", region="aws-test", credential=credential)
    assert declared.status_code == 201, declared.json
    uri = declared.headers["location"]
    reconciler = make_reconciler()

    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    body = alice.get(uri).json
    (shown,) = body["status"]["instances"]
    (item,) = moto_instances({"vertice-assembly": body["id"]})
    assert shown["cloud_id"] == item["InstanceId"]
    assert shown["public_ipv4"] == item["PublicIpAddress"] != ""
    assert shown["private_ipv4"] == item["PrivateIpAddress"] != ""
    assert item["ClientToken"] == shown["key"]
    assert item["InstanceType"] == "t3.micro"  # the `small` flavor, mapped in the settings
    tags = {t["Key"]: t["Value"] for t in item["Tags"]}
    assert tags["vertice-key"] == shown["key"]
    assert tags["vertice-installation"].startswith("vti-")
    assert tags["Name"] == "web"
    data = ec2.describe_instance_attribute(InstanceId=item["InstanceId"], Attribute="userData")
    user_data = base64.b64decode(data["UserData"]["Value"]).decode()
    assert user_data.startswith("#cloud-config") and TEST_PUBLIC_KEY in user_data

    alice.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: phases() == {"STOPPED": 1})
    assert moto_instances({"vertice-assembly": body["id"]})[0]["State"]["Name"] == "stopped"

    alice.replace(uri, "/desired_state", "running")
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    assert moto_instances({"vertice-assembly": body["id"]})[0]["State"]["Name"] == "running"

    def reboots() -> int:
        return reconciler.metrics.calls("aws", "reboot")

    alice.replace(uri, "/restart_count", 1)
    converge(reconciler, lambda: reboots() == 1 and phases() == {"RUNNING": 1})
    for _ in range(3):  # a restart request is carried out once
        reconciler.run_pass()
    assert reboots() == 1

    # Another flavor: the same instance is stopped, changed and started (`t3.medium`).
    alice.replace(uri, "/flavor", "medium")
    converge(
        reconciler,
        lambda: (
            moto_instances({"vertice-assembly": body["id"]})[0]["InstanceType"] == "t3.medium"
            and phases() == {"RUNNING": 1}
        ),
    )
    (resized,) = moto_instances({"vertice-assembly": body["id"]})
    assert (resized["InstanceId"], resized["State"]["Name"]) == (item["InstanceId"], "running")
    assert alice.status(uri)["instances"][0]["flavor"] == "medium"
    for _ in range(3):  # carried out once
        reconciler.run_pass()
    assert reconciler.metrics.calls("aws", "resize") == 1

    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: phases() == {})
    (gone,) = moto_instances({"vertice-assembly": body["id"]})
    assert gone["InstanceId"] == item["InstanceId"]  # one instance for the whole life
    assert gone["State"]["Name"] == "terminated"
    assert reconciler.metrics.calls("aws", "create") == 1


def test_a_ghost_is_terminated_and_foreign_instances_are_never_touched(
    ctx, alice, aws_region, make_reconciler, converge, phases, ec2, ubuntu_ami
):
    aws_region()
    installation = builtins.installation_id(ctx.store)

    def plant(tags: dict[str, str]) -> str:
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        spec = [{"ResourceType": "instance", "Tags": pairs}]
        reply = ec2.run_instances(
            ImageId=ubuntu_ami, MinCount=1, MaxCount=1, TagSpecifications=spec
        )
        return str(reply["Instances"][0]["InstanceId"])

    ghost = plant(
        {"vertice-installation": installation, "vertice-assembly": "asm-gone",
         "vertice-key": "asm-gone-1", "vertice-project": "prj-x"}
    )  # fmt: skip
    pet = plant({"Name": "someone's pet"})
    neighbour = plant(
        {"vertice-installation": "vti-another-installation", "vertice-assembly": "asm-theirs",
         "vertice-key": "asm-theirs-1"}
    )  # fmt: skip

    def state(instance_id: str) -> str:
        reply = ec2.describe_instances(InstanceIds=[instance_id])
        return str(reply["Reservations"][0]["Instances"][0]["State"]["Name"])

    uri = alice.declare("web", region="aws-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1} and state(ghost) == "terminated")
    for _ in range(3):
        reconciler.run_pass()
    assert state(pet) == "running"
    assert state(neighbour) == "running"
    assert alice.get(uri).json["status"]["phase"] == "RUNNING"


def test_what_happens_behind_vertices_back_is_undone(
    alice, aws_region, make_reconciler, converge, phases, ec2, moto_instances
):
    aws_region()
    uri = alice.declare("web", region="aws-test").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    (first,) = alice.get(uri).json["status"]["instances"]

    ec2.stop_instances(InstanceIds=[first["cloud_id"]])  # a host reboot, say
    converge(
        reconciler,
        lambda: reconciler.metrics.calls("aws", "start") == 1 and phases() == {"RUNNING": 1},
    )
    assert alice.get(uri).json["status"]["instances"][0]["cloud_id"] == first["cloud_id"]

    ec2.terminate_instances(InstanceIds=[first["cloud_id"]])  # someone deleted it
    converge(
        reconciler,
        lambda: (
            phases() == {"RUNNING": 1}
            and alice.get(uri).json["status"]["instances"][0]["cloud_id"] != first["cloud_id"]
        ),
    )
    (second,) = alice.get(uri).json["status"]["instances"]
    assert second["key"] != first["key"]  # a new key: EC2 keeps tokens of terminated instances
    live = [i for i in moto_instances() if i["State"]["Name"] != "terminated"]
    assert [i["InstanceId"] for i in live] == [second["cloud_id"]]


def test_an_instance_launched_by_hand_is_adopted_without_a_restart(
    admin, aws_region, make_reconciler, converge, ec2, moto_instances, ubuntu_ami
):
    """An administrator declares an assembly adopting an instance made with boto3; the
    reconciler tags it once (`CreateTags`: it is neither stopped nor replaced), keeps its
    own tags, and manages it from then on (a stop reaches it)."""
    aws_region()
    owner = [{"ResourceType": "instance", "Tags": [{"Key": "owner", "Value": "ops"}]}]
    made = ec2.run_instances(ImageId=ubuntu_ami, InstanceType="t3.micro", MinCount=1,
                             MaxCount=1, TagSpecifications=owner)["Instances"][0]  # fmt: skip
    declared = admin.declare("legacy", region="aws-test", adopt={"cloud_id": made["InstanceId"]})
    assert declared.status_code == 201, declared.json
    uri = declared.json["uri"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: admin.status(uri)["phase"] == "RUNNING")
    (item,) = moto_instances({"vertice-assembly": declared.json["id"]})
    assert item["InstanceId"] == made["InstanceId"]
    assert item["LaunchTime"] == made["LaunchTime"] and item["State"]["Name"] == "running"
    tags = {t["Key"]: t["Value"] for t in item["Tags"]}
    assert (
        tags["owner"] == "ops" and tags["vertice-key"] == admin.status(uri)["instances"][0]["key"]
    )
    for _ in range(3):
        reconciler.run_pass()
    calls = reconciler.metrics.calls
    assert (calls("aws", "adopt"), calls("aws", "create"), calls("aws", "stop")) == (1, 0, 0)

    admin.replace(uri, "/desired_state", "stopped")
    converge(reconciler, lambda: admin.status(uri)["phase"] == "STOPPED")
    assert moto_instances({"vertice-assembly": declared.json["id"]})[0]["State"]["Name"] == (
        "stopped"
    )
