"""The peer's guest documents: one guest's record, object masks and object filters.

A `Guest` renders itself as SoftLayer's `SoftLayer_Virtual_Guest` documents do, in
the shape of the recorded `v3__SoftLayer_Virtual_Guest_getObject.xml` and
`v3_SoftLayer_Account_getVirtualGuests.xml` (local properties such as `hostname`,
`primaryIpAddress`, `provisionDate`; relational ones such as `powerState`,
`status`, `activeTransaction`, `tagReferences`), limited to the top-level
properties an object mask names, as SoftLayer limits them. `matches` applies the
`virtualGuests` object filters vertice sends (exact `domain` and `hostname`,
`id` ordering, tag names).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SoftLayer import SoftLayerAPIError


def fault(code: str, message: str) -> SoftLayerAPIError:
    """A fault the server sends as XML-RPC `<fault>` (faultCode = SoftLayer's exception)."""
    return SoftLayerAPIError(code, message)


def now() -> str:
    """A SoftLayer timestamp (ISO 8601 with the offset, as in the recorded replies)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Guest:
    """One guest of the account."""

    id: int
    hostname: str
    domain: str
    template: dict[str, Any] = field(default_factory=dict)
    power: str = "HALTED"
    status: str = "ACTIVE"
    transaction: str = ""
    transaction_id: int = 0
    #: Listings left before the transaction finishes, and the power state it leaves.
    steps: int = 0
    outcome: str = ""
    provision_date: str = ""
    public_ip: str = ""
    private_ip: str = ""
    tags: list[str] = field(default_factory=list)
    created: str = field(default_factory=now)
    notes: str = ""
    reboots: int = 0
    #: Boots of the guest's system: its first, and each power-on or reboot since.
    boots: int = 0
    gone: bool = False

    def document(self, names: set[str] | None) -> dict[str, Any]:
        """The guest as SoftLayer returns it, limited to the mask's top-level properties."""
        full: dict[str, Any] = {
            "id": self.id,
            "accountId": 282402,
            "hostname": self.hostname,
            "domain": self.domain,
            "fullyQualifiedDomainName": f"{self.hostname}.{self.domain}",
            "createDate": self.created,
            "provisionDate": self.provision_date,
            "primaryIpAddress": self.public_ip,
            "primaryBackendIpAddress": self.private_ip,
            "maxCpu": int(self.template.get("startCpus") or 1),
            "maxMemory": int(self.template.get("maxMemory") or 1024),
            "statusId": 1001 if self.status == "ACTIVE" else 1002,
            "powerState": {"keyName": self.power, "name": self.power.title()},
            "status": {"keyName": self.status, "name": self.status.title()},
            "activeTransaction": (
                {
                    "id": self.transaction_id,
                    "transactionStatus": {
                        "name": self.transaction,
                        "friendlyName": self.transaction.replace("_", " ").title(),
                    },
                }
                if self.transaction
                else ""
            ),
            "notes": self.notes,
            "tagReferences": [{"tag": {"name": tag}} for tag in self.tags],
            "userData": list(self.template.get("userData") or []),
            "datacenter": self.template.get("datacenter") or {},
        }
        return full if names is None else {k: v for k, v in full.items() if k in names}


def mask_names(mask: Any) -> set[str] | None:
    """The top-level property names of an object mask (`mask[id,powerState[keyName]]`)."""
    if not mask:
        return None
    text = str(mask).strip()
    text = text.removeprefix("mask")
    text = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    names, depth, current = set(), 0, ""
    for char in text + ",":
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            names.add(current.strip().split(".")[0])
            current = ""
            continue
        if depth == 0 and char != "]":
            current += char
    return {name for name in names if name}


def matches(guest: Guest, where: Mapping[str, Any]) -> bool:
    """Whether a guest passes a `virtualGuests` object filter (the properties vertice uses)."""
    for name, condition in where.items():
        operation = condition.get("operation") if isinstance(condition, Mapping) else None
        if operation == "orderBy":
            continue
        if name in ("domain", "hostname"):
            value = str(operation).removeprefix("_= ").strip().lower()
            if getattr(guest, name).lower() != value:
                return False
        elif name == "tagReferences":
            wanted = {o["value"] for o in condition["tag"]["name"]["options"]}
            if not wanted & set(guest.tags):
                return False
        else:
            raise NotImplementedError(f"the peer does not filter on virtualGuests.{name}")
    return True
