"""The pure translations: EC2 states, and a spec's `run_instances` arguments, as tables."""

from __future__ import annotations

import attrs
import pytest
import yaml

from vertice_core.driver import SizeSpec
from vertice_core.errors import TerminalError
from vertice_core.model.status import InstanceState
from vertice_driver_aws import AwsSettings
from vertice_driver_aws.translate import run_arguments, state_of
from vertice_drivers.cloudinit import cloud_config
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec

SETTINGS = AwsSettings(
    images={"1_virtualmachine_ubuntu": "ami-0abc"},
    instance_types={"small": "t3.micro"},
)


@pytest.mark.parametrize(
    ("ec2_state", "state"),
    [
        ("pending", InstanceState.PENDING),
        ("running", InstanceState.RUNNING),
        ("stopping", InstanceState.PENDING),
        ("stopped", InstanceState.STOPPED),
        ("shutting-down", InstanceState.TERMINATED),
        ("terminated", InstanceState.TERMINATED),
        ("hibernating-someday", InstanceState.UNKNOWN),
    ],
)
def test_ec2_states(ec2_state, state):
    assert state_of(ec2_state) is state


def test_launch_arguments_carry_image_type_token_tags_and_placement():
    spec = default_spec("vti-1", "asm-1-1", name="web")
    settings = attrs.evolve(
        SETTINGS, subnet_id="subnet-1", security_group_ids=["sg-1", "sg-2"], key_name="ops"
    )
    arguments = run_arguments(spec, settings, "asm-1-1")
    assert arguments["ImageId"] == "ami-0abc"
    assert arguments["InstanceType"] == "t3.micro"
    assert (arguments["MinCount"], arguments["MaxCount"]) == (1, 1)
    assert arguments["ClientToken"] == "asm-1-1"
    assert arguments["SubnetId"] == "subnet-1"
    assert arguments["SecurityGroupIds"] == ["sg-1", "sg-2"]
    assert arguments["KeyName"] == "ops"
    assert "UserData" not in arguments  # no launch credential asked for
    by_resource = {t["ResourceType"]: t["Tags"] for t in arguments["TagSpecifications"]}
    assert set(by_resource) == {"instance", "volume"}
    tags = {t["Key"]: t["Value"] for t in by_resource["instance"]}
    assert tags == {**spec.tags, "Name": "web"}


def test_the_launch_credential_travels_as_cloud_config():
    spec = default_spec(
        "vti-1", "asm-1-1", ssh_public_key=TEST_PUBLIC_KEY, root_password=TEST_PASSWORD
    )
    text = cloud_config(spec)
    assert text is not None and text.startswith("#cloud-config\n")
    config = yaml.safe_load(text)
    assert config["ssh_authorized_keys"] == [TEST_PUBLIC_KEY]
    assert config["chpasswd"]["users"] == [
        {"name": "root", "password": TEST_PASSWORD, "type": "text"}
    ]
    assert config["ssh_pwauth"] is True
    assert run_arguments(spec, SETTINGS, "t")["UserData"] == text


def test_ami_ids_and_instance_type_names_are_taken_as_they_are():
    spec = default_spec("vti-1", "asm-1-1", image="ami-0def", size=SizeSpec("m5.large", 2, 8192, 0))
    arguments = run_arguments(spec, AwsSettings(), "t")
    assert (arguments["ImageId"], arguments["InstanceType"]) == ("ami-0def", "m5.large")


@pytest.mark.parametrize(
    ("changes", "reason", "named"),
    [
        ({"image": "3_webserver_apache"}, "ImageNotMapped", "3_webserver_apache"),
        ({"size": SizeSpec("huge", 64, 1, 1)}, "FlavorNotMapped", "huge"),
    ],
)
def test_what_the_region_cannot_launch_is_terminal(changes, reason, named):
    spec = default_spec("vti-1", "asm-1-1", **changes)
    with pytest.raises(TerminalError) as caught:
        run_arguments(spec, SETTINGS, "t")
    assert caught.value.reason == reason
    assert named in caught.value.message
