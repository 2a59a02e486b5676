"""The generation of the callers the API workers cache, shared by the workers."""

from __future__ import annotations

import mmap
import struct

#: The counter's layout: one native 64-bit integer.
_COUNTER = struct.Struct("=q")


class CacheGeneration:
    """A counter every worker of one gunicorn shares (anonymous shared memory, made in
    the master before the workers fork, like `FailureLimiter`'s table): a write that
    changes who may do what bumps it, and every worker's `TokenCache` drops its entries
    when it sees it changed. Made in a worker, it is that worker's alone."""

    def __init__(self) -> None:
        self._counter = mmap.mmap(-1, _COUNTER.size)

    def value(self) -> int:
        """The current generation."""
        value: int = _COUNTER.unpack_from(self._counter)[0]
        return value

    def bump(self) -> None:
        """Start a new generation. Two bumps at once may make one: either changes it."""
        _COUNTER.pack_into(self._counter, 0, self.value() + 1)
