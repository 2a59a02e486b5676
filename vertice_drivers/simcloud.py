"""The simulated cloud's data: instances kept in their own SQLite file.

This is the "cloud" side of the `sim` driver: a tiny instance store that
survives restarts of vertice and can be shared by several processes (two
reconcilers, a test that plants a ghost). Instance state advances with time:
a pending instance is running once its boot time has passed, so no process
has to run the cloud. Rows of deleted instances stay `terminated` for a
minute, as real clouds list them for a while, then disappear.

The file is private (mode 0600, `private_file`), as a cloud's records are not every
local user's to read.
"""

from __future__ import annotations

import json
import queue
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from vertice_core.files import private_file
from vertice_drivers.simwriter import Writer

#: How long a terminated instance is still listed, in seconds.
TERMINATED_LISTED_FOR = 60.0
#: Connections to the file kept open between reads (`SimCloud._borrowed`).
IDLE_CONNECTIONS = 4
#: KiB of SQLite's page cache per connection (SQLite's default is 2,000): the file is
#: listed whole at every resync, and each kept connection's cache grew to the default
#: at 10,000 instances, in the reconciler's memory (see `vertice_core.store.engine`).
CACHE_KIB = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    installation TEXT NOT NULL,
    key TEXT NOT NULL,
    tags TEXT NOT NULL,
    image TEXT NOT NULL,
    size TEXT NOT NULL,
    state TEXT NOT NULL,
    boot_at REAL NOT NULL,
    created_at REAL NOT NULL,
    private_ip TEXT NOT NULL,
    public_ip TEXT NOT NULL,
    ports TEXT NOT NULL,
    stop_at REAL,
    deleted_at REAL,
    launch TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    verb TEXT NOT NULL,
    target TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_instances_listing ON instances (account, installation, id);
CREATE UNIQUE INDEX IF NOT EXISTS uq_instances_live_key
    ON instances (account, key) WHERE state != 'terminated';
