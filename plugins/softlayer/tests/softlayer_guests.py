"""The peer's account: SoftLayer guests as a small state machine behind the SDK's fixture server.

The SDK's fixture server answers every call from static fixtures; this module
gives the calls vertice makes a memory. Guests are ordered (`createObject`),
provisioned, powered off and on, rebooted, renamed and tagged, cancelled and
reclaimed, and `SoftLayer_Account::getVirtualGuests` lists them with SoftLayer's
object filter (the properties vertice filters on), object mask and `resultLimit`.

Time is counted in listings: each first page of `getVirtualGuests` moves every
transaction one step on, so a test's pace never depends on a clock. Documents
follow the recorded replies in `fixtures/`:
`v3__SoftLayer_Virtual_Guest_createObject.xml` (the order's reply: powerState
HALTED, no provisionDate), `v3_SoftLayer_Account_getVirtualGuests.xml` and
`v3__SoftLayer_Virtual_Guest_getObject.xml` (a provisioned guest: powerState
RUNNING, primaryIpAddress, primaryBackendIpAddress, provisionDate); a cancelled
guest shows status DISCONNECTED with a RECLAIM_WAIT transaction as in the SDK's
own `SoftLayer_Virtual_PlacementGroup` fixture. Transaction names other than
RECLAIM_WAIT are illustrative. `editObject` changes the guest's record only (see
`edit`): `Guest.boots`, the boots of its system, stays as it was. Faults use
SoftLayer's exception names as fault codes, with the messages its documentation
gives where it gives one.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any

from softlayer_documents import Guest, fault, matches, now

NOT_FOUND = "SoftLayer_Exception_ObjectNotFound"
#: What each power method needs the guest to be in, the transaction it starts, the outcome.
POWER = {
    "powerOn": ({"HALTED"}, "POWER_ON", "RUNNING"),
    "powerOff": ({"RUNNING", "PAUSED"}, "POWER_OFF", "HALTED"),
    "powerOffSoft": ({"RUNNING"}, "POWER_OFF_SOFT", "HALTED"),
    "resume": ({"PAUSED"}, "RESUME", "RUNNING"),
    "pause": ({"RUNNING"}, "PAUSE", "PAUSED"),
    "rebootSoft": ({"RUNNING"}, "REBOOT_SOFT", "RUNNING"),
    "rebootDefault": ({"RUNNING", "HALTED"}, "REBOOT", "RUNNING"),
    "rebootHard": ({"RUNNING", "HALTED"}, "REBOOT_HARD", "RUNNING"),
}
#: What `createObject` refuses to order without (SoftLayer_Exception_MissingCreationProperty).
REQUIRED = ("hostname", "domain", "datacenter", "hourlyBillingFlag", "localDiskFlag")
#: The transactions that boot the guest's system once they finish (provisioning does too).
BOOTING = {"POWER_ON", "REBOOT_SOFT", "REBOOT", "REBOOT_HARD"}
#: What `editObject` changes here: the properties the SDK's `VSManager.edit` sends.
EDITABLE = ("hostname", "domain", "notes")


class GuestAccount:
    """The guests of one SoftLayer account, and the knobs tests turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """No guests, no limits, default pace."""
        with self._lock:
            self.guests: dict[int, Guest] = {}
            self._ids = itertools.count(24_000_001)
            self._transactions = itertools.count(90_000_001)
            #: Listings a new guest provisions for, and a cancelled one is reclaimed for.
            self.provision_steps = 1
            self.reclaim_steps = 1
            #: Most guests the account may hold (None: no limit).
            self.max_guests: int | None = None
            #: `deleteObject` calls acknowledged and not carried out (the ghost guests).
            self.ignored_cancels = 0

    # -- the calls --

    def list_guests(self, where: Mapping[str, Any], names: set[str] | None,
                    limit: int | None, offset: int | None) -> list[dict[str, Any]]:  # fmt: skip
        """`SoftLayer_Account::getVirtualGuests`: filtered, ordered by id, one page."""
        with self._lock:
            if not offset:
                self._advance()
            found = [g for _, g in sorted(self.guests.items()) if not g.gone and matches(g, where)]
            start = offset or 0
            page = found[start : start + limit] if limit else found[start:]
            return [guest.document(names) for guest in page]

    def get(self, guest_id: int, names: set[str] | None) -> dict[str, Any]:
        """`SoftLayer_Virtual_Guest::getObject`."""
        with self._lock:
            return self._guest(guest_id).document(names)

    def create(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """`SoftLayer_Virtual_Guest::createObject`: order a guest (it provisions meanwhile)."""
        for name in REQUIRED:
            if name not in template:
                raise fault(
                    "SoftLayer_Exception_MissingCreationProperty",
                    f"Property '{name}' must be set to create an instance of "
                    "'SoftLayer_Virtual_Guest'.",
                )
        if not (
            "operatingSystemReferenceCode" in template or "blockDeviceTemplateGroup" in template
        ):
            raise fault(
                "SoftLayer_Exception_MissingCreationProperty",
                "Property 'operatingSystemReferenceCode' must be set to create an instance "
                "of 'SoftLayer_Virtual_Guest'.",
            )
        with self._lock:
            live = [g for g in self.guests.values() if not g.gone]
            if self.max_guests is not None and len(live) >= self.max_guests:
                raise fault(
                    "SoftLayer_Exception_Public",
                    "Unable to place the order: the maximum number of virtual guests "
                    f"({self.max_guests}) for this account has been reached.",
                )
            guest = Guest(
                id=next(self._ids),
                hostname=str(template["hostname"]),
                domain=str(template["domain"]),
                template=dict(template),
            )
            self._begin(guest, "ATTACH_PRIMARY_DISK", "RUNNING", self.provision_steps)
            self.guests[guest.id] = guest
            return guest.document(None) | {"activeTransaction": ""}

    def set_tags(self, guest_id: int, tags: str) -> bool:
        """`SoftLayer_Virtual_Guest::setTags`: replace the guest's tags."""
        with self._lock:
            guest = self._guest(guest_id)
            guest.tags = [t.strip() for t in tags.split(",") if t.strip()]
            return True

    def edit(self, guest_id: int, template: Any) -> bool:
        """`SoftLayer_Virtual_Guest::editObject`: set the properties the skeleton object
        names, leave the others alone, answer true. A change of SoftLayer's record: no
        transaction, no power action, the guest's system is not booted again. Properties
        other than `EDITABLE` are refused (the peer's choice, and its illustrative
        message: the reference does not list what SoftLayer refuses)."""
        if not isinstance(template, Mapping):
            raise fault(
                "SoftLayer_Exception_InvalidValue",
                "editObject expects a SoftLayer_Virtual_Guest skeleton object.",
            )
        for name, value in template.items():
            if name not in EDITABLE:
                raise fault(
                    "SoftLayer_Exception_Public",
                    f"Property '{name}' of 'SoftLayer_Virtual_Guest' may not be edited.",
                )
            if name != "notes" and not str(value).strip():
                raise fault("SoftLayer_Exception_InvalidValue", f"Invalid value for '{name}'.")
        with self._lock:
            guest = self._guest(guest_id)
            for name, value in template.items():
                setattr(guest, name, str(value))
            return True

    def power(self, guest_id: int, method: str) -> bool:
        """`powerOn`, `powerOff(Soft)`, `pause`, `resume`, `reboot*`: start the transaction."""
        allowed, transaction, outcome = POWER[method]
        with self._lock:
            guest = self._guest(guest_id)
            if guest.transaction or guest.power not in allowed:
                raise fault(
                    "SoftLayer_Exception_Public",
                    f"Unable to {method} guest {guest_id}: it is {guest.power.lower()}"
                    + (f" with a {guest.transaction} transaction." if guest.transaction else "."),
                )
            if method.startswith("reboot"):
                guest.reboots += 1
            self._begin(guest, transaction, outcome, 1)
            return True

    def cancel(self, guest_id: int) -> bool:
        """`SoftLayer_Virtual_Guest::deleteObject`: cancel now; the guest is reclaimed."""
        with self._lock:
            guest = self._guest(guest_id)
            if self.ignored_cancels > 0:
                self.ignored_cancels -= 1  # acknowledged, and nothing happens: a ghost
                return True
            guest.status = "DISCONNECTED"
            self._begin(guest, "RECLAIM_WAIT", "HALTED", self.reclaim_steps)
            return True

    # -- behind the API --

    def plant(self, hostname: str, domain: str, tags: list[str] | None = None,
              power: str = "RUNNING") -> Guest:  # fmt: skip
        """A provisioned guest ordered behind vertice's back."""
        with self._lock:
            guest = Guest(id=next(self._ids), hostname=hostname, domain=domain, power=power)
            guest.tags = list(tags or [])
            self._addresses(guest)
            guest.provision_date = now()
            guest.boots = 1 if power == "RUNNING" else 0
            self.guests[guest.id] = guest
            return guest

    def by_hand(self, hostname: str, domain: str = "example.com", tags: str = "owner:ops") -> int:
        """A guest an operator orders behind vertice's back (`createObject`, then `setTags`),
        provisioning as any order; its id."""
        template = {
            "hostname": hostname,
            "domain": domain,
            "datacenter": {"name": "dal13"},
            "hourlyBillingFlag": True,
            "localDiskFlag": True,
            "startCpus": 1,
            "maxMemory": 1024,
            "operatingSystemReferenceCode": "UBUNTU_22_64",
        }
        guest_id = int(self.create(template)["id"])
        self.set_tags(guest_id, tags)
        return guest_id

    def by_hostname(self, hostname: str) -> list[Guest]:
        """The guests (reclaimed ones too) with that hostname."""
        with self._lock:
            return [g for g in self.guests.values() if g.hostname == hostname]

    def _guest(self, guest_id: int) -> Guest:
        guest = self.guests.get(guest_id)
        if guest is None or guest.gone:
            raise fault(NOT_FOUND, f"Unable to find object with id of '{guest_id}'.")
        return guest

    def _begin(self, guest: Guest, transaction: str, outcome: str, steps: int) -> None:
        guest.transaction, guest.outcome, guest.steps = transaction, outcome, steps
        guest.transaction_id = next(self._transactions)

    def _addresses(self, guest: Guest) -> None:
        n = guest.id % 250 + 2
        guest.public_ip, guest.private_ip = f"169.47.{guest.id % 200}.{n}", f"10.55.43.{n}"

    def _advance(self) -> None:
        """One step of time: transactions move on, finished ones leave their outcome."""
        for guest in self.guests.values():
            if not guest.transaction:
                continue
            guest.steps -= 1
            if guest.steps > 0:
                continue
            if guest.transaction == "RECLAIM_WAIT":
                guest.gone = True  # reclaimed: no longer listed nor found
            if not guest.provision_date:
                guest.provision_date = now()
                self._addresses(guest)
                guest.boots += 1
            elif guest.transaction in BOOTING:
                guest.boots += 1
            guest.power, guest.transaction, guest.outcome = guest.outcome, "", ""
