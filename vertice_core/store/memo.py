"""Reads kept for the length of one session: one transaction of `Store.write()`.

A request that declares many assemblies (`POST /v3/assembly_factory/batch`) reads the
same plan and the same quota rows once per declaration. The ORM's identity map holds
its rows weakly, so each read went to the database again (0.8 ms a plan: the row and
its document made a `Plan` anew). `memoized(session, kind, key, compute)` keeps what
`compute()` returned in the session's `info`, which lives as long as the session does;
`Store.write()` makes a new session per block, so nothing kept outlives the
transaction that read it, and the same transaction sees its own writes anyway. Only
for rows the transaction does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def memoized(session: Session, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned before for (`kind`, `key`) in this session."""
    kept: dict[Any, Any] = session.info.setdefault("vertice.memo", {})
    token = (kind, key)
    if token not in kept:
        kept[token] = compute()
    return kept[token]  # type: ignore[no-any-return]
