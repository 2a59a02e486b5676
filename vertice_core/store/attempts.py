"""What one attempt at a piece of work did to the database, so that a caller can tell
whether trying the whole work again is safe.

The API tries a request again when the database failed it (`vertice_api.retrying`):
after a serialization failure or a deadlock (`Contended`: the server rolled that
transaction back) and once after a lost connection (`Unavailable`: a restart, a
failover). Trying again is only safe while nothing of the first try may have been
stored: `Store.write()` counts here the write transactions it committed, and says when
a commit's outcome is unknown (the connection was lost while committing: it may have
committed on the old primary and reached the standby, or not).

`attempt()` starts a fresh record for the block; the store writes to the current one,
if any (a context variable: a thread's or a greenlet's own). Outside an `attempt()`
nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import attrs


@attrs.define
class Attempt:
    """What the database saw of one attempt."""

    #: Write transactions committed.
    committed: int = 0
    #: A commit whose outcome is unknown (the connection was lost during it).
    ambiguous: bool = False

    @property
    def stored_nothing(self) -> bool:
        """Whether nothing of the attempt can have been stored: trying again is safe."""
        return self.committed == 0 and not self.ambiguous


_current: ContextVar[Attempt | None] = ContextVar("vertice_attempt", default=None)


@contextmanager
def attempt() -> Iterator[Attempt]:
    """Record what the block's transactions do in a fresh `Attempt`."""
    record = Attempt()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def current() -> Attempt | None:
    """The attempt being recorded, if any."""
    return _current.get()
