"""The peer's routes: which ARM operation a request is, and what the model answers.

Listings are paged like the recorded list pages (`{"value": [...], "nextLink": ...}`,
`$skiptoken` in the link); accepted PUT, POST and DELETE answer with the
`Azure-AsyncOperation` (and, for POST and DELETE, `Location`) headers of the
recorded exchange; the `Location` poll (`monitor=true`) answers 202 until the
operation is done, then 200. A PATCH of a VM (`virtualMachines.update`) answers
200 with the VM document and an `Azure-AsyncOperation`, as a PUT of an existing VM.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import attrs

from azure_arm_peer.arm import ArmModel
from azure_arm_peer.checks import Refused

_VERBS = {"start", "powerOff", "deallocate", "restart"}
_NETWORK = {"networkinterfaces": "networkInterfaces", "publicipaddresses": "publicIPAddresses"}


@attrs.define
class Reply:
    """What the handler sends."""

    status: int
    doc: Any = None
    headers: dict[str, str] = attrs.Factory(dict)


def action_of(method: str, parts: list[str]) -> tuple[str, str]:
    """The ARM operation a request calls (`virtualMachines.createOrUpdate`...) and its target."""
    lower = [p.lower() for p in parts]
    if lower[2] == "providers":  # subscription-wide
        if "operations" in lower:
            return "operations.get", parts[-1]
        kind = "virtualMachineSizes.list" if lower[-1] == "vmsizes" else "virtualMachines.listAll"
        return kind, ""
    kind = lower[6] if len(lower) > 6 else ""
    if kind in _NETWORK:
        return f"{_NETWORK[kind]}.list", ""
    if kind == "images":
        return "images.listByResourceGroup", ""
    if len(parts) == 7:
        return "virtualMachines.list", ""
    if len(parts) == 9:
        verb = parts[8] if parts[8] in _VERBS else "instanceView"
        return f"virtualMachines.{verb}", parts[7]
    verbs = {"PUT": "createOrUpdate", "PATCH": "update", "DELETE": "delete"}
    return f"virtualMachines.{verbs.get(method, 'get')}", parts[7]


@attrs.frozen
class Request:
    """One ARM request, parsed."""

    action: str
    parts: list[str]
    query: dict[str, str]
    body: bytes
    url: str  # the peer's base URL
    if_match: str = ""  # the request's `If-Match` header

    @property
    def group(self) -> str:
        """The resource group the path names ('' for subscription-wide paths)."""
        return self.parts[3] if self.parts[2].lower() == "resourcegroups" else ""

    def page(self, docs: list[dict[str, Any]], size: int) -> Reply:
        """One page of a listing, with a `nextLink` when more follow."""
        ordered = sorted(docs, key=lambda d: str(d.get("id", "")).lower())
        start = int(self.query.get("$skiptoken") or 0)
        reply: dict[str, Any] = {"value": ordered[start : start + size]}
        if start + size < len(ordered):
            rest = {k: v for k, v in self.query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(start + size)
            path = "/".join(urllib.parse.quote(p) for p in self.parts)
            reply["nextLink"] = f"{self.url}/{path}?{urllib.parse.urlencode(rest)}"
        return Reply(200, reply)

    def operation_url(self, subscription: str, location: str, name: str, monitor: bool) -> str:
        """An operation's URL, shaped like the recorded `azure-asyncoperation`/`location`."""
        version = self.query.get("api-version", "")
        query = f"monitor=true&api-version={version}" if monitor else f"api-version={version}"
        path = f"subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}"
        return f"{self.url}/{path}/operations/{name}?{query}"


def route(arm: ArmModel, request: Request, page_size: int, operation_error: str) -> Reply:
    """Answer one ARM request from the model (which the caller has locked and settled)."""
    action = request.action
    if action == "virtualMachineSizes.list":
        return Reply(200, arm.recorded("vm_sizes"))  # served as recorded
    if action == "images.listByResourceGroup":
        return Reply(200, {"value": []})
    if action.endswith((".list", ".listAll")):
        return request.page(_listing(arm, request), page_size)
    if action == "operations.get":
        return _operation(arm, request)
    if action in ("virtualMachines.get", "virtualMachines.instanceView"):
        return _read(arm, request)
    if action == "virtualMachines.createOrUpdate":
        body = json.loads(request.body or b"{}")
        status, vm, op = arm.put(request.group, request.parts[7], body, operation_error)
        url = request.operation_url(arm.subscription, vm.doc["location"], op, False)
        return Reply(status, vm.doc, {"Azure-AsyncOperation": url})
    if action == "virtualMachines.update":
        body = json.loads(request.body or b"{}")
        op = arm.patch(request.group, request.parts[7], body, request.if_match)
        vm = arm.find(request.group, request.parts[7])
        url = request.operation_url(arm.subscription, vm.doc["location"], op, False)
        return Reply(200, vm.doc, {"Azure-AsyncOperation": url})
    return _act(arm, request)


def _operation(arm: ArmModel, request: Request) -> Reply:
    """The `Azure-AsyncOperation` status, or the `Location` poll (`monitor=true`)."""
    location, name = request.parts[5], request.parts[7]
    done, doc = arm.operations.view(name)
    if request.query.get("monitor") != "true":
        return Reply(200, doc)
    if done:
        return Reply(200)
    return Reply(
        202, None, {"Location": request.operation_url(arm.subscription, location, name, True)}
    )


def _read(arm: ArmModel, request: Request) -> Reply:
    """A VM (with `$expand=instanceView`, its instance view inside), or its instance view."""
    vm = arm.find(request.group, request.parts[7])
    if request.action == "virtualMachines.instanceView":
        return Reply(200, arm.instance_view(vm))
    doc = json.loads(json.dumps(vm.doc))
    if request.query.get("$expand") == "instanceView":
        doc["properties"]["instanceView"] = arm.instance_view(vm, "vm_expanded")
    return Reply(200, doc)


def _act(arm: ArmModel, request: Request) -> Reply:
    """A verb or a delete: 202 with the operation's headers (204 for a VM already gone)."""
    op = arm.act(request.group, request.parts[7], request.action.rsplit(".", 1)[1])
    if op is None:
        return Reply(204)
    location = arm.operations[op].location
    headers = {
        "Azure-AsyncOperation": request.operation_url(arm.subscription, location, op, False),
        "Location": request.operation_url(arm.subscription, location, op, True),
    }
    return Reply(202, None, headers)


def _listing(arm: ArmModel, request: Request) -> list[dict[str, Any]]:
    group, action = request.group.lower(), request.action
    if action == "virtualMachines.list":
        if "$expand" in request.query and "$filter" not in request.query:
            raise Refused(
                400,
                "InvalidParameter",
                "The $expand=instanceView option can only be specified with a valid $filter.",
            )
        return [vm.doc for vm in arm.vms.values() if vm.group.lower() == group]
    if action == "virtualMachines.listAll":
        if request.query.get("statusOnly") == "true":
            return [arm.status_only(vm) for vm in arm.vms.values()]
        return [vm.doc for vm in arm.vms.values()]
    found = arm.nics if action == "networkInterfaces.list" else arm.public_ips
    return [doc for ident, doc in found.items() if f"/resourcegroups/{group}/" in ident]
