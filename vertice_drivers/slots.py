"""Bounding a driver's calls in flight to the connections its HTTP pool keeps.

The reconciler runs up to `ReconcilerSettings.workers` (256) driver calls at
once, and several threads call one driver object. An SDK whose pool keeps
fewer connections opens one more for each call beyond it and throws it away
afterwards (urllib3's "Connection pool is full, discarding connection"): a
new TCP (and TLS) handshake per call, and a burst of connections the cloud
may throttle. The rule (`docs/writing-a-driver.md`, "Connections"): a driver
never has more calls in flight than its pool keeps connections. A pool built
by the driver blocks when full (requests' `pool_block=True`); an SDK whose
pool cannot block gets `CallSlots` of the pool's size around each verb.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class CallSlots:
    """At most `size` calls at once; a thread already holding a slot enters again freely
    (a verb that calls another verb of the same driver takes one slot, not two)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a driver needs at least one call slot, not {size}")
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._local = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold a slot (waiting for one to be free) for the duration of the block."""
        depth: int = getattr(self._local, "depth", 0)
        if depth == 0:
            self._free.acquire()
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                self._free.release()


class HasSlots(Protocol):
    """A driver that bounds its calls with `slots`."""

    @property
    def slots(self) -> CallSlots: ...


S = TypeVar("S", bound=HasSlots)


def bounded(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Run a driver's method holding one of the driver's `slots`."""

    def holding_a_slot(driver: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with driver.slots.held():
            return method(driver, *args, **kwargs)

    functools.update_wrapper(holding_a_slot, method)
    return holding_a_slot
