"""The simulated cloud's disks (`Capability.DISKS`): a table beside its instances.

A disk is a row named uniquely per account and installation, as `create_disk`
is idempotent by name; it is `creating` for `boot_time` seconds, then usable.
Its attachment is the id of the instance it is plugged into, as a device name
(`/dev/vdb` onwards); an instance that is terminated or gone holds no disk, so a
deleted instance's disks are listed detached, as a cloud detaches them when it
deletes the instance. `SimDisks` is a mixin of `SimDriver` holding the verbs.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import time
import weakref
from typing import TYPE_CHECKING, Any, Protocol

from vertice_core.driver import CloudDisk, DiskState
from vertice_core.errors import TerminalError, TransientError

if TYPE_CHECKING:
    from vertice_core.driver import RegionConfig
    from vertice_drivers.sim import SimSettings
    from vertice_drivers.simcloud import SimCloud

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS disks (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    installation TEXT NOT NULL,
    name TEXT NOT NULL,
    size_gb INTEGER NOT NULL,
    attached_to TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    ready_at REAL NOT NULL
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_disks_name ON disks (account, installation, name)",
)
_COLUMNS = "id, account, installation, name, size_gb, attached_to, device, created_at, ready_at"
#: The devices a disk is attached as, in order.
_DEVICES = tuple(f"/dev/vd{letter}" for letter in "bcdefghijklmnop")
#: The cloud files whose disk table is made (in this process).
_MADE: weakref.WeakSet[SimCloud] = weakref.WeakSet()


def make_table(cloud: SimCloud) -> None:
    """Make the disk table of the cloud's file, once per process (tests read it too)."""
    if cloud not in _MADE:
        for statement in _SCHEMA:
            cloud.read(statement)
        _MADE.add(cloud)


class _Sim(Protocol):
    """What the verbs use of `SimDriver`."""

    cloud: SimCloud
    settings: SimSettings
    region: RegionConfig

    def _call(self, verb: str, target: str = "") -> None: ...

    def _live(self, cloud_id: str) -> dict[str, Any]: ...

    def _existing(self, cloud_id: str) -> dict[str, Any] | None: ...

    def _disk_rows(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]: ...

    def _disk(self, disk_id: str) -> dict[str, Any]: ...

    def _held_by(self, row: dict[str, Any]) -> str: ...


