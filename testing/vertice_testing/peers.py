"""The life of a cloud peer across a test session, shared by the plugins' conftests.

A peer (a local server speaking a cloud's wire protocol) starts once per
session; each test gets it emptied, and listening again if the test took it
down. A plugin's conftest writes its two fixtures as `yield from` these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar


class Restartable(Protocol):
    """What the session and test fixtures need of a peer."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def reset(self) -> None: ...

    def clear(self) -> None: ...


P = TypeVar("P", bound=Restartable)


def for_the_session(peer: P) -> Iterator[P]:
    """Start `peer`, yield it, stop it."""
    peer.start()
    yield peer
    peer.stop()


def fresh_for_a_test(peer: P) -> Iterator[P]:
    """Yield `peer` emptied (`reset`), then `clear` it and make sure it listens again."""
    if not peer.running:
        peer.start()
    peer.reset()
    yield peer
    peer.clear()
    if not peer.running:
        peer.start()
