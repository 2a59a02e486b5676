"""Leases on rows: which controller process works on a row, until when.

Any table with a key column, a `holder` and an `expires_at` (epoch seconds)
serves: the assemblies' `leases` table today, a route's or a build's next. A
claim takes the leases that are free, expired or already the caller's in one
`UPDATE ... RETURNING` per chunk, so several processes can share the work of
one database without ever working on the same row at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Table, or_, select, update

T = TypeVar("T")

#: Keys per IN-list or per claim; well under every engine's bind limit.
CHUNK = 500


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Leases:
    """Claims and releases on one lease table (`key`, `holder`, `expires_at`)."""

    def __init__(self, table: Table, key: Column[Any]) -> None:
        self.table = table
        self.key = key

    def claim(
        self, db: Connection, keys: Sequence[str], holder: str, now: float, ttl: float
    ) -> set[str]:
        """Take the leases of `keys` that are free, expired or already `holder`'s; return
        the keys won."""
        won: set[str] = set()
        c = self.table.c
        for part in chunked(keys):
            result = db.execute(
                update(self.table)
                .where(self.key.in_(part))
                .where(or_(c.expires_at < now, c.holder == holder))
                .values(holder=holder, expires_at=now + ttl)
                .returning(self.key)
            )
            won.update(row[0] for row in result)
        return won

    def held(self, db: Connection, keys: Sequence[str], holder: str) -> set[str]:
        """The keys of `keys` whose lease `holder` still holds, locked until the transaction
        ends (`FOR UPDATE`, on engines that have it): a claim by another holder waits
        for that, so what the transaction writes for them is still `holder`'s to write."""
        c = self.table.c
        held: set[str] = set()
        for part in chunked(keys):
            mine = select(self.key).where(self.key.in_(part)).where(c.holder == holder)
            rows = db.execute(mine.with_for_update())
            held.update(row[0] for row in rows)
        return held

    def release(self, db: Connection, keys: Iterable[str], holder: str) -> None:
        """Give back leases `holder` took (others' are left alone)."""
        c = self.table.c
        for part in chunked(list(keys)):
            db.execute(
                update(self.table)
                .where(self.key.in_(part))
                .where(c.holder == holder)
                .values(expires_at=0.0)
            )
