"""The simulated cloud's snapshots: images of instances' disks, kept in the instances' file.

A snapshot is a row of its own table beside the instances (`SimCloud.read` and
`SimCloud.write`), named uniquely per account and installation, as the `sim`
driver's `snapshot` is idempotent by name. Like an instance's boot, copying the
disk takes time: an image is `pending` until its `ready_at`, then `available`,
so callers see the state move as on a real cloud. An image records the instance
it was made from and that instance's flavor and image; deleting it removes the
row (a deleted image is no longer listed).
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from typing import Any

from vertice_core.driver import CloudImage, ImageState
from vertice_core.errors import TransientError
from vertice_drivers.simcloud import SimCloud

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    installation TEXT NOT NULL,
    name TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    source_image TEXT NOT NULL,
    size TEXT NOT NULL,
    created_at REAL NOT NULL,
    ready_at REAL NOT NULL
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_images_name ON images (account, installation, name)",
)
_COLUMNS = "id, account, installation, name, instance_id, source_image, size, created_at, ready_at"


class SimImages:
    """The snapshots of one simulated-cloud file."""

    def __init__(self, cloud: SimCloud) -> None:
        self.cloud = cloud
        for statement in _SCHEMA:
            cloud.read(statement)

    def get(self, account: str, image_id: str) -> dict[str, Any] | None:
        """One image by id, if it exists in `account` (whatever its installation)."""
        rows = self.cloud.read(
            f"SELECT {_COLUMNS} FROM images WHERE account=? AND id=?",  # noqa: S608
            (account, image_id),
        )
        return rows[0] if rows else None

    def named(self, account: str, installation: str, name: str) -> dict[str, Any] | None:
        """The installation's image called `name`, if any."""
        rows = self.cloud.read(
            f"SELECT {_COLUMNS} FROM images WHERE account=? AND installation=? "  # noqa: S608
            "AND name=?",
            (account, installation, name),
        )
        return rows[0] if rows else None

    def of(self, account: str, installation: str) -> list[dict[str, Any]]:
        """Every image of the installation, oldest first."""
        return self.cloud.read(
            f"SELECT {_COLUMNS} FROM images WHERE account=? AND installation=? "  # noqa: S608
            "ORDER BY created_at, id",
            (account, installation),
        )

    def make(
        self,
        *,
        account: str,
        installation: str,
        name: str,
        instance: dict[str, Any],
        now: float,
        ready_at: float,
    ) -> dict[str, Any]:
        """The image of `instance`'s disk called `name`: a new one, or the one that has the
        name already (made meanwhile by another call)."""
        image_id = f"sim-img-{secrets.token_hex(6)}"
        # A name already taken fails the insert: the image that has it is the answer.
        with contextlib.suppress(sqlite3.IntegrityError):
            self.cloud.write(
                f"INSERT INTO images ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    image_id, account, installation, name, instance["id"], instance["image"],
                    instance["size"], now, ready_at,
                ),
            )  # fmt: skip
        made = self.named(account, installation, name)
        if made is None:
            raise TransientError("sim: the image was deleted while it was made")
        return made

    def delete(self, account: str, image_id: str) -> None:
        """Forget an image (nothing happens if there is none)."""
        self.cloud.write("DELETE FROM images WHERE account=? AND id=?", (account, image_id))


def cloud_image(row: dict[str, Any], now: float) -> CloudImage:
    """vertice's view of an image row at time `now`."""
    state = ImageState.AVAILABLE if now >= row["ready_at"] else ImageState.PENDING
    return CloudImage(
        id=row["id"],
        name=row["name"],
        description=f"snapshot of {row['instance_id']} ({row['source_image']}, {row['size']})",
        state=state,
    )
