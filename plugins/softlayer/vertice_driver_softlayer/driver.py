"""The `softlayer` driver's verbs: observe, create, delete, start, stop, reboot, flavors, images.

One softlayer-python client per region. Every guest vertice orders is named
`<key>.<installation id>.<domain>` and tagged with vertice's ids (see
`translate`). `observe` lists them with one paged `SoftLayer_Account::
getVirtualGuests` (an object filter on the installation's domain, `resultLimit`
pages ordered by id) and checks each guest itself. SoftLayer has no idempotency
token, so `create` first looks for a live guest with the key's hostname in that
domain and returns it (tagging it if an earlier `create` stopped before
`setTags`); only when there is none does it order one.

The verbs read the guest first (`getObject`) and act on what it shows, so that
each is idempotent: a guest that is gone or being reclaimed is deleted already,
a halted one is not powered off again, and a guest with a transaction in flight
(a power change, a reload) is left to finish it.

`unmanaged` and `adopt` (`Capability.ADOPT`) live in `adoption`: a guest made by
hand is tagged and renamed into the installation's domain, so that `observe`
lists it as one it ordered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from vertice_core.driver import (
    CloudFlavor,
    CloudImage,
    Driver,
    Instance,
    InstanceSpec,
    RegionConfig,
)
from vertice_core.errors import TerminalError, TransientError, UnavailableError
from vertice_driver_softlayer import REBOOT_MODES, STOP_MODES, SoftLayerSettings, adoption
from vertice_driver_softlayer.catalog import flavors_of, images_of
from vertice_driver_softlayer.client import call, is_not_found, make_client
from vertice_driver_softlayer.states import power_of, reclaiming, state_of, transaction_of
from vertice_driver_softlayer.translate import (
    GUEST_MASK,
    create_template,
    domain_for,
    hostname_for,
    instance_of,
    tag_list,
    untagged,
    user_data_of,
)

#: `getVirtualGuests` ordered by id, so that `resultLimit` pages follow each other.
BY_ID = {"operation": "orderBy", "options": [{"name": "sort", "value": ["ASC"]}]}


class SoftLayerDriver(Driver):
    """The `softlayer` driver: SoftLayer virtual guests through softlayer-python."""

    def __init__(self, region: RegionConfig) -> None:
        super().__init__(region)
        self.settings: SoftLayerSettings = region.settings
        self.datacenter = self.settings.datacenter or region.provider_region
        if not self.datacenter:
            raise UnavailableError(
                f"region {region.name!r} names no SoftLayer datacenter: set its "
                "provider_region or settings.datacenter (for example 'dal13')",
                reason="RegionMisconfigured",
            )
        self.domain = domain_for(region.installation_id, self.settings)
        self.client = make_client(region)

    # -- reading --

    def guests(self, **where: Any) -> list[dict[str, Any]]:
        """Every guest in this installation's domain (narrowed by `where`), page by page."""
        return self.pages({"domain": {"operation": self.domain}, **where})

    def pages(self, where: dict[str, Any]) -> list[dict[str, Any]]:
        """Every guest of the account passing the `virtualGuests` object filter `where`, from
        one paged `getVirtualGuests` ordered by id (`resultLimit` pages of `page_size`)."""
        found: dict[int, dict[str, Any]] = {}
        size = self.settings.page_size
        query = {"virtualGuests": {**where, "id": BY_ID}}
        offset = 0
        while True:
            page = call(
                "SoftLayer_Account::getVirtualGuests",
                lambda at=offset: self.client.call(  # type: ignore[misc]
                    "Account",
                    "getVirtualGuests",
                    mask=GUEST_MASK,
                    filter=query,
                    limit=size,
                    offset=at,
                ),
            )
            # A guest ordered while the pages are read shifts the offsets: keep one copy.
            # A page with nothing new is an endpoint that ignores `resultLimit`: done.
            fresh = {int(guest["id"]): guest for guest in page if int(guest["id"]) not in found}
            found.update(fresh)
            if len(page) < size or not fresh:
                return [found[guest_id] for guest_id in sorted(found)]
            offset += size

    def observe(self) -> list[Instance]:
        """Every guest of this installation, all states, in one paged listing."""
        installation = self.region.installation_id
        seen = (instance_of(guest, installation, self.domain) for guest in self.guests())
        return [instance for instance in seen if instance is not None]

    def live_by_key(self, key: str) -> tuple[Instance, dict[str, Any]] | None:
        """The oldest guest of `key` that is not being reclaimed, with its document."""
        hostname = {"hostname": {"operation": hostname_for(key)}}
        for guest in self.guests(**hostname):
            instance = instance_of(guest, self.region.installation_id, self.domain)
            if instance is not None and instance.key == key and not reclaiming(guest):
                return instance, guest
        return None

    def guest(self, cloud_id: str, mask: str = GUEST_MASK) -> dict[str, Any] | None:
        """The guest's document; None when SoftLayer does not know it (any more)."""
        guest_id = _guest_id(cloud_id)
        try:
            found: dict[str, Any] = call(
                f"SoftLayer_Virtual_Guest::getObject {guest_id}",
                lambda: self.client.call("Virtual_Guest", "getObject", id=guest_id, mask=mask),
            )
        except TransientError as error:
            if is_not_found(error):
                return None
            raise
        return found

    # -- the verbs --

    def create(self, spec: InstanceSpec) -> Instance:
        """Order the guest of `spec.key`, or return the live one that has the key (looked
        up only when an earlier attempt may have created it: `spec.maybe_created`)."""
        existing = self.live_by_key(spec.key) if spec.maybe_created else None
        if existing is not None:
            instance, guest = existing
            if untagged(guest):
                self._tag(int(guest["id"]), spec)
            return instance
        template = create_template(spec, self.settings, self.datacenter, self.domain)
        ordered: dict[str, Any] = call(
            "SoftLayer_Virtual_Guest::createObject",
            lambda: self.client.call("Virtual_Guest", "createObject", template),
        )
        guest_id = int(ordered["id"])
        # If this fails, the guest is already known by its hostname: the next create tags it.
        self._tag(guest_id, spec)
        return Instance(
            key=spec.key,
            cloud_id=str(guest_id),
            state=state_of(ordered),
            public_ipv4=str(ordered.get("primaryIpAddress") or ""),
            private_ipv4=str(ordered.get("primaryBackendIpAddress") or ""),
            tags=dict(spec.tags),
            created_at=datetime.now(UTC),
        )

    def _tag(self, guest_id: int, spec: InstanceSpec) -> None:
        tags = tag_list(spec.tags)
        call(
            f"SoftLayer_Virtual_Guest::setTags {guest_id}",
            lambda: self.client.call("Virtual_Guest", "setTags", tags, id=guest_id),
        )

    def _act(self, method: str, guest_id: int) -> Any:
        try:
            return call(
                f"SoftLayer_Virtual_Guest::{method} {guest_id}",
                lambda: self.client.call("Virtual_Guest", method, id=guest_id),
            )
        except TransientError as error:
            if is_not_found(error):
                # Right after an order, or a guest deleted meanwhile: the next look tells.
                raise TransientError(error.message, reason="InstanceNotFound") from None
            raise

    def delete(self, cloud_id: str) -> None:
        """Cancel the guest now (`deleteObject`); one gone or being reclaimed is a success."""
        guest = self.guest(cloud_id)
        if guest is None or reclaiming(guest):
            return
        try:
            self._act("deleteObject", int(guest["id"]))
        except TransientError as error:
            if not is_not_found(error):
                raise

    def _power(self, cloud_id: str, verb: str, decide: Callable[[str], str | None]) -> None:
        guest = self.guest(cloud_id)
        if guest is None or reclaiming(guest):
            raise TransientError(
                f"softlayer: {verb}: guest {cloud_id} does not exist (or is being reclaimed)",
                reason="InstanceNotFound",
            )
        if transaction_of(guest):
            return  # a transaction is in flight (the last power change): the next look tells
        method = decide(power_of(guest))
        if method is not None:
            self._act(method, int(guest["id"]))

    def start(self, cloud_id: str) -> None:
        """Power on a halted guest, resume a paused one (a running one is left alone)."""

        def decide(power: str) -> str | None:
            methods = {"RUNNING": None, "HALTED": "powerOn", "PAUSED": "resume"}
            if power not in methods:
                raise _busy(cloud_id, "start", power)
            return methods[power]

        self._power(cloud_id, "start", decide)

    def stop(self, cloud_id: str) -> None:
        """Power a running guest off (`stop_mode`); a halted or paused one is left alone."""

        def decide(power: str) -> str | None:
            methods = {"RUNNING": STOP_MODES[self.settings.stop_mode], "HALTED": None}
            if power == "PAUSED":
                return None
            if power not in methods:
                raise _busy(cloud_id, "stop", power)
            return methods[power]

        self._power(cloud_id, "stop", decide)

    def reboot(self, cloud_id: str) -> None:
        """Reboot the guest in place (`reboot_mode`: same id, disks and addresses)."""
        self._act(REBOOT_MODES[self.settings.reboot_mode], _guest_id(cloud_id))

    # -- adopting what already runs (`adoption`) --

    def unmanaged(self) -> list[Instance]:
        """The account's live guests of no installation, from one paged listing of all."""
        return adoption.listing(self)

    def adopt(self, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Make the guest this installation's: tag it, and name it after the key in the
        installation's domain (`setTags`, `editObject`: no restart; see `adoption`)."""
        return adoption.adopt(self, cloud_id, tags)

    # -- what the cloud offers --

    def flavors(self) -> list[CloudFlavor]:
        """The mapped flavors and SoftLayer's presets (or its CPU and memory options)."""
        return flavors_of(self._create_options(), self.settings)

    def images(self) -> list[CloudImage]:
        """The mapped images, SoftLayer's operating systems, the account's image templates."""
        templates = call(
            "SoftLayer_Account::getPrivateBlockDeviceTemplateGroups",
            lambda: self.client.call(
                "Account",
                "getPrivateBlockDeviceTemplateGroups",
                mask="mask[id,name,globalIdentifier]",
            ),
        )
        return images_of(self._create_options(), templates, self.settings)

    def _create_options(self) -> dict[str, Any]:
        options: dict[str, Any] = call(
            "SoftLayer_Virtual_Guest::getCreateObjectOptions",
            lambda: self.client.call("Virtual_Guest", "getCreateObjectOptions"),
        )
        return options

    def launch_data(self, cloud_id: str) -> str:
        """The user data the guest was ordered with (tests read it back)."""
        guest = self.guest(cloud_id, mask="mask[id,userData[value]]")
        return "" if guest is None else user_data_of(guest)

    def close(self) -> None:
        """Close the HTTP connections to the endpoint."""
        self.client.transport.client.close()


def _guest_id(cloud_id: str) -> int:
    if not cloud_id.isdigit():
        raise TerminalError(
            f"softlayer: {cloud_id!r} is not a guest id", reason="InvalidInstanceId"
        )
    return int(cloud_id)


def _busy(cloud_id: str, verb: str, power: str) -> TransientError:
    return TransientError(
        f"softlayer: cannot {verb} guest {cloud_id} while its power state is "
        f"{power or 'unknown'}; retrying once it settles",
        reason="IncorrectInstanceState",
    )
