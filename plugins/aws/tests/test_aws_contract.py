"""The AWS driver passes the driver contract (vertice_drivers.testkit) against moto's EC2."""

from __future__ import annotations

import contextlib

import pytest

from vertice_drivers.testkit import DriverContract


# One driver per module, not per test: every test uses keys of its own, and building a
# boto3 client takes a good part of a second.
@pytest.fixture(scope="module")
def ours(moto_server, settings_json, driver_builder):
    driver = driver_builder(moto_server.url, settings_json())
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def theirs(moto_server, settings_json, driver_builder):
    driver = driver_builder(moto_server.url, settings_json(), installation="vti-someone-else")
    yield driver
    driver.close()


class TestAwsContract(DriverContract):
    settle_timeout = 10.0
    settle_interval = 0.05

    @pytest.fixture
    def driver(self, ours):
        return ours

    @pytest.fixture
    def foreign_driver(self, theirs):
        return theirs

    @pytest.fixture
    def unreachable_driver(self, make_driver, closed_port):
        return make_driver(endpoint=f"http://127.0.0.1:{closed_port}")

    @pytest.fixture
    def unauthorized_driver(self, moto, make_driver):
        # moto checks keys against its IAM once authentication is on: this key is unknown.
        moto.authenticate(True)
        return make_driver(credentials={"access_key_id": "AKIAWRONG", "secret_access_key": "x"})

    @pytest.fixture
    def launch_data(self, driver):
        return lambda instance: driver.launch_data(instance.cloud_id)

    @pytest.fixture
    def launched_image(self, moto_server):
        def image_of(instance):
            reply = moto_server.ec2.describe_instances(InstanceIds=[instance.cloud_id])
            return reply["Reservations"][0]["Instances"][0]["ImageId"]

        return image_of

    @pytest.fixture
    def instance_disks(self, moto_server):
        """moto's own view: the volumes the instance's block device mappings name."""

        def volumes_of(cloud_id):
            reply = moto_server.ec2.describe_instances(InstanceIds=[cloud_id])
            (item,) = reply["Reservations"][0]["Instances"]
            return {b["Ebs"]["VolumeId"] for b in item.get("BlockDeviceMappings", []) if "Ebs" in b}

        return volumes_of

    # No `boot_mark`: moto sets `LaunchTime` once, at launch, where EC2 moves it with
    # every start; it could not tell a restart.

    @pytest.fixture
    def make_unmanaged(self, moto_server, ubuntu_ami):
        """Instances launched as an operator would, with boto3 and no vertice tags (one
        `owner: ops` of their own); terminated after the test."""
        made: list[str] = []

        def launch():
            owner = [{"ResourceType": "instance", "Tags": [{"Key": "owner", "Value": "ops"}]}]
            reply = moto_server.ec2.run_instances(
                ImageId=ubuntu_ami,
                InstanceType="t3.micro",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=owner,
            )
            made.append(reply["Instances"][0]["InstanceId"])
            return made[-1]

        yield launch
        for cloud_id in made:
            with contextlib.suppress(Exception):  # best effort: the test already reported
                moto_server.ec2.terminate_instances(InstanceIds=[cloud_id])
