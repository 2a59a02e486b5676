"""The trimmed EC2 model (`model.py`): complete for what the driver calls, closed, shared.

The driver's clients know only `OPERATIONS`; these tests read the driver's sources for
every client method and paginator it uses, so a new call fails here, by name, rather
than as an AttributeError in one test of many. The rest of the plugin's tests drive
those operations against moto through the trimmed model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
from botocore import xform_name

from vertice_core.driver import RegionConfig
from vertice_driver_aws import AwsCredentials, AwsSettings
from vertice_driver_aws.client import make_client
from vertice_driver_aws.model import (
    OPERATIONS,
    SERVICES,
    TrimmedLoader,
    ec2_endpoints,
    ec2_model,
    trim,
)

SOURCES = Path(__file__).resolve().parents[1] / "vertice_driver_aws"
CALLED = re.compile(r"client\.(\w+)\(")
PAGINATED = re.compile(r"get_paginator\(\s*\"(\w+)\"")


def whole() -> dict[str, Any]:
    return botocore.loaders.create_loader().load_service_model("ec2", "service-2")


def test_every_operation_the_driver_calls_is_kept() -> None:
    by_method = {xform_name(name): name for name in whole()["operations"]}
    code = "\n".join(path.read_text() for path in sorted(SOURCES.glob("*.py")))
    methods = set(CALLED.findall(code)) | set(PAGINATED.findall(code))
    called = {by_method[method] for method in methods if method in by_method}
    assert "RunInstances" in called and "DescribeInstances" in called  # the regexes see calls
    assert called <= OPERATIONS, f"add to model.OPERATIONS: {sorted(called - OPERATIONS)}"
    assert called >= OPERATIONS, f"no longer called: {sorted(OPERATIONS - called)}"


def test_the_trimmed_model_is_closed_and_undocumented() -> None:
    model = trim(whole(), OPERATIONS)
    assert set(model["operations"]) == OPERATIONS
    shapes = model["shapes"]
    for shape in shapes.values():
        assert "documentation" not in shape
        refs = [shape[key] for key in ("member", "key", "value") if key in shape]
        for ref in refs + list(shape.get("members", {}).values()):
            assert ref["shape"] in shapes
            assert "documentation" not in ref
    assert "DescribeVpcsRequest" not in shapes  # an operation the driver never calls
    assert model["metadata"]["endpointPrefix"] == "ec2"


def test_clients_share_one_trimmed_model() -> None:
    def client(name: str) -> Any:
        region = RegionConfig(
            name=name, cloud_type="aws", installation_id="i", provider_region="us-east-1",
            endpoint="http://127.0.0.1:9", settings=AwsSettings(images={}),
            credentials=AwsCredentials(access_key_id="a", secret_access_key="b"),
        )  # fmt: skip
        return make_client(region)

    first, second = client("one"), client("two")
    for each in (first, second):
        assert each.meta.service_model.operation_names == sorted(OPERATIONS)
        assert hasattr(each, "run_instances") and not hasattr(each, "describe_vpcs")
    model = ec2_model()
    assert first.meta.service_model._service_description is model
    assert second.meta.service_model._service_description is model


def test_the_endpoint_table_keeps_ec2_alone_and_resolves_as_botocore_does() -> None:
    table, path = ec2_endpoints()
    assert botocore.loaders.create_loader().is_builtin_path(path)
    for partition in table["partitions"]:
        assert set(partition["services"]) <= SERVICES
    assert any("ec2" in p["services"] for p in table["partitions"])

    def url(region: str, trimmed: bool) -> str:
        session = botocore.session.get_session()
        if trimmed:
            session.register_component("data_loader", TrimmedLoader())
        client = session.create_client(
            "ec2", region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
        )
        return str(client.meta.endpoint_url)

    regions = ("us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "us-iso-east-1")
    assert [url(r, trimmed=True) for r in regions] == [url(r, trimmed=False) for r in regions]
    assert url("cn-north-1", trimmed=True).endswith(".amazonaws.com.cn")