"""


class Full:
    """The answer of `insert` when the account is at capacity."""


FULL = Full()

COLUMNS = (
    "id, account, installation, key, tags, image, size, state, boot_at, created_at, "
    "private_ip, public_ip, ports, stop_at, deleted_at"
)


class SimCloud:
    """The instances of one simulated-cloud file; safe to use from many threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)
        #: Connections not in use, shared by every thread (see `_borrowed`).
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._parsed: dict[str, tuple[int, dict[str, str], list[str]]] = {}
        with self._borrowed() as db:
            db.executescript(_SCHEMA)
        self._writer = Writer(self.open(), self.count_live)

    def open(self) -> sqlite3.Connection:
        """A new connection to the file (autocommit; usable from any thread, by one at
        a time)."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=30000")
        db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return db

    @contextmanager
    def _borrowed(self) -> Iterator[sqlite3.Connection]:
        """A connection for one read, from the idle ones (or a new one), given back after.

        Not one per thread: the reconciler's call pool has hundreds of threads, and each
        one that ever listed the file kept a connection and its page cache (some 2.5 MB
        at 10,000 instances), so an idle reconciler grew by a few MB a pass. At most
        `IDLE_CONNECTIONS` are kept; more, opened while many threads read at once, are
        closed when given back."""
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = self.open()
        try:
            yield db
        finally:
            if self._idle.qsize() < IDLE_CONNECTIONS:
                self._idle.put(db)
            else:
                db.close()

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._borrowed() as db:
            return db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
        with self._borrowed() as db:
            cursor = db.execute(sql, params)
            try:
                row: sqlite3.Row | None = cursor.fetchone()
                return row
            finally:
                cursor.close()

    def _write(
        self, sql: str, params: tuple[Any, ...], *, room: tuple[str, int] | None = None
    ) -> bool:
        """Run one write; with `room=(account, capacity)`, only if the account holds fewer
        live instances than `capacity`. False when there was no room.

        Every write goes through the writer thread (`simwriter`: group commit).
        """
        return self._writer.submit(sql, params, room).result()

    def advance(self, row: sqlite3.Row | Mapping[str, Any], now: float) -> dict[str, Any]:
        """A row as a dict, with time-driven transitions applied (and stored if they stop it)."""
        item = dict(row)
        if item["state"] == "pending" and now >= item["boot_at"]:
            item["state"] = "running"
        stop_at = item["stop_at"]
        if item["state"] == "running" and stop_at is not None and now >= stop_at:
            # The host rebooted under the instance: it is down until someone starts it.
            self._write(
                "UPDATE instances SET state='stopped', stop_at=NULL WHERE id=? AND stop_at=?",
                (item["id"], stop_at),
            )
            item["state"] = "stopped"
            item["stop_at"] = None
        # Ports never change after the insert, tags only when an instance is adopted
        # (`adopt`, perhaps by another process): parse them once per instance and tags,
        # known by the hash of their text (the text itself was 2.3 MB at 10,000). orjson
        # keeps one copy of each key, which every instance's tags share.
        parsed = self._parsed.get(item["id"])
        if parsed is None or parsed[0] != hash(item["tags"]):
            parsed = self._parsed[item["id"]] = (
                hash(item["tags"]),
                orjson.loads(item["tags"]),
                orjson.loads(item["ports"]),
            )
        item["tags"], item["ports"] = parsed[1], parsed[2]
        return item

    def page(
        self,
        account: str,
        installation: str,
        after: str,
        size: int,
        now: float,
        listing_delay: float = 0.0,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of an installation's instances with ids after `after`, and whether
        more follow (as a cloud returns a next-page token only when there is a next page).

        Instances younger than `listing_delay` seconds are not listed yet (an
        eventually consistent listing, as some clouds have).
        """
        if not after:
            self._purge(now)
        rows = self._all(
            f"SELECT {COLUMNS} FROM instances WHERE account=? AND installation=? AND id>? "  # noqa: S608
            "AND created_at<=? ORDER BY id LIMIT ?",
            (account, installation, after, now - listing_delay, size + 1),
        )
        return [self.advance(row, now) for row in rows[:size]], len(rows) > size

    def _purge(self, now: float) -> None:
        # Cheap: the partial condition only matches rows deleted over a minute ago.
        purged = self._all(
            "DELETE FROM instances WHERE state='terminated' AND deleted_at < ? RETURNING id",
            (now - TERMINATED_LISTED_FOR,),
        )
        for row in purged:
            self._parsed.pop(row[0], None)

    def live_by_key(self, account: str, key: str, now: float) -> dict[str, Any] | None:
        """The instance of `key` that is not terminated, if any."""
        row = self._one(
            f"SELECT {COLUMNS} FROM instances WHERE account=? AND key=? "  # noqa: S608
            "AND state!='terminated'",
            (account, key),
        )
        return self.advance(row, now) if row else None

    def get(self, account: str, instance_id: str, now: float) -> dict[str, Any] | None:
        """One instance by id, if it exists in `account`."""
        row = self._one(
            f"SELECT {COLUMNS} FROM instances WHERE account=? AND id=?",  # noqa: S608
            (account, instance_id),
        )
        return self.advance(row, now) if row else None

    def launch_data(self, account: str, instance_id: str) -> dict[str, str]:
        """What the instance received at launch (the cloud-init a real cloud would get)."""
        row = self._one(
            "SELECT launch FROM instances WHERE account=? AND id=?", (account, instance_id)
        )
        return dict(json.loads(row[0])) if row else {}

    @staticmethod
    def count_live(db: sqlite3.Connection, account: str) -> int:
        """How many instances of the account are not terminated, seen from `db` (the
        writer's, whose transaction holds the writes of its batch so far)."""
        sql = "SELECT COUNT(*) FROM instances WHERE account=? AND state!='terminated'"
        return int(db.execute(sql, (account,)).fetchone()[0])

    def insert(
        self,
        *,
        account: str,
        key: str,
        tags: Mapping[str, str],
        installation: str,
        image: str,
        size: str,
        boot_at: float,
        now: float,
        public_ip: str,
        ports: list[int],
        stop_at: float | None,
        launch: Mapping[str, str],
        capacity: int | None = None,
    ) -> dict[str, Any] | Full | None:
        """Insert a pending instance.

        None if a live one with `key` appeared meanwhile; `FULL` if the account already
        holds `capacity` live instances (checked in the same transaction).
        """
        instance_id = f"sim-{secrets.token_hex(6)}"
        number = int(instance_id[-4:], 16)
        private_ip = f"10.{number % 200 + 20}.{number >> 8}.{number % 250 + 2}"
        access = [f"{public_ip}:{port}" for port in ports]
        try:
            room = self._write(
                f"INSERT INTO instances ({COLUMNS}, launch) VALUES "  # noqa: S608
                "(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    instance_id, account, installation, key, json.dumps(dict(tags)), image, size,
                    boot_at, now, private_ip, public_ip, json.dumps(access), stop_at,
                    json.dumps(dict(launch)),
                ),
                room=(account, capacity) if capacity is not None else None,
            )  # fmt: skip
        except sqlite3.IntegrityError:
            return None
        if not room:
            return FULL
        row = {
            "id": instance_id, "account": account, "installation": installation, "key": key,
            "tags": json.dumps(dict(tags)), "image": image, "size": size, "state": "pending",
            "boot_at": boot_at, "created_at": now, "private_ip": private_ip,
            "public_ip": public_ip, "ports": json.dumps(access), "stop_at": stop_at,
            "deleted_at": None,
        }  # fmt: skip
        return self.advance(row, now)

    def adopt(self, account: str, instance_id: str, installation: str, key: str,
              tags: Mapping[str, str]) -> None:  # fmt: skip
        """Give an instance no installation manages (`installation` '') an installation,
        a key and more tags, if it still has none (the caller reads it again to see)."""
        row = self.get(account, instance_id, time.time())
        if row is None or row["installation"]:
            return
        merged = json.dumps({**row["tags"], **tags})
        self._write(
            "UPDATE instances SET installation=?, key=?, tags=? "
            "WHERE account=? AND id=? AND installation='' AND state!='terminated'",
            (installation, key, merged, account, instance_id),
        )

    def set_state(
        self,
        account: str,
        instance_id: str,
        state: str,
        *,
        boot_at: float | None = None,
        size: str | None = None,
    ) -> None:
        """Move an instance to `state` (pending ones boot at `boot_at`), with a new `size`
        (flavor) if given."""
        changes = {"state": state, "boot_at": boot_at, "size": size}
        columns = [name for name, value in changes.items() if value is not None]
        self._write(
            f"UPDATE instances SET {', '.join(f'{c}=?' for c in columns)} "  # noqa: S608
            "WHERE account=? AND id=? AND state!='terminated'",
            (*(changes[c] for c in columns), account, instance_id),
        )

    def terminate(self, account: str, instance_id: str, now: float) -> None:
        """Terminate an instance (it is listed as terminated for a minute)."""
        self._write(
            "UPDATE instances SET state='terminated', deleted_at=? WHERE account=? AND id=? "
            "AND state!='terminated'",
            (now, account, instance_id),
        )

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """The rows of one statement on this thread's connection (the file's other tables,
        such as `vertice_drivers.simimages`', and their schema)."""
        return [dict(row) for row in self._all(sql, params)]

    def write(self, sql: str, params: tuple[Any, ...]) -> None:
        """One write to the file's other tables, through the writer thread (raises
        `sqlite3.IntegrityError` on a duplicate)."""
        self._write(sql, params)

    def audit(self, account: str, verb: str, target: str) -> None:
        """Append one API call to the audit log (when the region asks for one)."""
        self._write(
            "INSERT INTO calls (account, verb, target, at) VALUES (?, ?, ?, ?)",
            (account, verb, target, time.time()),
        )

    def audited(self, account: str) -> list[tuple[str, str]]:
        """Every audited call of the account as `(verb, target)`, oldest first."""
        rows = self._all("SELECT verb, target FROM calls WHERE account=? ORDER BY id", (account,))
        return [(verb, target) for verb, target in rows]

    def all_rows(self, account: str) -> Iterator[dict[str, Any]]:
        """Every instance of the account, whatever its installation (for tests and tools)."""
        now = time.time()
        rows = self._all(
            f"SELECT {COLUMNS} FROM instances WHERE account=? ORDER BY id",  # noqa: S608
            (account,),
        )
        for row in rows:
            yield self.advance(row, now)


def public_ip(key: str) -> str:
    """A stable documentation-range address (RFC 5737 TEST-NET-3) for a key."""
    value = sum(key.encode()) % 250 + 2
    return f"203.0.113.{value}"
