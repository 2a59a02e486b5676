"""The sim driver's day-2 verbs that keep to the cloud's side files and tables:
snapshots (`vertice_drivers.simimages`) and adoption (instances of no installation,
made in the simulated console). A mixin of `SimDriver`; the verbs that change an
instance's power or size stay in `vertice_drivers.sim`, beside the state machine.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, CloudImage, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_drivers.simcloud import public_ip
from vertice_drivers.simimages import cloud_image

if TYPE_CHECKING:
    from vertice_core.driver import RegionConfig
    from vertice_drivers.sim import SimSettings
    from vertice_drivers.simcloud import SimCloud
    from vertice_drivers.simimages import SimImages


class _Sim(Protocol):
    """What the verbs use of `SimDriver`."""

    cloud: SimCloud
    settings: SimSettings
    region: RegionConfig

    @property
    def snapshot_store(self) -> SimImages: ...

    def _call(self, verb: str, target: str = "") -> None: ...

    def _instance(self, item: dict[str, Any]) -> Instance: ...

    def _existing(self, cloud_id: str) -> dict[str, Any] | None: ...

    def _live(self, cloud_id: str) -> dict[str, Any]: ...


class SimDayTwo:
    """Snapshots and adoption on the simulated cloud."""

    def snapshot(self: _Sim, cloud_id: str, name: str) -> CloudImage:
        """The installation's image called `name`, made now from the instance's disk if
        there is none; it is pending for `boot_time` seconds."""
        self._call("snapshot", cloud_id)
        account, installation, now = self.settings.account, self.region.installation_id, time.time()
        found = self.snapshot_store.named(account, installation, name)
        if found is None:
            found = self.snapshot_store.make(
                account=account,
                installation=installation,
                name=name,
                instance=self._live(cloud_id),
                now=now,
                ready_at=now + self.settings.boot_time,
            )
        return cloud_image(found, now)

    def snapshots(self: _Sim) -> list[CloudImage]:
        self._call("snapshots")
        now = time.time()
        rows = self.snapshot_store.of(self.settings.account, self.region.installation_id)
        return [cloud_image(row, now) for row in rows]

    def delete_snapshot(self: _Sim, image_id: str) -> None:
        self._call("delete_snapshot", image_id)
        found = self.snapshot_store.get(self.settings.account, image_id)
        if found is None:
            return
        if found["installation"] != self.region.installation_id:
            raise TerminalError(
                f"sim: image {image_id} is not a snapshot of this installation",
                reason="NotOurs",
            )
        self.snapshot_store.delete(self.settings.account, image_id)

    # -- adopting what already runs --

    def unmanaged(self: _Sim) -> list[Instance]:
        """The account's instances of no installation (made in the console, `hand_made`)."""
        self._call("unmanaged")
        found, after, now = [], "", time.time()
        while True:
            page, more = self.cloud.page(self.settings.account, "", after, 1000, now)
            found += [attrs.evolve(self._instance(item), key="") for item in page]
            if not more:
                return found
            after = page[-1]["id"]

    def adopt(self: _Sim, cloud_id: str, tags: Mapping[str, str]) -> Instance:
        """Set the instance's installation and key, and add `tags` to its own."""
        self._call("adopt", cloud_id)
        installation = tags.get(TAG_INSTALLATION, "")
        self.cloud.adopt(self.settings.account, cloud_id, installation, tags[TAG_KEY], tags)
        item = self._existing(cloud_id)
        if item is None or item["state"] == "terminated":
            raise TerminalError(f"sim: instance {cloud_id} does not exist", reason="NotFound")
        if item["installation"] != installation or item["key"] != tags[TAG_KEY]:
            raise TerminalError(f"sim: instance {cloud_id} is managed already (installation "
                                f"{item['installation']!r}, key {item['key']!r})",
                                reason="ManagedElsewhere")  # fmt: skip
        return self._instance(item)

    def hand_made(self: _Sim, tags: Mapping[str, str] | None = None) -> str:
        """Make a running instance as an operator would in the cloud's console: of no
        installation, with `tags` of its own (not a driver verb: tests and demos)."""
        return hand_made(self.cloud, self.settings.account, tags, self.settings.address)


def hand_made(
    cloud: SimCloud,
    account: str = "default",
    tags: Mapping[str, str] | None = None,
    address: str = "",
) -> str:
    """The id of a running instance made in the sim's console (`SimDayTwo.hand_made`), in
    the simulated cloud's file behind `cloud` (`vertice_drivers.sim.cloud_at`): tests of
    adoption make one without a driver."""
    now, key = time.time(), f"hand-{secrets.token_hex(6)}"
    made = cloud.insert(
        account=account, key=key, tags=dict(tags or {"owner": "ops"}), installation="",
        image="ubuntu", size="sim.small", boot_at=now, now=now,
        public_ip=address or public_ip(key), ports=[], stop_at=None, launch={},
    )  # fmt: skip
    if not isinstance(made, dict):  # no capacity given, a fresh key: never so
        raise TransientError("sim: the hand-made instance was not inserted")
    return str(made["id"])
