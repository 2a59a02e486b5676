"""Pipelined batches: the next batch is prepared while the calls of earlier ones run."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Batch(Protocol):
    """A batch in flight: it says whether its calls have all answered (without waiting)."""

    def ready(self) -> bool:
        """Whether every call of the batch has a result."""


B = TypeVar("B", bound=Batch)


class Pipeline(Generic[B]):
    """Batches completed in the order they were added, each as soon as it is ready.

    `complete(batch)` waits for the batch's calls and writes its outcome; it returns
    whether something is still in transition. Adding a batch completes the ready ones at
    the head, so writes keep pace with submissions; `drain()` completes the rest.
    """

    def __init__(self, complete: Callable[[B], bool]) -> None:
        self._complete = complete
        self._in_flight: deque[B] = deque()
        self.busy = False

    def add(self, batch: B) -> None:
        """Queue a submitted batch, then complete every ready batch at the head."""
        self._in_flight.append(batch)
        self.poll()

    def poll(self) -> None:
        """Complete the batches at the head that are ready (without waiting)."""
        while self._in_flight and self._in_flight[0].ready():
            self.busy = self._complete(self._in_flight.popleft()) or self.busy

    def drain(self) -> bool:
        """Complete every batch, waiting as needed; whether anything is in transition."""
        while self._in_flight:
            self.busy = self._complete(self._in_flight.popleft()) or self.busy
        return self.busy