class SimDisks:
    """Disks on the simulated cloud."""

    def disks(self: _Sim) -> list[CloudDisk]:
        self._call("disks")
        now = time.time()
        rows = self._disk_rows("AND installation=?", (self.region.installation_id,))
        return [_cloud_disk(row, self._held_by(row), now) for row in rows]

    def create_disk(self: _Sim, name: str, size_gb: int) -> CloudDisk:
        """The installation's disk called `name`, made now if there is none."""
        self._call("create_disk", name)
        now, account = time.time(), self.settings.account
        installation = self.region.installation_id
        rows = self._disk_rows("AND installation=? AND name=?", (installation, name))
        if not rows:  # a name taken meanwhile fails the insert: that disk is the answer
            with contextlib.suppress(sqlite3.IntegrityError):
                self.cloud.write(
                    f"INSERT INTO disks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, '', '', ?, ?)",  # noqa: S608
                    (f"sim-vol-{secrets.token_hex(6)}", account, installation, name, size_gb,
                     now, now + self.settings.boot_time),
                )  # fmt: skip
            rows = self._disk_rows("AND installation=? AND name=?", (installation, name))
        if not rows:
            raise TransientError("sim: the disk was deleted while it was made")
        return _cloud_disk(rows[0], self._held_by(rows[0]), now)

    def attach_disk(self: _Sim, disk_id: str, cloud_id: str) -> str:
        self._call("attach_disk", disk_id)
        row = self._disk(disk_id)
        held = self._held_by(row)
        if held == cloud_id:
            return str(row["device"])
        if held:
            raise TerminalError(f"sim: disk {disk_id} is attached to {held}", reason="DiskInUse")
        if time.time() < row["ready_at"]:
            raise TransientError(f"sim: disk {disk_id} is still being made", reason="DiskNotReady")
        self._live(cloud_id)  # NotFound when the instance is gone
        taken = {r["device"] for r in self._disk_rows("AND attached_to=?", (cloud_id,))}
        device = next((d for d in _DEVICES if d not in taken), "")
        if not device:
            raise TerminalError(f"sim: instance {cloud_id} has no free device", reason="NoDevice")
        self.cloud.write("UPDATE disks SET attached_to=?, device=? WHERE account=? AND id=?",
                         (cloud_id, device, self.settings.account, disk_id))  # fmt: skip
        return device

    def detach_disk(self: _Sim, disk_id: str) -> None:
        self._call("detach_disk", disk_id)
        self.cloud.write("UPDATE disks SET attached_to='', device='' WHERE account=? AND id=?",
                         (self.settings.account, disk_id))  # fmt: skip

    def resize_disk(self: _Sim, disk_id: str, size_gb: int) -> None:
        self._call("resize_disk", disk_id)
        row = self._disk(disk_id)
        if size_gb < row["size_gb"]:
            raise TerminalError(f"sim: disk {disk_id} has {row['size_gb']} GiB and cannot "
                                f"shrink to {size_gb}", reason="CannotShrink")  # fmt: skip
        self.cloud.write("UPDATE disks SET size_gb=? WHERE account=? AND id=?",
                         (size_gb, self.settings.account, disk_id))  # fmt: skip

    def delete_disk(self: _Sim, disk_id: str) -> None:
        self._call("delete_disk", disk_id)
        found = self._disk_rows("AND id=?", (disk_id,))
        if not found:
            return
        row = found[0]
        if row["installation"] != self.region.installation_id:
            raise TerminalError(f"sim: disk {disk_id} is not this installation's",
                                reason="NotOurs")  # fmt: skip
        if held := self._held_by(row):
            raise TerminalError(f"sim: disk {disk_id} is attached to {held}", reason="DiskInUse")
        self.cloud.write("DELETE FROM disks WHERE account=? AND id=?",
                         (self.settings.account, disk_id))  # fmt: skip

    # -- the table --

    def _disk_rows(
        self: _Sim, where: str = "", params: tuple[Any, ...] = ()
    ) -> list[dict[str, Any]]:
        """The account's disks matching `where` (SQL after the account's, with `params`)."""
        make_table(self.cloud)
        return self.cloud.read(
            f"SELECT {_COLUMNS} FROM disks WHERE account=? {where} ORDER BY created_at, id",  # noqa: S608
            (self.settings.account, *params),
        )

    def _disk(self: _Sim, disk_id: str) -> dict[str, Any]:
        """This installation's disk `disk_id` (TerminalError NotFound otherwise)."""
        rows = self._disk_rows(
            "AND installation=? AND id=?", (self.region.installation_id, disk_id)
        )
        if not rows:
            raise TerminalError(f"sim: disk {disk_id} does not exist", reason="NotFound")
        return rows[0]

    def _held_by(self: _Sim, row: dict[str, Any]) -> str:
        """The live instance the disk is attached to ('' when none: a terminated or gone
        instance holds nothing)."""
        held = str(row["attached_to"])
        if not held:
            return ""
        item = self._existing(held)
        return held if item is not None and item["state"] != "terminated" else ""


def _cloud_disk(row: dict[str, Any], held_by: str, now: float) -> CloudDisk:
    """vertice's view of a disk row at time `now`."""
    if now < row["ready_at"]:
        state = DiskState.CREATING
    else:
        state = DiskState.IN_USE if held_by else DiskState.AVAILABLE
    return CloudDisk(
        id=row["id"], name=row["name"], size_gb=int(row["size_gb"]), state=state,
        attached_to=held_by, device=str(row["device"]) if held_by else "",
    )  # fmt: skip
