"""The peer of the AWS driver's tests: moto's EC2 in server mode, and regions pointed at it.

* `moto_server` (session): a `ThreadedMotoServer` on a free port of 127.0.0.1;
  `moto` (per test) resets it first (`POST /moto-api/reset`) and switches its
  IAM authentication off again afterwards.
* `ec2`: a plain boto3 client of moto, to plant and inspect instances behind
  the driver's back.
* `make_driver(**settings)`: an `AwsDriver` pointed at moto (or elsewhere).
* `aws_region(**settings)`: a region of type `aws` created through the API.
* `fault_proxy` (from `plugins/aws/conftest.py`): an HTTP server before moto
  that answers chosen EC2 actions with errors moto cannot produce.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from vertice_core.convert import make_converter, structure
from vertice_core.driver import RegionConfig
from vertice_driver_aws import DRIVER, AwsCredentials, AwsSettings
from vertice_drivers.ports import free_port

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

AWS_REGION = "us-east-1"
DUMMY = {"access_key_id": "testing", "secret_access_key": "testing"}
#: The EC2 instance type of each built-in flavor in the tests' regions.
INSTANCE_TYPES = {"small": "t3.micro", "medium": "t3.medium", "large": "t3.large"}


class MotoPeer:
    """A running moto server: its URL, and the few admin calls tests need."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ec2: Any = None

    def _post(self, path: str, body: bytes = b"") -> None:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            reply.read()

    def reset(self) -> None:
        """Forget every resource (instances, IAM users...)."""
        self._post("/moto-api/reset")

    def authenticate(self, enabled: bool) -> None:
        """Make moto check every request's access key and signature against its IAM."""
        self._post("/moto-api/reset-auth", b"0" if enabled else b"inf")

    @property
    def ec2(self) -> Any:
        """One EC2 client with the dummy credentials (building a client takes a while)."""
        if self._ec2 is None:
            self._ec2 = self.client()
        return self._ec2

    def client(self, service: str = "ec2", **credentials: str) -> Any:
        """A boto3 client of moto with the dummy (or given) credentials."""
        keys = credentials or DUMMY
        return boto3.client(
            service,
            region_name=AWS_REGION,
            endpoint_url=self.url,
            aws_access_key_id=keys["access_key_id"],
            aws_secret_access_key=keys["secret_access_key"],
        )

    def iam_key(self, *, allow_ec2: bool) -> dict[str, str]:
        """A new IAM user's access key, with or without permission to use EC2."""
        iam = self.client("iam")
        name = f"u{uuid.uuid4().hex[:10]}"
        iam.create_user(UserName=name)
        if allow_ec2:
            allow = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
            policy = {"Version": "2012-10-17", "Statement": [allow]}
            iam.put_user_policy(UserName=name, PolicyName="ec2", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoPeer]:
    """moto's server on a free port of 127.0.0.1, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield MotoPeer(f"http://{host}:{port}")
    server.stop()


@pytest.fixture
def moto(moto_server: MotoPeer) -> Iterator[MotoPeer]:
    """moto, emptied before the test; authentication is off again after it."""
    moto_server.reset()
    yield moto_server
    moto_server.authenticate(False)


@pytest.fixture
def ec2(moto: MotoPeer) -> Any:
    """A boto3 EC2 client of moto, for what the test does behind the driver's back."""
    return moto.ec2


@pytest.fixture(scope="session")
def ubuntu_ami(moto_server: MotoPeer) -> str:
    """An Ubuntu AMI of moto's catalogue (owner amazon; the same after every reset)."""
    images = moto_server.ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["ubuntu/images/*"]}]
    )["Images"]
    return str(sorted(images, key=lambda i: i["ImageId"])[0]["ImageId"])


def region_settings(ami: str, **changes: Any) -> dict[str, Any]:
    """The JSON settings of a test region: one SDK attempt, short timeouts."""
    return {
        "images": {"1_virtualmachine_ubuntu": ami},
        "instance_types": dict(INSTANCE_TYPES),
        "image_owners": [],
        "sdk_attempts": 1,
        "connect_timeout": 1.0,
        "read_timeout": 10.0,
        **changes,
    }


@pytest.fixture(scope="session")
def settings_json(ubuntu_ami: str) -> Callable[..., dict[str, Any]]:
    """`settings_json(**changes)`: the JSON settings of a test region."""
    return lambda **changes: region_settings(ubuntu_ami, **changes)


def build_driver(
    url: str,
    settings: dict[str, Any],
    *,
    installation: str = "vti-aws-tests",
    credentials: dict[str, str] | None = None,
    provider_region: str = AWS_REGION,
) -> Any:
    """An `AwsDriver` for `url`, loaded through its `DriverInfo` as the registry does."""
    converter = make_converter()
    cls = DRIVER.load()
    return cls(
        RegionConfig(
            name="aws-test",
            cloud_type="aws",
            installation_id=installation,
            provider_region=provider_region,
            endpoint=url,
            settings=structure(converter, settings, AwsSettings),
            credentials=structure(converter, credentials or DUMMY, AwsCredentials),
        )
    )


@pytest.fixture(scope="session")
def driver_builder() -> Callable[..., Any]:
    """`build_driver(url, settings, installation=..., credentials=...)`, for wider scopes."""
    return build_driver


@pytest.fixture
def make_driver(
    moto: MotoPeer, settings_json: Callable[..., dict[str, Any]]
) -> Iterator[Callable[..., Any]]:
    """`make_driver(installation=..., endpoint=..., credentials=..., **settings)` on moto."""
    made: list[Any] = []

    def make(
        installation: str = "vti-aws-tests",
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        provider_region: str = AWS_REGION,
        **settings: Any,
    ) -> Any:
        driver = build_driver(
            moto.url if endpoint is None else endpoint,
            settings_json(**settings),
            installation=installation,
            credentials=credentials,
            provider_region=provider_region,
        )
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on."""
    return free_port()


# -- end to end: a region of type `aws` configured through the API --


@pytest.fixture
def aws_region(
    admin: Any, moto: MotoPeer, settings_json: Callable[..., dict[str, Any]]
) -> Callable[..., str]:
    """`aws_region(name="aws-test", endpoint=moto, credentials=dummy, **settings)`: POST it."""

    def configure(
        name: str = "aws-test",
        endpoint: str | None = None,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> str:
        body = {
            "name": name,
            "cloud_type": "aws",
            "provider_region": AWS_REGION,
            "endpoint": moto.url if endpoint is None else endpoint,
            "settings": settings_json(**settings),
            "credentials": credentials or DUMMY,
        }
        result = admin.post("/v3/regions", body)
        assert result.status_code == 201, result.json
        return name

    return configure


def instances_of(ec2: Any, tags: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every instance moto holds (all states) whose tags include `tags`."""
    tags = tags or {}
    found = []
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            for item in reservation["Instances"]:
                have = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                if all(have.get(k) == v for k, v in tags.items()):
                    found.append(item)
    return found


@pytest.fixture
def moto_instances(ec2: Any) -> Callable[..., list[dict[str, Any]]]:
    """`moto_instances(tags)`: moto's instances (all states) carrying those tags."""
    return lambda tags=None: instances_of(ec2, tags)
