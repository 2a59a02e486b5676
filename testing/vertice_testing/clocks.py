"""Clocks for tests of controllers that count hours: time moved on instead of waited for."""

from __future__ import annotations

import threading
import time


class ShiftedClock:
    """The real time plus an offset the test moves on (`shift`): controllers keep running
    with real short waits (poll, backoff) while the hours they count pass at once."""

    def __init__(self, start_offset: float = 0.0) -> None:
        self._offset = start_offset
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @classmethod
    def next_hour(cls, after: float = 10.0) -> ShiftedClock:
        """A clock that starts `after` seconds into the next whole hour, so that what a
        test meters from now on does not depend on when in the hour it runs."""
        now = time.time()
        return cls((now // 3600 + 1) * 3600 + after - now)

    def shift(self, seconds: float) -> None:
        """Move the clock on by `seconds`."""
        with self._lock:
            self._offset += seconds
