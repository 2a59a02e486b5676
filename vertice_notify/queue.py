"""Delivery off the reconciler's path: a bounded queue, one sender thread, retries.

`Outbox.offer()` never blocks: when the queue is full the event is dropped
and counted (a notifier must not slow convergence down). The sender retries a
failed delivery with exponential backoff, then gives up on that event and
logs it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("vertice.notify")


class Outbox:
    """Hands items to `deliver` on a background thread, retrying failures."""

    def __init__(
        self,
        name: str,
        deliver: Callable[[Any], None],
        *,
        size: int = 10_000,
        attempts: int = 5,
        backoff: float = 0.5,
        cap: float = 30.0,
    ) -> None:
        self.name = name
        self.deliver = deliver
        self.attempts = attempts
        self.backoff = backoff
        self.cap = cap
        self.dropped = 0
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def offer(self, item: Any) -> None:
        """Queue an item for delivery; drop it (and count) when the queue is full."""
        self._start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("%s: queue full, %d notifications dropped", self.name, self.dropped)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"vertice-{self.name}", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            self._send(item)
            self._queue.task_done()

    def _send(self, item: Any) -> None:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                self.deliver(item)
            except Exception as exc:  # any failure of the receiver is retried, then logged
                if attempt == self.attempts:
                    self.failed += 1
                    log.warning("%s: giving up after %d attempts: %s", self.name, attempt, exc)
                    return
                time.sleep(delay)
                delay = min(self.cap, delay * 2)
            else:
                self.delivered += 1
                return

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued was handled (for tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True
