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

    With a `depth`, adding a batch also waits until fewer than `depth` are in flight, so
    the caller prepares (claims) the next one only then: what a pass has claimed and not
    yet written stays a few batches, never a whole backlog. Other reconcilers can claim
    the rest meanwhile, and a claimed batch's calls start soon after its claim, well
    within its leases.
    """

    def __init__(self, complete: Callable[[B], bool], depth: int | None = None) -> None:
        self._complete = complete
        self._in_flight: deque[B] = deque()
        self.busy = False
        self.depth = depth

    def add(self, batch: B) -> None:
        """Queue a submitted batch, complete every ready batch at the head, and with a
        `depth`, wait for the head ones until fewer than `depth` are in flight."""
        self._in_flight.append(batch)
        self.poll()
        while self.depth is not None and len(self._in_flight) >= self.depth:
            self.busy = self._complete(self._in_flight.popleft()) or self.busy

    def poll(self) -> None:
        """Complete the batches at the head that are ready (without waiting)."""
        while self._in_flight and self._in_flight[0].ready():
            self.busy = self._complete(self._in_flight.popleft()) or self.busy

    def drain(self) -> bool:
        """Complete every batch, waiting as needed; whether anything is in transition."""
        while self._in_flight:
            self.busy = self._complete(self._in_flight.popleft()) or self.busy
        return self.busy
