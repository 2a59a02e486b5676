"""The EC2 service model the driver's clients are built from: the operations it calls.

botocore builds an EC2 client from the whole of EC2's model, as installed with it
(`botocore/data/ec2/<version>/service-2.json.gz`): some 750 operations and their
shapes, about 24 MB of live Python objects per boto3 session, for which the driver
calls 25 operations. Every region has its own session (boto3's are not safe to share
between threads), so each aws region cost that much again in the reconciler.

Here the model is read once per process with a loader of its own (thrown away with its
cache), cut down to `OPERATIONS`, the shapes they reach and no documentation, and
shared by every client: about 1 MB in all. The model is botocore's own data, only
smaller, so requests, responses and errors are what the whole model gives for those
operations. A call the driver makes that is not in `OPERATIONS` fails at once with
AttributeError, in the plugin's tests first (`test_aws_model.py` also reads the
driver's sources for the calls it makes).

Each session also read botocore's endpoint table (`endpoints.json`: every service of
every partition, 7 MB of live objects) for its legacy endpoint resolver, which a
client asks about its own service only. `TrimmedLoader` gives every session one
table, read once, with EC2's entries alone (`SERVICES`); the partitions, their
regions and defaults are whole.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.loaders

#: Every EC2 operation the driver calls, by botocore's (API) name.
OPERATIONS = frozenset(
    {
        "AttachVolume",
        "CreateImage",
        "CreateTags",
        "CreateVolume",
        "DeleteSnapshot",
        "DeleteTags",
        "DeleteVolume",
        "DeregisterImage",
        "DescribeAvailabilityZones",
        "DescribeImages",
        "DescribeInstanceAttribute",
        "DescribeInstanceTypes",
        "DescribeInstances",
        "DescribeSnapshots",
        "DescribeSubnets",
        "DescribeVolumes",
        "DescribeVolumesModifications",
        "DetachVolume",
        "ModifyInstanceAttribute",
        "ModifyVolume",
        "RebootInstances",
        "RunInstances",
        "StartInstances",
        "StopInstances",
        "TerminateInstances",
    }
)


#: The services whose endpoints the driver's sessions resolve.
SERVICES = frozenset({"ec2"})


@functools.lru_cache(maxsize=1)
def ec2_model() -> dict[str, Any]:
    """The trimmed EC2 model (built on first use, then shared; do not modify it). Two
    regions' threads starting at once may each build one; the cache keeps one."""
    whole = botocore.loaders.create_loader().load_service_model("ec2", "service-2")
    return trim(whole, OPERATIONS)


def trim(whole: dict[str, Any], operations: frozenset[str]) -> dict[str, Any]:
    """`whole` (a service-2 model) with only `operations`, the shapes their input,
    output and errors reach, and no documentation. Takes parts of `whole` (which is
    left unusable): it is meant to be thrown away."""
    shapes = whole["shapes"]
    kept: dict[str, Any] = {}
    ops: dict[str, Any] = {}
    for name in sorted(operations):
        op = whole["operations"][name]
        _undocument(op)
        ops[name] = op
        refs = [op[key] for key in ("input", "output") if key in op] + op.get("errors", [])
        for ref in refs:
            _keep(shapes, ref["shape"], kept)
    return {key: value for key, value in whole.items() if key not in ("operations", "shapes")} | {
        "operations": ops,
        "shapes": kept,
    }


@functools.lru_cache(maxsize=1)
def ec2_endpoints() -> tuple[dict[str, Any], str]:
    """botocore's endpoint table with only `SERVICES` in each partition, and the path it
    was read from (built on first use, then shared; do not modify it)."""
    whole, path = botocore.loaders.create_loader().load_data_with_path("endpoints")
    for partition in whole["partitions"]:
        services = partition.get("services", {})
        partition["services"] = {k: v for k, v in services.items() if k in SERVICES}
    return whole, path


class TrimmedLoader(botocore.loaders.Loader):
    """botocore's loader, giving the trimmed EC2 model for the newest API version and the
    trimmed endpoint table."""

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        if name == "endpoints":
            return ec2_endpoints()
        return super().load_data_with_path(name)

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        if (service_name, type_name, api_version) == ("ec2", "service-2", None):
            return ec2_model()
        return super().load_service_model(service_name, type_name, api_version)


def _keep(shapes: dict[str, Any], name: str, kept: dict[str, Any]) -> None:
    """Keep the shape `name` and every shape it reaches (iteratively: EC2's are deep)."""
    todo = [name]
    while todo:
        current = todo.pop()
        if current in kept:
            continue
        shape = kept[current] = shapes[current]
        _undocument(shape)
        refs = [shape[key] for key in ("member", "key", "value") if key in shape]
        refs += shape.get("members", {}).values()
        for ref in refs:
            _undocument(ref)
            todo.append(ref["shape"])


def _undocument(part: dict[str, Any]) -> None:
    """Drop a model part's documentation (an operation, a shape or a member's reference;
    never a `members` mapping, where "documentation" could be a member's name)."""
    part.pop("documentation", None)
    part.pop("documentationUrl", None)
